"""Finding the culprit of a failed gradient check: each recorded node's own derivatives are
compared with finite differences of its own forward, in evaluation order; the first that
disagrees is named (and, at second order, the first whose rule is not differentiable)."""

from __future__ import annotations

import numpy as np

from minigrad import numerical
from minigrad.autodiff.graph import toposort
from minigrad.autodiff.mode import enable_grad
from minigrad.autodiff.reverse import unbroadcast
from minigrad.autodiff.saved import arguments, values
from minigrad.function import CustomOp, NoJvpError
from minigrad.gradcheck_report import Culprit, outputs_of
from minigrad.tensor import Tensor
from minigrad.transforms import jvp


def precision_notes(f, arrays) -> list[str]:
    """A note for the first recorded node that computes in a precision below float64: finite
    differences through it carry round-off that can fake a failure."""
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    with enable_grad():
        outs = outputs_of(f(*xs))
    for index, t in enumerate(toposort([o for o in outs if o.requires_grad])):
        if t.dtype != np.float64:
            op = "an input" if t._op is None else f"`{t._op.name}`"
            return [
                f"note: node {index} ({op}) computes in {t.dtype}: finite differences through "
                "it carry round-off near 1e-3 that can fake a failure; keep f in float64 to "
                "check it"
            ]
    return []


def locate_culprit(
    f, arrays, atol: float = 1e-5, rtol: float = 1e-3, rng: np.random.Generator | None = None
) -> Culprit | None:
    """Record `f` at `arrays` and check each node's own VJP and JVP against finite differences
    of its forward, on random projections; return the first node (in evaluation order, as
    numbered by `toposort`) that disagrees, or None."""
    rng = np.random.default_rng(1) if rng is None else rng
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    with enable_grad():
        outs = outputs_of(f(*xs))
    order = toposort([o for o in outs if o.requires_grad])
    known = values(toposort(outs, constants=True))
    for index, t in enumerate(order):
        op = t._op
        if op is None or t.dtype != np.float64:  # finite differences in float32 are noise
            continue
        args = [np.asarray(a) for a in arguments(op, known)]
        for i in op.needs:
            culprit = _check_node(index, op, i, known[t._seq], args, atol, rtol, rng)
            if culprit is not None:
                return culprit
    return None


def _check_node(index, op, i, ans, args, atol, rtol, rng) -> Culprit | None:
    u = rng.standard_normal(np.shape(args[i]))
    v = rng.standard_normal(ans.shape)

    def local(x):
        return op.evaluate(*args[:i], x, *args[i + 1 :])

    numeric = float(np.sum(v * numerical.jvp(local, [args[i]], [u]).reshape(ans.shape)))
    if not np.isfinite(numeric):
        return None  # the op is not differentiable here: that is no rule's fault
    tol = atol + rtol * abs(numeric)
    try:
        g = unbroadcast(np.asarray(op.vjp(np, i, v, ans, *args)), np.shape(args[i]))
        reverse = float(np.sum(g * u))
    except Exception:  # noqa: BLE001 (a rule that crashes is the culprit too)
        reverse = float("nan")
    if not abs(reverse - numeric) <= tol:
        return Culprit(index, op.name, i, "rev", reverse, numeric)
    try:
        forward = float(np.sum(v * np.broadcast_to(op.jvp(np, i, u, ans, *args), ans.shape)))
    except (NotImplementedError, NoJvpError):  # no forward rule: nothing to blame there
        return None
    if not abs(forward - numeric) <= tol:
        return Culprit(index, op.name, i, "fwd", forward, numeric)
    return None


def locate_second_order(
    f, arrays, atol: float = 1e-5, rtol: float = 1e-3, rng: np.random.Generator | None = None
) -> Culprit | None:
    """Check, node by node, that each VJP rule run on Tensors differentiates like its NumPy
    run under finite differences; return the first node whose rule does not."""
    rng = np.random.default_rng(2) if rng is None else rng
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    with enable_grad():
        outs = outputs_of(f(*xs))
    known = values(toposort(outs, constants=True))
    for index, t in enumerate(toposort([o for o in outs if o.requires_grad])):
        op = t._op
        if op is None or isinstance(op, CustomOp):  # a NumPy backward: first order only
            continue
        args = [np.asarray(a) for a in arguments(op, known)]
        v = rng.standard_normal(t.shape)
        for i in op.needs:
            w = rng.standard_normal(np.shape(args[i]))
            us = [rng.standard_normal(np.shape(args[k])) for k in op.needs]
            analytic, numeric = _rule_derivative(op, i, args, v, w, us)
            if not abs(analytic - numeric) <= atol + rtol * abs(numeric):
                return Culprit(index, op.name, i, "rev-over-rev", analytic, numeric)
    return None


def _rule_derivative(op, i, args, v, w, us) -> tuple[float, float]:
    """d/de <vjp_i(v)(args + e u), w>, with the rule run on duals (analytic) and by central
    differences of its NumPy run (numeric)."""
    from minigrad import functional

    def projected(*moved):
        full = list(args)
        for k, m in zip(op.needs, moved, strict=True):
            full[k] = m
        return functional.sum(_rule(op, i, v, full) * w)

    moved = [args[k] for k in op.needs]
    numeric = numerical.jvp(lambda *m: projected(*m).data, moved, us).item()
    return jvp(projected, moved, us)[1].item(), numeric


def _rule(op, i, v, args):
    """The VJP of input i at `args`, on Tensors if any argument is one (else on arrays)."""
    from minigrad import functional

    if any(isinstance(a, Tensor) for a in args):
        ans = op._clone()(*args)
        g = op.vjp(functional, i, Tensor(v), ans, *args)
    else:
        g = Tensor(np.asarray(op.vjp(np, i, v, op.evaluate(*args), *args)))
    return unbroadcast(g, np.shape(args[i]))
