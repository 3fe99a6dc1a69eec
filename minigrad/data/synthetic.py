"""Small synthetic classification sets in pure NumPy: moons, spirals, blobs."""

from __future__ import annotations

import numpy as np

from minigrad.validate import generator, integer, number


def moons(n: int, rng: np.random.Generator, noise: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles: points (n, 2) float32 and labels 0/1 (n // 2 each)."""
    _check(n, rng, "moons", noise=noise)
    n0 = n // 2
    t0 = rng.uniform(0, np.pi, n0)
    t1 = rng.uniform(0, np.pi, n - n0)
    x = np.concatenate(
        [np.stack([np.cos(t0), np.sin(t0)], 1), np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], 1)]
    )
    y = np.concatenate([np.zeros(n0, np.int64), np.ones(n - n0, np.int64)])
    x += rng.normal(0, noise, x.shape)
    return _shuffled(x.astype(np.float32), y, rng)


def spirals(
    n: int, rng: np.random.Generator, classes: int = 3, noise: float = 0.2, turns: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """`classes` interleaved spiral arms in the plane, radius 0 to 1, about n / classes each."""
    _check(n, rng, "spirals", noise=noise, classes=classes)
    number(turns, "spirals", "turns")
    y = np.arange(n) % classes
    r = rng.uniform(0, 1, n)
    angle = 2 * np.pi * (turns * r + y / classes) + rng.normal(0, noise, n)
    x = np.stack([r * np.sin(angle), r * np.cos(angle)], 1)
    return _shuffled(x.astype(np.float32), y.astype(np.int64), rng)


def blobs(
    n: int,
    rng: np.random.Generator,
    centers: int = 3,
    dim: int = 2,
    std: float = 1.0,
    spread: float = 5.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Isotropic Gaussian clusters around `centers` random centres in [-spread, spread]^dim."""
    _check(n, rng, "blobs", std=std, centers=centers, dim=dim)
    number(spread, "blobs", "spread", low=0)
    means = rng.uniform(-spread, spread, (centers, dim))
    y = np.arange(n) % centers
    x = means[y] + rng.normal(0, std, (n, dim))
    return _shuffled(x.astype(np.float32), y.astype(np.int64), rng)


def _check(n, rng, where: str, **settings) -> None:
    """n >= 0 examples, a Generator, counts >= 1 and spreads >= 0."""
    integer(n, where, "n", low=0)
    generator(rng, where)
    for name, value in settings.items():
        if name in ("classes", "centers", "dim"):
            integer(value, where, name, low=1)
        else:
            number(value, where, name, low=0)


def _shuffled(x, y, rng):
    order = rng.permutation(len(y))
    return x[order], y[order]
