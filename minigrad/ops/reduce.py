"""Reduction primitives over an axis (None, an int or a tuple), with NumPy's `keepdims`."""

from __future__ import annotations

import numpy as np

from minigrad.autodiff.graph import Primitive


def normalize_axis(axis, ndim: int) -> tuple[int, ...]:
    """The reduced axes as a sorted tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"axis {a} is out of bounds for an array of dimension {ndim}")
        out.append(int(a) % max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"repeated axis in {axis}")
    return tuple(sorted(out))


def kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """`shape` with the reduced axes kept as length 1."""
    return tuple(1 if a in axes else n for a, n in enumerate(shape))


class Sum(Primitive):
    """y = sum(x, axis);   dy = sum(dx, axis)."""

    __slots__ = ("axis", "keepdims")
    name = "sum"
    linear = True

    def __init__(self, axis: tuple[int, ...], keepdims: bool) -> None:
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        return np.sum(x, axis=self.axis, keepdims=self.keepdims)

    def vjp(self, xp, i, g, ans, x):
        return xp.broadcast_to(g.reshape(kept_shape(x.shape, self.axis)), x.shape)

    def jvp(self, xp, i, dx, ans, x):
        return dx.sum(axis=self.axis, keepdims=self.keepdims)


class Max(Primitive):
    """y = max(x, axis);   dy = mean of dx over the positions that attain the max.

    NOTE: ties share the derivative evenly, as JAX (and PyTorch's amax) do.
    """

    __slots__ = ("axis", "keepdims")
    name = "max"

    def __init__(self, axis: tuple[int, ...], keepdims: bool) -> None:
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        if x.size == 0:
            raise ValueError("max of an empty array")
        return np.max(x, axis=self.axis, keepdims=self.keepdims)

    def vjp(self, xp, i, g, ans, x):
        return g.reshape(kept_shape(x.shape, self.axis)) * self._share(ans, x)

    def jvp(self, xp, i, dx, ans, x):
        return (dx * self._share(ans, x)).sum(axis=self.axis, keepdims=self.keepdims)

    def _share(self, ans, x):
        """1/k at the k positions that attain the max, 0 elsewhere (a constant)."""
        at_max = x == ans.reshape(kept_shape(x.shape, self.axis))
        return at_max / at_max.sum(axis=self.axis, keepdims=True)


class LogSoftmax(Primitive):
    """y = x - logsumexp(x, axis);   dy = dx - sum(softmax(x) dx, axis).

    NOTE: a primitive for speed: it is the last layer of every classifier, and as a composite
    it costs eight nodes. Stable for large |x| (the max is subtracted first).
    """

    __slots__ = ("axis",)
    name = "log_softmax"

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, x):
        z = x - np.max(x, axis=self.axis, keepdims=True)
        z -= np.log(np.sum(np.exp(z), axis=self.axis, keepdims=True))
        return z

    def vjp(self, xp, i, g, ans, x):
        return g - xp.exp(ans) * g.sum(axis=self.axis, keepdims=True)

    def jvp(self, xp, i, dx, ans, x):
        return dx - (xp.exp(ans) * dx).sum(axis=self.axis, keepdims=True)
