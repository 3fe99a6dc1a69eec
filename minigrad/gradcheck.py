"""Gradient checking that explains itself: what is wrong, where, and by how much.

`gradcheck` compares reverse mode and forward mode with central differences (float64) and with
each other; `gradgradcheck` does the same for second derivatives. A failure names the mode, the
output and input, the worst element, both values and the tolerance, and the recorded node whose
own derivative is wrong. Elements at a kink (relu at 0, ties of max) are reported as kinks.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from minigrad import numerical
from minigrad.autodiff.graph import toposort
from minigrad.autodiff.mode import enable_grad, no_grad
from minigrad.autodiff.reverse import unbroadcast
from minigrad.dtypes import as_array
from minigrad.function import CustomOp, NoJvpError
from minigrad.tensor import Tensor
from minigrad.transforms import jvp, vjp
from minigrad.validate import choice, flag, integer, ints, number

MODE_NAMES = {
    "values": "the function's values",
    "rev": "reverse mode",
    "fwd": "forward mode",
    "adjoint": "adjoint identity",
    "rev-over-rev": "reverse-over-reverse",
    "fwd-over-rev": "forward-over-reverse",
}


class GradcheckError(AssertionError):
    """A derivative disagrees with finite differences (or the two modes with each other)."""


class GradcheckWarning(UserWarning):
    """Something about the check itself (such as a float32 input promoted to float64)."""


@dataclass
class Check:
    """One comparison: a mode, for one output and one input (None for the adjoint check)."""

    mode: str
    output: int | None
    input: int | None
    max_abs: float
    max_rel: float
    analytic: float
    numeric: float
    passed: bool
    out_index: tuple | None = None
    in_index: tuple | None = None
    kinks: list = field(default_factory=list)  # (input element, left, right derivative)
    error: str | None = None  # the derivative could not even be computed

    def where(self) -> str:
        if self.out_index is None:
            return "-"
        return f"out {self.out_index}, in {self.in_index}"


@dataclass
class Culprit:
    """The first recorded node (in evaluation order) whose own derivative is wrong."""

    node: int
    name: str
    input: int
    mode: str
    analytic: float
    numeric: float

    def __str__(self) -> str:
        if self.mode == "rev-over-rev":
            return (
                f"node {self.node}, `{self.name}`: the derivative of its VJP for input "
                f"{self.input} is off by {abs(self.analytic - self.numeric):.3g} (analytic "
                f"{self.analytic:.6g} vs numeric {self.numeric:.6g}, projected on random "
                "directions): its rule is right at first order but not differentiable "
                "as written"
            )
        what = "gradient" if self.mode == "rev" else "tangent"
        return (
            f"node {self.node}, `{self.name}`, {what} w.r.t. input {self.input} off by "
            f"{abs(self.analytic - self.numeric):.3g} (analytic {self.analytic:.6g} vs "
            f"numeric {self.numeric:.6g}, projected on random directions)"
        )


@dataclass
class GradcheckResult:
    """Truthy when every check passed; `repr` is a short table."""

    checks: list[Check]
    eps: float
    atol: float
    rtol: float
    culprit: Culprit | None = None
    what: str = "gradcheck"
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Every comparison passed, and at least one ran."""
        return bool(self.checks) and all(c.passed for c in self.checks)

    def __bool__(self) -> bool:
        return self.passed

    @property
    def derivatives_failed(self) -> bool:
        """A derivative was compared and found wrong (so there is a culprit to look for)."""
        return any(not c.passed and c.mode != "values" for c in self.checks)

    @property
    def kinks(self) -> list:
        """(input, (element, left derivative, right derivative)) for each kink found."""
        found = {}
        for c in self.checks:
            for k in c.kinks:
                found.setdefault((c.input, k[0]), (c.input, k))
        return list(found.values())

    def __repr__(self) -> str:
        head = (
            f"{self.what} {'passed' if self.passed else 'FAILED'} (float64, eps {self.eps:g},"
            f" atol {self.atol:g}, rtol {self.rtol:g})"
        )
        rows = [
            f"{'mode':<13}{'out':>4}{'in':>4}{'max abs err':>13}{'max rel err':>13}  "
            f"{'worst element':<24}{'analytic':>12}{'numeric':>12}  ok"
        ]
        for c in self.checks:
            rows.append(
                f"{c.mode:<13}{_dash(c.output):>4}{_dash(c.input):>4}{c.max_abs:>13.2e}"
                f"{c.max_rel:>13.2e}  {c.where():<24}{c.analytic:>12.6g}{c.numeric:>12.6g}  "
                f"{'yes' if c.passed else 'NO'}"
            )
        tail = [
            f"kink: input {i} element {k[0]}: one-sided derivatives {k[1]:.6g} and "
            f"{k[2]:.6g} differ, so the function is not differentiable there (skipped)"
            for i, k in self.kinks
        ]
        if self.culprit is not None:
            tail.append(f"culprit: {self.culprit}")
        return "\n".join([head, *rows, *tail, *self.notes])

    def message(self) -> str:
        """A sentence for each failed check, with the culprit."""
        if not self.checks:
            return "\n".join(
                [f"{self.what}: nothing was compared, so nothing was checked", *self.notes]
            )
        lines = []
        for c in self.checks:
            if c.passed:
                continue
            if c.error is not None:
                lines.append(f"{self.what} failed in {MODE_NAMES[c.mode]}: {c.error}")
                continue
            if c.mode == "adjoint":
                lines.append(
                    f"{self.what}: the modes disagree: <v, J u> by forward mode is "
                    f"{c.analytic:.12g} but <J^T v, u> by reverse mode is "
                    f"{c.numeric:.12g}"
                )
                continue
            lines.append(
                f"{self.what} failed in {MODE_NAMES[c.mode]}: d(output {c.output})/d(input "
                f"{c.input}) at output element {c.out_index}, input element {c.in_index}: "
                f"analytic {c.analytic:.6g} vs numeric {c.numeric:.6g} (abs error "
                f"{abs(c.analytic - c.numeric):.3g} > atol {self.atol:g} + rtol {self.rtol:g} "
                f"* |numeric|; eps {self.eps:g})"
            )
        if self.culprit is not None:
            lines.append(f"culprit: {self.culprit}")
        return "\n".join(lines + [n for n in self.notes if n.startswith("note:")])


