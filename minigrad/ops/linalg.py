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

    def forward(self, x, y):
        if x.shape[-1] != y.shape[-2]:
            raise ValueError(f"inner dimensions differ: {x.shape} @ {y.shape}")
        return np.matmul(x, y)

    def vjp(self, xp, i, g, ans, x, y):
        return g @ y.mT if i == 0 else x.mT @ g

    def jvp(self, xp, i, dx, ans, x, y):
        return dx @ y if i == 0 else x @ dx
