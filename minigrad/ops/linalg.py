"""Linear-algebra primitives."""

from __future__ import annotations

import math

import numpy as np

from minigrad.autodiff.graph import Primitive


class MatMul(Primitive):
    """z = x @ y for x, y with ndim >= 2 (batch dims broadcast);   dz = dx @ y + x @ dy.

    1-D operands are handled by `functional.matmul`, which reshapes them around this op.
    """

    __slots__ = ()
    name = "matmul"
    broadcasts = True
    saves = {0: "y", 1: "x"}

    def forward(self, x, y):
        if x.shape[-1] != y.shape[-2]:
            raise ValueError(f"inner dimensions differ: {x.shape} @ {y.shape}")
        return np.matmul(x, y)

    def vjp(self, xp, i, g, ans, x, y):
        return g @ y.mT if i == 0 else x.mT @ g

    def jvp(self, xp, i, dx, ans, x, y):
        return dx @ y if i == 0 else x @ dx

    def batched_vjp(self, xp, i, g, ans, x, y):
        if i == 0 and np.ndim(y) == 2:
            return batch_times_matrix(g, y.mT)
        if i == 1 and np.ndim(x) == 2 and g.ndim == 3:
            return matrix_times_batch(x.mT, g)
        return NotImplemented  # broadcasting matmul

    def batched_jvp(self, xp, i, dx, ans, x, y):
        if i == 0 and np.ndim(y) == 2:
            return batch_times_matrix(dx, y)
        if i == 1 and np.ndim(x) == 2 and dx.ndim == 3:
            return matrix_times_batch(x, dx)
        return NotImplemented  # broadcasting matmul (forward.py aligns dx)


# NOTE: a primitive, not a composite of transpose, matmul and add (nn.Linear's forward,
# PyTorch's F.linear): one node instead of three, measured faster on small networks
# (benchmarks/bench_train.py), and the weight's gradient g.T @ x comes out C-ordered, so the
# optimiser's update runs at full speed.
class Linear(Primitive):
    """y = x @ w.T (+ b) for x of shape (..., in), w (out, in), b (out,);
    dy = dx @ w.T + x @ dw.T (+ db).
    """

    __slots__ = ()
    name = "linear"
    broadcasts = True
    saves = {0: "w", 1: "x", 2: ""}

    def forward(self, x, w, b=None):
        if x.shape[-1] != w.shape[-1]:
            raise ValueError(f"inner dimensions differ: {x.shape} @ {w.shape}.T")
        out = np.matmul(x, w.T)
        if b is None:
            return out
        if np.result_type(out, b) == out.dtype:
            out += b  # in place: the product is a fresh array
            return out
        return out + b

    def vjp(self, xp, i, g, ans, x, w, b=None):
        if i == 0:
            return g @ w
        if i == 1:
            return matrix(g).mT @ matrix(x)
        return g  # the engine sums it down to b's shape

    def jvp(self, xp, i, dx, ans, x, w, b=None):
        if i == 0:
            return dx @ w.mT
        if i == 1:
            return x @ dx.mT
        return dx  # the engine broadcasts it to the output's shape

    def batched_vjp(self, xp, i, g, ans, x, w, b=None):
        if i == 0:
            return batch_times_matrix(g, w)
        if i == 1:  # one weight gradient g_b^T x per cotangent, in one product
            rows = g.reshape((g.shape[0], math.prod(g.shape[1:-1]), g.shape[-1])).mT
            return batch_times_matrix(rows, matrix(x))
        return g  # the engine sums it down to (batch, *b.shape)

    def batched_jvp(self, xp, i, dx, ans, x, w, b=None):
        if i == 0:
            return batch_times_matrix(dx, w.mT)
        if i == 1 and np.ndim(x) == 2:
            return matrix_times_batch(x, dx.mT)
        return NotImplemented


# NOTE: a batch of tangents times a matrix, and a matrix times a batch, as one matrix product
# (the batch folded into the rows or the columns): NumPy's broadcasting matmul would make one
# small product per tangent, 100x slower for a batch of 1,000 vectors (bench_jacobians.py).
def matrix(a):
    """`a` (..., k) as a matrix (rows, k), also when it has no elements."""
    if a.ndim == 2:
        return a
    return a.reshape((math.prod(a.shape[:-1]), a.shape[-1]))


def batch_times_matrix(a, m):
    """a @ m for a of shape (..., n, k) and a matrix m (k, p)."""
    return (matrix(a) @ m).reshape((*a.shape[:-1], m.shape[-1]))


def matrix_times_batch(m, a):
    """m @ a[b] for each b, for a matrix m (n, k) and a of shape (batch, k, p)."""
    batch, k, p = a.shape
    folded = a.transpose((1, 0, 2)).reshape((k, batch * p))
    return (m @ folded).reshape((m.shape[0], batch, p)).transpose((1, 0, 2))


class Einsum(Primitive):
    """z = einsum(spec, *xs), linear in each input;   dz = sum_i einsum(spec, ..dx_i..).

    The VJP of input i contracts g with the other inputs; indices of x_i that appear nowhere
    else were summed away and come back by broadcasting. Explicit indices only (no `...`,
    no index repeated within one operand).
    """

    __slots__ = ("subscripts", "ins", "out")
    name = "einsum"

    def __init__(self, subscripts: str) -> None:
        spec = subscripts.replace(" ", "")
        lhs, arrow, out = spec.partition("->")
        ins = lhs.split(",")
        if "." in spec:
            raise ValueError(f"einsum: ellipsis is not supported: {subscripts!r}")
        if any(len(set(s)) != len(s) for s in ins):
            raise ValueError(
                f"einsum: an index repeats within one operand (a diagonal), "
                f"which is not supported: {subscripts!r}"
            )
        if not arrow:
            out = "".join(sorted(c for c in set(lhs) - {","} if lhs.count(c) == 1))
        self.subscripts, self.ins, self.out = f"{lhs}->{out}", ins, out

    def forward(self, *xs):
        if len(xs) != len(self.ins):
            raise ValueError(f"{self.subscripts!r} needs {len(self.ins)} operands")
        out = np.einsum(self.subscripts, *xs)
        # NumPy returns a view for "i->i" or "ij->ji": copy, as the other non-view ops do.
        return out.copy() if isinstance(out, np.ndarray) and out.base is not None else out

    def vjp(self, xp, i, g, ans, *xs):
        others = [s for j, s in enumerate(self.ins) if j != i]
        target = self.ins[i]
        kept = "".join(c for c in target if c in self.out or any(c in s for s in others))
        spec = ",".join([self.out, *others]) + "->" + kept
        r = xp.einsum(spec, g, *[x for j, x in enumerate(xs) if j != i])
        if kept != target:
            shape = np.shape(xs[i])
            r = r.reshape(tuple(n if c in kept else 1 for c, n in zip(target, shape, strict=True)))
            r = xp.broadcast_to(r, shape)
        return r

    def jvp(self, xp, i, dx, ans, *xs):
        return xp.einsum(self.subscripts, *[dx if j == i else x for j, x in enumerate(xs)])