def _dash(v) -> str:
    return "-" if v is None else str(v)


def gradcheck(
    f,
    *inputs,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    modes=("rev", "fwd"),
    fast: bool = False,
    raise_exception: bool = True,
    rng: np.random.Generator | None = None,
) -> GradcheckResult:
    """Check the derivatives of `f` (Tensors in, a Tensor or a tuple of them out) at `inputs`.

    Reverse mode (`"rev"`) and forward mode (`"fwd"`) are compared element by element with
    central differences, and with each other by the adjoint identity <v, J u> = <J^T v, u>.
    With `fast=True` only random projections are compared, and the full comparison runs
    only to locate a failure. Raises `GradcheckError` on failure (or returns the failed result
    with `raise_exception=False`).

    >>> import minigrad as mg
    >>> bool(mg.gradcheck(lambda x: (x * x.sin()).sum(), np.array([0.5, 1.0])))
    True
    """
    options = _options("gradcheck", f, eps, atol, rtol, modes, rng, fast=fast)
    flag(raise_exception, "gradcheck", "raise_exception")
    arrays = _promote(inputs)
    rng = options.pop("rng")
    checker = _Checker(f, arrays, **options)
    result = checker.run(modes, fast, rng)
    if result.derivatives_failed:
        result.culprit = locate_culprit(f, arrays, atol, rtol, rng)
        result.notes.extend(precision_notes(f, arrays))
    if not result.passed and raise_exception:
        raise GradcheckError(result.message())
    return result


