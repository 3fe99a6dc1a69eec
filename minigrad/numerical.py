"""Numerical differentiation by central differences, always in float64."""

from __future__ import annotations

import numpy as np


def step_sizes(x: np.ndarray, eps: float) -> np.ndarray:
    """Per-element steps relative to |x| (absolute near 0): eps * max(1, |x|)."""
    return eps * np.maximum(1.0, np.abs(x))


def central_jacobian(f, inputs, eps: float = 1e-6) -> list[np.ndarray]:
    """Jacobians of `f(*inputs)` (arrays in, array out) with respect to each input.

    Returns one matrix of shape (output size, input size) per input, each column
    (f(x + h e_j) - f(x - h e_j)) / 2h. The inputs are promoted to float64.
    """
    xs = [np.array(x, dtype=np.float64, order="C") for x in inputs]
    out_size = np.asarray(f(*xs)).size
    jacobians = []
    for x in xs:
        jac = np.empty((out_size, x.size))
        steps = step_sizes(x, eps).reshape(-1)
        flat = x.reshape(-1)  # a view: perturbing it perturbs x
        for j in range(x.size):
            saved = flat[j]
            flat[j] = saved + steps[j]
            plus = np.array(f(*xs), dtype=np.float64).reshape(-1)  # a copy, not a view of x
            flat[j] = saved - steps[j]
            minus = np.array(f(*xs), dtype=np.float64).reshape(-1)
            flat[j] = saved
            jac[:, j] = (plus - minus) / (2 * steps[j])
        jacobians.append(jac)
    return jacobians


def central_directional(f, inputs, directions, eps: float = 1e-6) -> np.ndarray:
    """The directional derivative J u of `f` at `inputs` along `directions` (one per input),
    by one central difference: (f(x + h u) - f(x - h u)) / 2h."""
    xs = [np.asarray(x, dtype=np.float64) for x in inputs]
    us = [np.asarray(u, dtype=np.float64) for u in directions]
    scale = max(1.0, *(float(np.abs(x).max(initial=0)) for x in xs))
    h = eps * scale
    plus = np.asarray(f(*[x + h * u for x, u in zip(xs, us, strict=True)]), dtype=np.float64)
    minus = np.asarray(f(*[x - h * u for x, u in zip(xs, us, strict=True)]), dtype=np.float64)
    return (plus - minus) / (2 * h)
