"""Linear-algebra primitives."""

from __future__ import annotations

import numpy as np

from minigrad.autodiff.graph import Primitive


class MatMul(Primitive):
    """z = x @ y for x, y with ndim >= 2 (batch dims broadcast);   dz = dx @ y + x @ dy.

    1-D operands are handled by `functional.matmul`, which reshapes them around this op.
    """

    __slots__ = ()
    name = "matmul"
    saves = {0: "y", 1: "x"}

    def forward(self, x, y):
        if x.shape[-1] != y.shape[-2]:
            raise ValueError(f"inner dimensions differ: {x.shape} @ {y.shape}")
        return np.matmul(x, y)

    def vjp(self, xp, i, g, ans, x, y):
        return g @ y.mT if i == 0 else x.mT @ g

    def jvp(self, xp, i, dx, ans, x, y):
        return dx @ y if i == 0 else x @ dx


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
            return g.reshape(-1, g.shape[-1]).mT @ x.reshape(-1, x.shape[-1])
        return g  # the engine sums it down to b's shape

    def jvp(self, xp, i, dx, ans, x, w, b=None):
        if i == 0:
            return dx @ w.mT
        if i == 1:
            return x @ dx.mT
        return xp.broadcast_to(dx, ans.shape)


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