def gradgradcheck(
    f,
    *inputs,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    modes=("rev", "fwd"),
    raise_exception: bool = True,
    rng: np.random.Generator | None = None,
) -> GradcheckResult:
    """Check second derivatives: the gradient x -> J(x)^T v for a random cotangent v is
    differentiated by reverse mode (reverse-over-reverse) and by forward mode
    (forward-over-reverse) and compared with central differences of the first-order gradient."""
    options = _options("gradgradcheck", f, eps, atol, rtol, modes, rng)
    flag(raise_exception, "gradgradcheck", "raise_exception")
    arrays = _promote(inputs)
    rng = options.pop("rng")
    with no_grad():
        outs = _outputs(f(*[Tensor(a) for a in arrays]))
    cotangents = [rng.standard_normal(o.shape) for o in outs]

    def gradient(*xs):
        out, pullback = vjp(f, *xs)
        return pullback(cotangents if isinstance(out, tuple | list) else cotangents[0])

    checker = _Checker(gradient, arrays, **options)
    result = checker.run(modes, False, rng)
    result.what = "gradgradcheck"
    for c in result.checks:
        c.mode = {"rev": "rev-over-rev", "fwd": "fwd-over-rev"}.get(c.mode, c.mode)
    if result.derivatives_failed:
        result.culprit = locate_culprit(f, arrays, atol, rtol, rng) or locate_second_order(
            f, arrays, atol, rtol, rng
        )
    if not result.passed and raise_exception:
        raise GradcheckError(result.message())
    return result


def _options(where, f, eps, atol, rtol, modes, rng, fast=False) -> dict:
    """The checker's settings, checked: a function, a step and tolerances that are finite
    numbers (eps > 0), and modes drawn from "rev" and "fwd"."""
    if not callable(f):
        raise TypeError(f"{where}: expected a function of Tensors, got {type(f).__name__}")
    # NOTE: eps is relative (steps are eps max(1, |x|)); beyond 0.1 the difference quotients
    # say little about the derivative, and their spread would excuse anything as a kink.
    number(eps, where, "eps", low=0, high=0.1, low_open=True)
    number(atol, where, "atol", low=0)
    number(rtol, where, "rtol", low=0)
    flag(fast, where, "fast")
    if isinstance(modes, str) or not isinstance(modes, tuple | list) or not modes:
        raise TypeError(
            f"{where}: modes must be a non-empty tuple drawn from 'rev' and 'fwd', got "
            f"{modes!r:.40}"
        )
    for m in modes:
        choice(m, ("rev", "fwd"), where, "each mode")
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise TypeError(f"{where}: rng must be a np.random.Generator or None")
    rng = np.random.default_rng(0) if rng is None else rng
    return {"eps": float(eps), "atol": float(atol), "rtol": float(rtol), "rng": rng}


def _promote(inputs) -> list[np.ndarray]:
    if not inputs:
        raise ValueError("gradcheck: no inputs to differentiate with respect to")
    arrays = []
    for k, x in enumerate(inputs):
        try:
            a = as_array(x)
        except (TypeError, ValueError) as err:
            raise TypeError(f"gradcheck: input {k}: {err}") from None
        if a.dtype.kind != "f":
            raise TypeError(
                f"gradcheck: input {k} has dtype {a.dtype}; only floating-point "
                "inputs can be differentiated"
            )
        if a.size == 0:
            raise ValueError(
                f"gradcheck: input {k} has shape {a.shape}, with no elements: there is nothing "
                "to check"
            )
        if a.dtype != np.float64:
            warnings.warn(
                f"gradcheck: input {k} is {a.dtype}; it is checked in float64, because finite "
                f"differences in {a.dtype} carry round-off errors near 1e-3 that would hide or "
                "fake a wrong gradient",
                GradcheckWarning,
                stacklevel=3,
            )
        arrays.append(np.array(a, dtype=np.float64, order="C"))
    return arrays


def _outputs(out) -> list[Tensor]:
    outs = list(out) if isinstance(out, tuple | list) else [out]
    for k, o in enumerate(outs):
        if not isinstance(o, Tensor):
            raise TypeError(
                "gradcheck: the function must return a Tensor or a tuple of Tensors, got "
                + (f"{type(out).__name__}" if o is out else f"{type(o).__name__} as output {k}")
            )
        if o.dtype.kind != "f":
            raise TypeError(
                f"gradcheck: output {k} has dtype {o.dtype}, which has no derivative; return "
                "float outputs"
            )
    if not outs:
        raise TypeError("gradcheck: the function returned no outputs")
    return outs


