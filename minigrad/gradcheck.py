"""Gradient checking that explains itself: what is wrong, where, and by how much.

`gradcheck` compares reverse mode and forward mode with central differences (float64) and with
each other; `gradgradcheck` does the same for second derivatives. A failure names the mode, the
output and input, the worst element, both values and the tolerance, and the recorded node whose
own derivative is wrong. Elements at a kink (relu at 0, ties of max) are reported as kinks.
"""

from __future__ import annotations

import warnings

import numpy as np

from minigrad import numerical, pytree
from minigrad.autodiff.mode import no_grad
from minigrad.culprit import locate_culprit, locate_second_order, precision_notes
from minigrad.dtypes import as_array
from minigrad.function import NoJvpError
from minigrad.gradcheck_report import (
    MODE_NAMES,
    Check,
    Culprit,
    GradcheckError,
    GradcheckResult,
    GradcheckWarning,
    outputs_of,
)
from minigrad.tensor import Tensor
from minigrad.transforms import jvp, vjp
from minigrad.validate import choice, flag, number

__all__ = [
    "MODE_NAMES",
    "Check",
    "Culprit",
    "GradcheckError",
    "GradcheckResult",
    "GradcheckWarning",
    "gradcheck",
    "gradgradcheck",
    "locate_culprit",
    "locate_second_order",
]


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

    An input may be a pytree (nested tuples, lists, dicts, namedtuples) of arrays: every leaf
    is checked, and reports name it by its path, `params['w']` (flat inputs by number).

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
    f, inputs, names = _flattened(f, inputs, "gradcheck")
    arrays = _promote(inputs, names)
    rng = options.pop("rng")
    checker = _Checker(f, arrays, names, **options)
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
    f, inputs, names = _flattened(f, inputs, "gradgradcheck")
    arrays = _promote(inputs, names, "gradgradcheck")
    rng = options.pop("rng")
    with no_grad():
        outs = outputs_of(f(*[Tensor(a) for a in arrays]))
    cotangents = [rng.standard_normal(o.shape) for o in outs]

    def gradient(*xs):
        out, pullback = vjp(f, *xs)
        return pullback(type(out)(cotangents) if isinstance(out, tuple | list) else cotangents[0])

    checker = _Checker(gradient, arrays, names, **options)
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


def _flattened(f, inputs, where: str):
    """`f` as a function of the leaves of its pytree inputs, the leaves, and their names
    (`params['w']`); `f`, `inputs` and None when every input is one array, so that reports
    number the inputs as they always have."""
    flat = [pytree.flatten(x, where) for x in inputs]
    if all(d.kind is None for _, d in flat):
        return f, inputs, None
    defs = [d for _, d in flat]
    names = [
        pytree.name(pytree.parameter_name(f, k, f"inputs[{k}]"), path, f"input {k}")
        for k, d in enumerate(defs)
        for path in d.paths()
    ]

    def f_of_leaves(*xs):
        trees, start = [], 0
        for d in defs:
            trees.append(d.unflatten(xs[start : start + d.num_leaves]))
            start += d.num_leaves
        return f(*trees)

    return f_of_leaves, [leaf for leaves, _ in flat for leaf in leaves], names


def _promote(inputs, names=None, where: str = "gradcheck") -> list[np.ndarray]:
    if not inputs:
        raise ValueError(f"{where}: no inputs to differentiate with respect to")
    arrays = []
    for k, x in enumerate(inputs):
        what = f"input {k}" if names is None else names[k]
        try:
            a = as_array(x.detach() if isinstance(x, Tensor) else x)  # the values at which to check
        except (TypeError, ValueError) as err:
            raise TypeError(
                f"{where}: {what}: {err}; inputs are arrays, or pytrees (nested tuples, lists, "
                "dicts) of arrays"
            ) from None
        if a.dtype.kind != "f":
            raise TypeError(
                f"{where}: {what} has dtype {a.dtype}; only floating-point "
                "inputs can be differentiated"
            )
        if a.size == 0:
            raise ValueError(
                f"{where}: {what} has shape {a.shape}, with no elements: there is nothing to check"
            )
        if a.dtype != np.float64:
            warnings.warn(
                f"{where}: {what} is {a.dtype}; it is checked in float64, because finite "
                f"differences in {a.dtype} carry round-off errors near 1e-3 that would hide or "
                "fake a wrong gradient",
                GradcheckWarning,
                stacklevel=3,
            )
        arrays.append(np.array(a, dtype=np.float64, order="C"))
    return arrays


class _Checker:
    """The comparisons of one gradcheck: numeric Jacobians once, analytic ones per mode."""

    def __init__(self, f, arrays, names, eps, atol, rtol) -> None:
        self.f, self.arrays, self.eps, self.atol, self.rtol = f, arrays, eps, atol, rtol
        self.names = names  # of the inputs, for pytree inputs (else they are numbered)
        with no_grad():
            out = f(*[Tensor(a) for a in arrays])
        outs = outputs_of(out)
        self.out_shapes = [o.shape for o in outs]
        self.out_type = None if isinstance(out, Tensor) else type(out)  # tuple or list
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
                which = self.input_name(k) if what == "input" else f"output {k}"
                error = (
                    f"non-finite {which} at element {where}: {values[where]}; derivatives "
                    "cannot be checked where the function's values are not finite"
                )
                return [
                    Check("values", None, None, np.inf, np.inf, np.nan, np.nan, False, error=error)
                ]
        return []

    def input_name(self, j: int) -> str:
        return f"input {j}" if self.names is None else self.names[j]

    def flat(self, *arrays) -> np.ndarray:
        with no_grad():
            outs = outputs_of(self.f(*[Tensor(a) for a in arrays]))
        return np.concatenate([o.data.reshape(-1) for o in outs]) if outs else np.zeros(0)

    def run(self, modes, fast, rng) -> GradcheckResult:
        result = GradcheckResult([], self.eps, self.atol, self.rtol, inputs=self.names)
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
                    jacs[j][:, e] = np.concatenate(
                        [t.data.reshape(-1) for t in outputs_of(tangent)]
                    )
        return jacs

    def _split(self, flat):
        parts = [
            flat[self.bounds[o] : self.bounds[o + 1]].reshape(s)
            for o, s in enumerate(self.out_shapes)
        ]
        return parts[0] if self.out_type is None else self.out_type(parts)

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
            f"non-finite {which} derivative d(output {o})/d({self.input_name(j)}) at output "
            f"element {out_index}, input element {in_index}: analytic {a:.6g}, numeric "
            f"{n:.6g} ({cause})"
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
                ju = np.concatenate([t.data.reshape(-1) for t in outputs_of(tangent)])
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
