"""Shape primitives: they move or copy values and never change them, so all are linear."""

from __future__ import annotations

import numpy as np

from minigrad.autodiff.graph import Primitive
from minigrad.autodiff.reverse import unbroadcast


class Reshape(Primitive):
    """y = reshape(x, shape);   dy = reshape(dx, shape)."""

    __slots__ = ("shape",)
    name = "reshape"
    linear = view = True

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, x):
        if type(x) is np.ndarray:  # (the method: a fifth of np.reshape's cost on small arrays)
            return x.reshape(self.shape)
        return np.reshape(x, self.shape)

    def vjp(self, xp, i, g, ans, x):
        return g.reshape(x.shape)

    def jvp(self, xp, i, dx, ans, x):
        return dx.reshape(ans.shape)

    def batched_jvp(self, xp, i, dx, ans, x):
        return dx.reshape((dx.shape[0], *ans.shape))

    def batched_vjp(self, xp, i, g, ans, x):
        return g.reshape((g.shape[0], *np.shape(x)))


class Transpose(Primitive):
    """y = transpose(x, axes);   dy = transpose(dx, axes)."""

    __slots__ = ("axes",)
    name = "transpose"
    linear = view = True

    def __init__(self, axes: tuple[int, ...]) -> None:
        self.axes = axes

    def forward(self, x):
        if type(x) is np.ndarray:  # (the method: a quarter of np.transpose's cost)
            return x.transpose(self.axes)
        return np.transpose(x, self.axes)

    def vjp(self, xp, i, g, ans, x):
        return g.transpose(tuple(np.argsort(self.axes)))

    def jvp(self, xp, i, dx, ans, x):
        return dx.transpose(self.axes)

    def batched_jvp(self, xp, i, dx, ans, x):
        return dx.transpose((0, *(a + 1 for a in self.axes)))

    def batched_vjp(self, xp, i, g, ans, x):
        return g.transpose((0, *(int(a) + 1 for a in np.argsort(self.axes))))


class BroadcastTo(Primitive):
    """y = broadcast_to(x, shape);   dy = broadcast_to(dx, shape). The VJP sums the copies."""

    __slots__ = ("shape",)
    name = "broadcast_to"
    linear = view = True

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, x):
        return np.broadcast_to(x, self.shape)

    def vjp(self, xp, i, g, ans, x):
        return unbroadcast(g, np.shape(x))

    def jvp(self, xp, i, dx, ans, x):
        return xp.broadcast_to(dx, self.shape)

    def batched_jvp(self, xp, i, dx, ans, x):
        lead = len(self.shape) - np.ndim(x)  # align x's axes with the output's
        dx = dx.reshape((dx.shape[0],) + (1,) * lead + tuple(dx.shape[1:]))
        return xp.broadcast_to(dx, (dx.shape[0], *self.shape))

    def batched_vjp(self, xp, i, g, ans, x):
        return g  # the engine sums it down to (batch, *x.shape)


def is_basic_index(index: tuple) -> bool:
    """Basic indexing (ints, slices, None, ...) selects each element at most once."""
    return all(isinstance(k, int | slice | type(None)) or k is Ellipsis for k in index)


class GetItem(Primitive):
    """y = x[index];   dy = dx[index]. The VJP scatter-adds, so repeated indices accumulate."""

    __slots__ = ("index",)
    name = "getitem"
    linear = True

    def __init__(self, index: tuple) -> None:
        self.index = index

    @property
    def view(self) -> bool:
        return is_basic_index(self.index)

    def forward(self, x):
        return x[self.index]

    def vjp(self, xp, i, g, ans, x):
        return ScatterAdd(self.index, np.shape(x))(g)

    def jvp(self, xp, i, dx, ans, x):
        return dx[self.index]

    def batched_vjp(self, xp, i, g, ans, x):
        if not is_basic_index(self.index):
            return NotImplemented  # (advanced indices would move the batch axis)
        return ScatterAdd((slice(None), *self.index), (g.shape[0], *np.shape(x)))(g)

    def batched_jvp(self, xp, i, dx, ans, x):
        if not is_basic_index(self.index):
            return NotImplemented
        return dx[(slice(None), *self.index)]


class ScatterAdd(Primitive):
    """y = zeros(shape) with y[index] += x;   dy likewise from dx. The adjoint of getitem."""

    __slots__ = ("index", "shape")
    name = "scatter_add"
    linear = True

    def __init__(self, index: tuple, shape: tuple[int, ...]) -> None:
        self.index, self.shape = index, shape

    def forward(self, x):
        x = np.asarray(x)
        out = np.zeros(self.shape, dtype=x.dtype)
        if is_basic_index(self.index):
            out[self.index] = x
        else:
            np.add.at(out, self.index, x)
        return out

    def vjp(self, xp, i, g, ans, x):
        return g[self.index]

    def batched_vjp(self, xp, i, g, ans, x):
        if not is_basic_index(self.index):
            return NotImplemented
        return g[(slice(None), *self.index)]

    def jvp(self, xp, i, dx, ans, x):
        return ScatterAdd(self.index, self.shape)(dx)


class Concatenate(Primitive):
    """y = concatenate(xs, axis);   dy = concatenate(dxs, axis). The VJP slices."""

    __slots__ = ("axis",)
    name = "concatenate"
    linear = True

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, *xs):
        return np.concatenate(xs, axis=self.axis)

    def vjp(self, xp, i, g, ans, *xs):
        start = sum(np.shape(x)[self.axis] for x in xs[:i])
        block = slice(start, start + np.shape(xs[i])[self.axis])
        return g[(slice(None),) * self.axis + (block,)]

    def jvp(self, xp, i, dx, ans, *xs):
        parts = [dx if j == i else xp.zeros_like(x) for j, x in enumerate(xs)]
        return xp.concatenate(parts, axis=self.axis)