class _Checker:
    """The comparisons of one gradcheck: numeric Jacobians once, analytic ones per mode."""

    def __init__(self, f, arrays, eps, atol, rtol) -> None:
        self.f, self.arrays, self.eps, self.atol, self.rtol = f, arrays, eps, atol, rtol
        with no_grad():
            out = f(*[Tensor(a) for a in arrays])
        outs = _outputs(out)
        self.out_shapes = [o.shape for o in outs]
        self.tuple_out = not isinstance(out, Tensor)
        self.bounds = np.cumsum([0] + [int(np.prod(s)) for s in self.out_shapes])
        self.values = [("input", a) for a in arrays] + [("output", o.data) for o in outs]

    def nonfinite_values(self) -> list[Check]:
        """A failed check for the first non-finite input or output value, if any: derivatives
        at such a point cannot be checked (and NaN compares false with every tolerance)."""
        counts = {"input": 0, "output": 0}
        for what, values in self.values:
            k = counts[what]
            counts[what] += 1
            bad = np.argwhere(~np.isfinite(values))
            if len(bad):
                where = tuple(int(i) for i in bad[0])
                error = (
                    f"non-finite {what} {k} at element {where}: {values[where]}; derivatives "
                    "cannot be checked where the function's values are not finite"
                )
                return [
                    Check("values", None, None, np.inf, np.inf, np.nan, np.nan, False, error=error)
                ]
        return []

    def flat(self, *arrays) -> np.ndarray:
        with no_grad():
            outs = _outputs(self.f(*[Tensor(a) for a in arrays]))
        return np.concatenate([o.data.reshape(-1) for o in outs]) if outs else np.zeros(0)

    def run(self, modes, fast, rng) -> GradcheckResult:
        result = GradcheckResult([], self.eps, self.atol, self.rtol)
        result.checks = self.nonfinite_values()
        if result.checks:
            return result
        if fast:
            checks = self.projected(modes, rng)
            if all(c.passed for c in checks):
                result.checks = checks
                result.notes.append("fast: random projections only")
                return result
            result.notes.append("fast: a projection failed, so every element was compared")
        onesided = numerical.one_sided_jacobians(self.flat, self.arrays, self.eps)
        analytic = {}
        for mode in (m for m in modes if m in ("rev", "fwd")):
            try:
                analytic[mode] = self.jacobians(mode)
            except NoJvpError as err:
                result.notes.append(f"{MODE_NAMES[mode]} not checked: {err}")
            except (ValueError, TypeError, RuntimeError, IndexError) as err:
                result.checks.append(
                    Check(mode, None, None, np.inf, np.inf, np.nan, np.nan, False, error=str(err))
                )
        for mode, jacs in analytic.items():
            for j, (jac, sided) in enumerate(zip(jacs, onesided, strict=True)):
                for o in range(len(self.out_shapes)):
                    rows = slice(self.bounds[o], self.bounds[o + 1])
                    result.checks.append(self.compare(mode, o, j, jac[rows], sided, rows))
        if "rev" in analytic and "fwd" in analytic:
            result.checks.append(self.adjoint(analytic["fwd"], analytic["rev"], rng))
        return result

    def jacobians(self, mode) -> list[np.ndarray]:
        """The analytic Jacobians (total output size x input size), one per input."""
        size = int(self.bounds[-1])
        jacs = [np.zeros((size, a.size)) for a in self.arrays]
        if mode == "rev":
            out, pullback = vjp(self.f, *self.arrays)
            for k in range(size):
                for j, g in enumerate(pullback(self._split(np.eye(1, size, k)[0]))):
                    jacs[j][k] = g.data.reshape(-1)
        else:
            for j, a in enumerate(self.arrays):
                for e in range(a.size):
                    tangents = [np.zeros(b.shape) for b in self.arrays]
                    tangents[j].reshape(-1)[e] = 1.0
                    _, tangent = jvp(self.f, self.arrays, tangents)
                    jacs[j][:, e] = np.concatenate([t.data.reshape(-1) for t in _outputs(tangent)])
        return jacs

    def _split(self, flat):
        parts = [
            flat[self.bounds[o] : self.bounds[o + 1]].reshape(s)
            for o, s in enumerate(self.out_shapes)
        ]
        return parts if self.tuple_out else parts[0]

    def compare(self, mode, o, j, analytic, sided, rows) -> Check:
        numeric = sided.central[rows]
        left, right = sided.backward[rows], sided.forward[rows]
        nonfinite = ~np.isfinite(analytic) | ~np.isfinite(left) | ~np.isfinite(right)
        if nonfinite.any():
            return self.nonfinite(mode, o, j, analytic, numeric, nonfinite)
        err = np.abs(analytic - numeric)
        tol = self.atol + self.rtol * np.abs(numeric)
        low, high = np.minimum(left, right) - tol, np.maximum(left, right) + tol
        # At a kink the one-sided derivatives differ; any value between them is a valid
        # (sub)derivative, so a mismatch with the central difference there is no error.
        kink = np.abs(right - left) > tol
        excused = kink & (analytic >= low) & (analytic <= high)
        bad = (err > tol) & ~excused
        err = np.where(excused, 0.0, err)
        worst = np.unravel_index(int(np.argmax(err)), err.shape) if err.size else None
        check = Check(
            mode,
            o,
            j,
            float(err.max(initial=0)),
            float((err / np.maximum(np.abs(numeric), 1e-12)).max(initial=0)),
            float(analytic[worst]) if worst else 0.0,
            float(numeric[worst]) if worst else 0.0,
            not bad.any(),
        )
        if worst:
            check.out_index = tuple(int(i) for i in np.unravel_index(worst[0], self.out_shapes[o]))
            check.in_index = tuple(int(i) for i in np.unravel_index(worst[1], self.arrays[j].shape))
        for e in sorted(set(np.nonzero(kink)[1].tolist())):
            col = kink[:, e]
            r = int(np.argmax(col))
            index = tuple(int(i) for i in np.unravel_index(e, self.arrays[j].shape))
            check.kinks.append((index, float(left[r, e]), float(right[r, e])))
        return check

    def nonfinite(self, mode, o, j, analytic, numeric, mask) -> Check:
        """The failed check for the first element where a derivative is not finite."""
        r, e = (int(i) for i in np.argwhere(mask)[0])
        out_index = tuple(int(i) for i in np.unravel_index(r, self.out_shapes[o]))
        in_index = tuple(int(i) for i in np.unravel_index(e, self.arrays[j].shape))
        a, n = float(analytic[r, e]), float(numeric[r, e])
        if not np.isfinite(a) and not np.isfinite(n):
            which, cause = "analytic and numeric", "f is not differentiable at this input"
        elif not np.isfinite(a):
            which, cause = "analytic", "the rule returned it"
        else:
            which = "numeric"
            cause = f"f is not finite within eps {self.eps:g} of the input, or eps is too small"
        error = (
            f"non-finite {which} derivative d(output {o})/d(input {j}) at output element "
            f"{out_index}, input element {in_index}: analytic {a:.6g}, numeric {n:.6g} ({cause})"
        )
        check = Check(mode, o, j, np.inf, np.inf, a, n, False, error=error)
        check.out_index, check.in_index = out_index, in_index
        return check

    def adjoint(self, fwd, rev, rng) -> Check:
        size = int(self.bounds[-1])
        v = rng.standard_normal(size)
        us = [rng.standard_normal(a.size) for a in self.arrays]
        with np.errstate(invalid="ignore", over="ignore"):  # non-finite values fail below
            a = float(sum(v @ (jf @ u) for jf, u in zip(fwd, us, strict=True)))
            b = float(sum((jr.T @ v) @ u for jr, u in zip(rev, us, strict=True)))
        err = abs(a - b)
        ok = err <= 1e-10 * max(1.0, abs(a), abs(b)) + self.atol * 1e-3
        check = Check("adjoint", None, None, err, err / max(abs(b), 1e-12), a, b, ok)
        if not (np.isfinite(a) and np.isfinite(b)):
            check.passed = False
            check.error = (
                f"non-finite value in the adjoint identity: <v, J u> by forward mode is {a:.6g}, "
                f"<J^T v, u> by reverse mode is {b:.6g}"
            )
        return check

    def projected(self, modes, rng) -> list[Check]:
        """Random projections: <v, J u> numerically vs by each mode (two evaluations)."""
        us = [rng.standard_normal(a.shape) for a in self.arrays]
        v = rng.standard_normal(int(self.bounds[-1]))
        numeric_ju = numerical.jvp(self.flat, self.arrays, us, self.eps)
        numeric = float(v @ numeric_ju)
        tol = self.atol + self.rtol * abs(numeric)
        checks, values = [], {}
        try:
            if "rev" in modes:
                _, pullback = vjp(self.f, *self.arrays)
                grads = pullback(self._split(v))
                values["rev"] = float(
                    sum(np.sum(g.data * u) for g, u in zip(grads, us, strict=True))
                )
            if "fwd" in modes:
                _, tangent = jvp(self.f, self.arrays, us)
                ju = np.concatenate([t.data.reshape(-1) for t in _outputs(tangent)])
                values["fwd"] = float(v @ ju)
        except (ValueError, TypeError, RuntimeError, IndexError) as err:
            return [
                Check("rev", None, None, np.inf, np.inf, np.nan, numeric, False, error=str(err))
            ]
        for mode, value in values.items():
            err = abs(value - numeric)
            checks.append(
                Check(
                    mode,
                    None,
                    None,
                    err,
                    err / max(abs(numeric), 1e-12),
                    value,
                    numeric,
                    bool(err <= tol),  # NaN compares false: a NaN projection fails
                )
            )
        return checks


