"""Numerical differentiation: forward, backward and central differences, always in float64.

Steps are chosen per element, relative to |x|: h = eps * max(1, |x|).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from minigrad.validate import number

METHODS = ("central", "forward", "backward")


def step_sizes(x: np.ndarray, eps: float) -> np.ndarray:
    """Per-element steps relative to |x| (absolute near 0): eps * max(1, |x|)."""
    return eps * np.maximum(1.0, np.abs(x))


def _as_float64(inputs) -> list[np.ndarray]:
    if isinstance(inputs, np.ndarray) or not isinstance(inputs, tuple | list):
        raise TypeError(
            f"numerical: expected a list with one array per argument, got {type(inputs).__name__}"
            " (write [x], not x)"
        )
    return [np.array(np.asarray(x), dtype=np.float64, order="C") for x in inputs]


def _eps(eps) -> float:
    return number(eps, "numerical", "eps", low=0, low_open=True)


def _evaluate(f, xs) -> np.ndarray:
    """f(*xs) flattened into a float64 copy (never a view of an input)."""
    return np.array(np.asarray(f(*xs)), dtype=np.float64).reshape(-1)


@dataclass
class OneSided:
    """Jacobians of one input by the three difference quotients, from the same evaluations:
    forward (f(x+h) - f(x)) / h, backward (f(x) - f(x-h)) / h, central their mean."""

    forward: np.ndarray
    backward: np.ndarray

    @property
    def central(self) -> np.ndarray:
        return (self.forward + self.backward) / 2


def one_sided_jacobians(f, inputs, eps: float = 1e-6) -> list[OneSided]:
    """For each input, the forward, backward and central Jacobians of `f(*inputs)` (arrays in,
    array out), each of shape (output size, input size). Where the forward and backward
    quotients disagree by more than curvature explains, f has a kink at that element."""
    xs = _as_float64(inputs)
    eps = _eps(eps)
    base = _evaluate(f, xs)
    result = []
    for x in xs:
        fwd, bwd = np.empty((base.size, x.size)), np.empty((base.size, x.size))
        steps = step_sizes(x, eps).reshape(-1)
        flat = x.reshape(-1)  # a view: perturbing it perturbs x
        for j in range(x.size):
            saved = flat[j]
            flat[j] = saved + steps[j]
            plus = _evaluate(f, xs)
            flat[j] = saved - steps[j]
            minus = _evaluate(f, xs)
            flat[j] = saved
            fwd[:, j] = (plus - base) / steps[j]
            bwd[:, j] = (base - minus) / steps[j]
        result.append(OneSided(fwd, bwd))
    return result


def jacobian(f, inputs, eps: float = 1e-6, method: str = "central") -> list[np.ndarray]:
    """Jacobians of `f(*inputs)` with respect to each input, by `method` (central, forward or
    backward differences): one matrix of shape (output size, input size) per input."""
    if method not in METHODS:
        raise ValueError(f"jacobian: method must be one of {METHODS}, got {method!r}")
    return [getattr(j, method) for j in one_sided_jacobians(f, inputs, eps)]


def central_jacobian(f, inputs, eps: float = 1e-6) -> list[np.ndarray]:
    """Central-difference Jacobians (see `jacobian`)."""
    return jacobian(f, inputs, eps, "central")


def jvp(f, inputs, directions, eps: float = 1e-6, method: str = "central") -> np.ndarray:
    """The directional derivative J u of `f` at `inputs` along `directions` (one per input),
    by one difference quotient; the step is eps times the largest |x| (at least eps)."""
    xs, us = _as_float64(inputs), _as_float64(directions)
    eps = _eps(eps)
    if len(xs) != len(us) or any(x.shape != u.shape for x, u in zip(xs, us, strict=False)):
        raise ValueError(
            f"numerical.jvp: the directions must have the inputs' shapes, got "
            f"{[u.shape for u in us]} for inputs {[x.shape for x in xs]}"
        )
    scale = max([1.0] + [float(np.abs(x).max(initial=0)) for x in xs])
    h = eps * scale
    shifted = lambda s: _evaluate(f, [x + s * h * u for x, u in zip(xs, us, strict=True)])
    if method == "central":
        return (shifted(1) - shifted(-1)) / (2 * h)
    if method == "forward":
        return (shifted(1) - _evaluate(f, xs)) / h
    if method == "backward":
        return (_evaluate(f, xs) - shifted(-1)) / h
    raise ValueError(f"jvp: method must be one of {METHODS}, got {method!r}")


def central_directional(f, inputs, directions, eps: float = 1e-6) -> np.ndarray:
    """Central-difference directional derivative J u (see `jvp`), in the output's shape."""
    shape = np.shape(f(*_as_float64(inputs)))
    return jvp(f, inputs, directions, eps).reshape(shape)


@dataclass
class EpsSweep:
    """Errors of forward and central differences against the exact derivative, per eps."""

    eps: np.ndarray
    forward_error: np.ndarray
    central_error: np.ndarray

    @property
    def best_eps(self) -> float:
        """The eps with the smallest central-difference error: the suggested step."""
        return float(self.eps[np.nanargmin(self.central_error)])

    @property
    def best_forward_eps(self) -> float:
        return float(self.eps[np.nanargmin(self.forward_error)])


def eps_sweep(f, x, derivative, eps=None) -> EpsSweep:
    """How the error of finite differences depends on the step (seed 004, section 5.4.1).

    `f` maps an array to an array, `derivative` is its exact derivative along the all-ones
    direction at `x` (for example from `mg.jvp`). Large eps: truncation error (O(eps) forward,
    O(eps^2) central); small eps: round-off (about 1e-16 / eps). The V between is where to be.

    >>> import numpy as np
    >>> sweep = eps_sweep(np.sin, np.array([1.0]), np.cos([1.0]))
    >>> 1e-7 < sweep.best_eps < 1e-3
    True
    """
    eps = np.logspace(-1, -12, 45) if eps is None else np.asarray(eps, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    out_size = np.size(f(x))
    if np.size(derivative) != out_size:
        raise ValueError(
            f"eps_sweep: derivative has {np.size(derivative)} elements but f(x) has {out_size}"
        )
    exact = np.asarray(derivative, dtype=np.float64).reshape(-1)
    ones = np.ones_like(x)
    scale = max(1.0, float(np.abs(exact).max(initial=0)))
    errors = {m: [] for m in ("forward", "central")}
    for e in eps:
        for m in errors:
            d = jvp(f, [x], [ones], eps=float(e), method=m)
            errors[m].append(float(np.abs(d - exact).max(initial=0)) / scale)
    return EpsSweep(eps, np.array(errors["forward"]), np.array(errors["central"]))
