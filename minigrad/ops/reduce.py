"""Reduction primitives over an axis (None, an int or a tuple), with NumPy's `keepdims`."""

from __future__ import annotations

import numpy as np

from minigrad.autodiff.graph import Primitive
from minigrad.dtypes import floating
from minigrad.validate import ints


def normalize_axis(axis, ndim: int, op: str = "reduce", sort: bool = True) -> tuple[int, ...]:
    """The axes as a tuple of non-negative ints (sorted unless `sort` is false), each checked
    to lie in [-ndim, ndim) and to appear once; errors name `op`."""
    if axis is None:
        return tuple(range(ndim))
    if type(axis) is int and -ndim <= axis < ndim:  # the common case, checked at once
        return (axis % ndim,)
    if not isinstance(axis, int | np.integer | tuple | list):
        raise TypeError(f"{op}: axis must be None, an int or a tuple of ints, got {axis!r:.60}")
    axes = ints(axis, op, "axis")
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"{op}: axis {a} is out of bounds for an array of dimension {ndim}")
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {axis}")
    return tuple(sorted(out)) if sort else tuple(out)


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
        if type(x) is np.ndarray:  # (the ufunc's reduce: half of np.sum's cost, same result)
            return np.add.reduce(x, axis=self.axis, keepdims=self.keepdims)
        return np.sum(x, axis=self.axis, keepdims=self.keepdims)

    def vjp(self, xp, i, g, ans, x):
        return xp.broadcast_to(g.reshape(kept_shape(x.shape, self.axis)), x.shape)

    def jvp(self, xp, i, dx, ans, x):
        return dx.sum(axis=self.axis, keepdims=self.keepdims)

    def batched_jvp(self, xp, i, dx, ans, x):
        return dx.sum(axis=tuple(a + 1 for a in self.axis), keepdims=self.keepdims)

    def batched_vjp(self, xp, i, g, ans, x):
        kept = (g.shape[0], *kept_shape(x.shape, self.axis))
        return xp.broadcast_to(g.reshape(kept), (g.shape[0], *x.shape))


class Max(Primitive):
    """y = max(x, axis);   dy = mean of dx over the positions that attain the max.

    NOTE: ties share the derivative evenly, as JAX (and PyTorch's amax) do.
    """

    __slots__ = ("axis", "keepdims")
    name = "max"
    saves = "x ans"
    reduce = staticmethod(np.max)

    def __init__(self, axis: tuple[int, ...], keepdims: bool) -> None:
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        empty = [a for a in self.axis if x.shape[a] == 0]
        if empty:
            raise ValueError(
                f"axis {empty[0]} of shape {x.shape} is empty, and an empty set has no "
                f"{self.name}imum (reduce over other axes, or check the input's size)"
            )
        return self.reduce(x, axis=self.axis, keepdims=self.keepdims)

    def vjp(self, xp, i, g, ans, x):
        return g.reshape(kept_shape(x.shape, self.axis)) * self._share(ans, x)

    def jvp(self, xp, i, dx, ans, x):
        return (dx * self._share(ans, x)).sum(axis=self.axis, keepdims=self.keepdims)

    def _share(self, ans, x):
        """1/k at the k positions that attain the extremum, 0 elsewhere (a constant); a NaN
        extremum is attained by the NaNs (the derivative goes to them, as in PyTorch)."""
        kept = ans.reshape(kept_shape(x.shape, self.axis))
        at_max = (x == kept) | ((x != x) & (kept != kept))
        return at_max / at_max.sum(axis=self.axis, keepdims=True)


class Min(Max):
    """y = min(x, axis);   dy = mean of dx over the positions that attain the min.

    NOTE: a primitive (Max's rules with NumPy's min), not -max(-x): negation wraps around
    for unsigned integers and fails for booleans.
    """

    __slots__ = ()
    name = "min"
    reduce = staticmethod(np.min)


