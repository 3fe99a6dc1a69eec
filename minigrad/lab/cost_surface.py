"""Glorot and Bengio (2010), figure 5: the cross-entropy and the quadratic cost of a two-layer
network as functions of two weights, one in each layer. The quadratic cost has plateaus (wide
regions where its gradient nearly vanishes) that the cross-entropy does not.

The network: p(y = 1 | x) = sigmoid(w2 tanh(w1 x + b1) + b2) on a one-dimensional two-class
problem; w1 and w2 are scanned on a grid, everything else is fixed. Costs and gradients come from
minigrad on the whole grid at once (the grid is a batch of weights broadcast against the data).
"""

from __future__ import annotations

import numpy as np

import minigrad as mg
from minigrad.nn.activations import softplus
from minigrad.validate import choice

COSTS = ("cross_entropy", "quadratic")


def two_class_data(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """`n` points x ~ N(0, 1), labelled 1 when x + noise > 0.3 (float64, labels 0/1)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ValueError(f"two_class_data: n must be a whole number >= 2, got {n!r}")
    x = rng.normal(0, 1, n)
    y = (x + rng.normal(0, 0.3, n) > 0.3).astype(np.float64)
    return x, y


def cost(w1: mg.Tensor, w2: mg.Tensor, x: np.ndarray, y: np.ndarray, kind: str) -> mg.Tensor:
    """The mean cost over the data for every (w1, w2) of the broadcast weights: `w1` and `w2`
    of any shape (G...) give costs of that shape."""
    choice(kind, COSTS, "cost_surface.cost", "kind")
    b1, b2 = 0.2, -0.5
    h = mg.tanh(w1[..., None] * x + b1)
    z = w2[..., None] * h + b2
    if kind == "quadratic":
        return ((mg.sigmoid(z) - y) ** 2).mean(axis=-1)
    # -[y log p + (1 - y) log(1 - p)] = softplus(z) - y z, written stably
    return (softplus(z) - y * z).mean(axis=-1)


def surfaces(x: np.ndarray, y: np.ndarray, span: float = 6.0, n: int = 121) -> dict:
    """Both costs and their gradient norms on an n x n grid of (w1, w2) in [-span, span]^2."""
    x, y = _check_data(x, y)
    axis = np.linspace(-span, span, n)
    w1, w2 = (mg.Tensor(a, requires_grad=True) for a in np.meshgrid(axis, axis, indexing="ij"))
    out = {"axis": axis}
    for kind in COSTS:
        c = cost(w1, w2, x, y, kind)
        g1, g2 = mg.autograd.grad(c.sum(), [w1, w2])  # each grid point's cost is independent
        out[kind] = c.numpy()
        out[kind + "_grad"] = np.hypot(g1.numpy(), g2.numpy())
    return out


def plateau_fraction(costs: np.ndarray, grad_norm: np.ndarray, rel: float = 0.05) -> float:
    """The fraction of the grid that is a plateau: the cost above its median (far from a
    minimum) while the gradient is below `rel` times its largest value on the grid."""
    high = costs > np.median(costs)
    return float(np.mean(high & (grad_norm < rel * grad_norm.max())))


def _check_data(x, y) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.ndim != 1 or x.shape != y.shape or x.size < 2:
        raise ValueError(
            f"cost_surface: x and y must be 1-d of the same length >= 2, got {x.shape} and "
            f"{y.shape}"
        )
    if not (np.isfinite(x).all() and np.isin(y, (0.0, 1.0)).all()):
        raise ValueError("cost_surface: x must be finite and y must be 0 or 1")
    return x, y