def precision_notes(f, arrays) -> list[str]:
    """A note for the first recorded node that computes in a precision below float64: finite
    differences through it carry round-off that can fake a failure."""
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    with enable_grad():
        outs = _outputs(f(*xs))
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
        outs = _outputs(f(*xs))
    order = toposort([o for o in outs if o.requires_grad])
    for index, t in enumerate(order):
        op = t._op
        if op is None or t.dtype != np.float64:  # finite differences in float32 are noise
            continue
        for i in op.needs:
            culprit = _check_node(index, op, i, t.data, atol, rtol, rng)
            if culprit is not None:
                return culprit
    return None


def _check_node(index, op, i, ans, atol, rtol, rng) -> Culprit | None:
    args = [np.asarray(a) for a in op.args]
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


def check_function(
    f,
    *shapes,
    trials: int = 3,
    rng: np.random.Generator | None = None,
    low: float = -2.0,
    high: float = 2.0,
    second_order: bool = False,
    modes=("rev", "fwd"),
    **options,
) -> list[GradcheckResult]:
    """gradcheck (and gradgradcheck with `second_order`) of `f` on `trials` random float64
    inputs, uniform in [low, high], of the given shapes (one per input). Raises
    GradcheckError naming the trial and shapes on failure; returns the results."""
    integer(trials, "check", "trials", low=1)
    low = number(low, "check", "low")
    high = number(high, "check", "high")
    if not low < high:
        raise ValueError(
            f"check: inputs are drawn from [low, high], so low < high; got {low:g}, {high:g}"
        )
    flag(second_order, "check", "second_order")
    if not shapes:
        raise ValueError("check: give one shape per input of the function, e.g. (3,) or (2, 3)")
    shapes = [_shape(shape, k) for k, shape in enumerate(shapes)]
    rng = np.random.default_rng(0) if rng is None else rng
    results = []
    for trial in range(trials):
        arrays = [rng.uniform(low, high, shape) for shape in shapes]
        try:
            results.append(gradcheck(f, *arrays, modes=modes, rng=rng, **options))
            if second_order:
                second = {k: v for k, v in options.items() if k != "fast"}
                results.append(gradgradcheck(f, *arrays, modes=modes, rng=rng, **second))
        except GradcheckError as err:
            raise GradcheckError(
                f"trial {trial} with input shapes {list(shapes)}:\n{err}"
            ) from None
    return results


def _shape(shape, k: int) -> tuple[int, ...]:
    """A shape of at least one element: a tuple of positive ints (an int n means (n,))."""
    dims = ints(shape, "check", f"shape {k}")
    if any(n < 1 for n in dims):
        raise ValueError(
            f"check: shape {k} is {dims}; every dimension must be at least 1 (an input with no "
            "elements has nothing to check)"
        )
    return dims


def locate_second_order(
    f, arrays, atol: float = 1e-5, rtol: float = 1e-3, rng: np.random.Generator | None = None
) -> Culprit | None:
    """Check, node by node, that each VJP rule run on Tensors differentiates like its NumPy
    run under finite differences; return the first node whose rule does not."""
    rng = np.random.default_rng(2) if rng is None else rng
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    with enable_grad():
        outs = _outputs(f(*xs))
    for index, t in enumerate(toposort([o for o in outs if o.requires_grad])):
        op = t._op
        if op is None or isinstance(op, CustomOp):  # a NumPy backward: first order only
            continue
        args = [np.asarray(a) for a in op.args]
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