class LogSoftmax(Primitive):
    """y = x - logsumexp(x, axis);   dy = dx - sum(softmax(x) dx, axis).

    NOTE: a primitive for speed: it is the last layer of every classifier, and as a composite
    it costs eight nodes. Stable for large |x| (the max is subtracted first).
    """

    __slots__ = ("axis",)
    name = "log_softmax"
    saves = "ans"

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, x):
        x = floating(np.asarray(x))
        if x.shape[self.axis] == 0:
            return x.copy()  # nothing to normalise
        # (ufunc reductions called directly: np.max and np.sum add a Python layer each, which
        # is a third of the time on a classifier's small batch)
        z = x - np.maximum.reduce(x, axis=self.axis, keepdims=True)
        z -= np.log(np.add.reduce(np.exp(z), axis=self.axis, keepdims=True))
        return z

    def vjp(self, xp, i, g, ans, x):
        return g - xp.exp(ans) * g.sum(axis=self.axis, keepdims=True)

    def jvp(self, xp, i, dx, ans, x):
        return dx - (xp.exp(ans) * dx).sum(axis=self.axis, keepdims=True)

    def batched_vjp(self, xp, i, g, ans, x):
        axis = self.axis + 1 if self.axis >= 0 else self.axis  # past the batch axis
        return g - xp.exp(ans) * g.sum(axis=axis, keepdims=True)

    def batched_jvp(self, xp, i, dx, ans, x):
        axis = self.axis + 1 if self.axis >= 0 else self.axis
        return dx - (xp.exp(ans) * dx).sum(axis=axis, keepdims=True)


# NOTE: a primitive for speed: the loss of every classifier, one node instead of five
# (log_softmax, indexing, negation, mean), measured in benchmarks/bench_train.py. The labels
# are an operand (integers, never differentiated), so a traced program takes them as an input.
class CrossEntropy(Primitive):
    """l_i = logsumexp(x_i) - x[i, y_i] for scores x (N, C) and class labels y (N,), summed,
    averaged or per example;   dl_i = sum_c (softmax(x_i)_c - [c = y_i]) dx_ic.
    """

    __slots__ = ("reduction",)
    name = "cross_entropy"
    saves = {0: "x labels"}

    def __init__(self, reduction: str) -> None:
        self.reduction = reduction

    def forward(self, x, labels):
        labels = np.asarray(labels)
        classes = x.shape[-1]
        # NOTE: one comparison on unsigned values catches both ends (a negative label wraps
        # to a huge one): a third of the time of min() and max() on a small batch.
        if labels.size and (labels.astype(np.uint64, copy=False) >= classes).any():
            raise ValueError(
                f"class labels must be in [0, {classes}), got {labels.min()} to {labels.max()}"
            )
        logp = LogSoftmax(-1).forward(x)
        losses = -logp[np.arange(len(labels)), labels]
        if self.reduction == "none":
            return losses
        total = np.add.reduce(losses)
        return total if self.reduction == "sum" else total / len(losses)

    def _residual(self, xp, x, labels):
        """softmax(x) - one_hot(y): what each score contributes to the derivative."""
        logp = LogSoftmax(-1).forward(x) if xp is np else LogSoftmax(-1)(x)  # (arrays: direct)
        hot = xp.equal(xp.reshape(labels, (-1, 1)), np.arange(x.shape[-1]))
        return xp.exp(logp) - hot

    def vjp(self, xp, i, g, ans, x, labels):
        r = self._residual(xp, x, labels)
        if self.reduction == "none":
            return r * g.reshape(-1, 1)
        return r * (g / len(labels) if self.reduction == "mean" else g)

    def jvp(self, xp, i, dx, ans, x, labels):
        r = self._residual(xp, x, labels)
        if self.reduction == "none":
            return (r * dx).sum(axis=-1)
        total = (r * dx).sum()
        return total / len(labels) if self.reduction == "mean" else total
