"""Linear algebra on tensors: matmul, einsum, linear, dot, vdot, outer and norm
(`mg.linalg.norm`).

`matmul`, `einsum` and `linear` apply primitives; the rest are composites with no derivative
code.
"""

from __future__ import annotations

import numpy as np

from minigrad.functional import (
    _apply,
    _shape_of,
    abs,
    max,
    min,
    multiply,
    power,
    reshape,
    sqrt,
    squeeze,
    sum,
    where,
)
from minigrad.logic import not_equal
from minigrad.ops.linalg import Einsum, Linear, MatMul
from minigrad.tensor import Tensor


def matmul(x, y) -> Tensor:
    """x @ y with NumPy's rules: 1-D operands are vectors, batch dims broadcast."""
    xs, ys = _shape_of(x), _shape_of(y)
    if len(xs) >= 2 and len(ys) >= 2:
        return _apply(MatMul(), x, y)
    if not xs or not ys:
        raise ValueError(f"matmul: operands must have at least 1 dimension, got {xs} @ {ys}")
    if xs[-1] != ys[0 if len(ys) == 1 else -2]:
        raise ValueError(f"matmul: inner dimensions differ: {xs} @ {ys}")
    x2 = reshape(x, (1,) + xs) if len(xs) == 1 else x
    y2 = reshape(y, ys + (1,)) if len(ys) == 1 else y
    out = _apply(MatMul(), x2, y2)
    shape = out.shape
    keep = (() if len(xs) == 1 else shape[-2:-1]) + (() if len(ys) == 1 else shape[-1:])
    return reshape(out, shape[:-2] + keep)


def einsum(subscripts: str, *operands) -> Tensor:
    """Einstein summation with explicit indices, e.g. `einsum("bij,bjk->bik", a, b)`."""
    return _apply(Einsum(subscripts), *operands)


def linear(x, weight, bias=None) -> Tensor:
    """x @ weight.T + bias, with weight of shape (out, in) (PyTorch's `F.linear`, what
    `nn.Linear` computes), as one recorded node."""
    xs, ws = _shape_of(x), _shape_of(weight)
    if len(ws) != 2 or not xs:
        raise ValueError(
            f"linear: weight must be 2-d (out, in) and x at least 1-d, got shapes {xs} and {ws}"
        )
    if xs[-1] != ws[1]:
        raise ValueError(
            f"linear: x has {xs[-1]} features on its last axis, weight {ws} wants {ws[1]}"
        )
    if bias is not None and _shape_of(bias) != ws[:1]:
        raise ValueError(f"linear: bias must have shape {ws[:1]}, got {_shape_of(bias)}")
    if len(xs) == 1:
        return reshape(linear(reshape(x, (1, -1)), weight, bias), ws[:1])
    return _apply(Linear(), x, weight) if bias is None else _apply(Linear(), x, weight, bias)


def dot(x, y) -> Tensor:
    """NumPy's dot for scalars, vectors and matrices (`matmul` beyond; use `einsum` for the
    N-d contraction NumPy's dot does there)."""
    xs, ys = _shape_of(x), _shape_of(y)
    if not xs or not ys:
        return multiply(x, y)
    if len(xs) > 2 or len(ys) > 2:
        raise ValueError(
            f"dot: operands of shapes {xs} and {ys}: minigrad's dot takes at most 2-d operands; "
            "use mg.matmul (batched) or mg.einsum for the contraction you mean"
        )
    return matmul(x, y)


def vdot(x, y) -> Tensor:
    """The sum of the elementwise product of x and y, flattened (real numbers: NumPy's vdot)."""
    xs, ys = _shape_of(x), _shape_of(y)
    if int(np.prod(xs)) != int(np.prod(ys)):
        raise ValueError(f"vdot: the operands must have as many elements: {xs} and {ys}")
    return sum(multiply(reshape(x, -1), reshape(y, -1)))


def outer(x, y) -> Tensor:
    """x_i y_j, with both operands flattened (NumPy's outer)."""
    return multiply(reshape(x, (-1, 1)), reshape(y, (1, -1)))


def norm(x, ord=None, axis=None, keepdims=False) -> Tensor:  # noqa: A002 (NumPy's name)
    """NumPy's `linalg.norm` for vector norms (`ord` None or 2, 1, inf, -inf, 0, any p) and the
    Frobenius, 1 and inf norms of matrices.

    Safe at 0: where the norm is 0, its derivative is taken as 0 (a subgradient, as in
    PyTorch), not the 0/0 of x / ||x||, to every order.

    >>> import minigrad as mg
    >>> x = mg.tensor([0.0, 0.0], requires_grad=True)
    >>> mg.linalg.norm(x).backward()
    >>> x.grad
    tensor([0., 0.])
    """
    shape = _shape_of(x)
    matrix = (axis is None and len(shape) == 2 and ord is not None) or (
        isinstance(axis, tuple) and len(axis) == 2
    )
    if matrix:
        return _matrix_norm(x, ord, axis if axis is not None else (0, 1), keepdims)
    if ord == "fro":
        ord = None
    if axis is None and len(shape) != 1:
        x, axis = reshape(x, -1), 0
        if keepdims:
            return reshape(norm(x, ord, 0), (1,) * len(shape))
    if ord is None or ord == 2:
        return _safe_root(sum(multiply(x, x), axis, keepdims), 2)
    if ord == np.inf:
        return max(abs(x), axis, keepdims)
    if ord == -np.inf:
        return min(abs(x), axis, keepdims)
    if ord == 0:
        return sum(not_equal(x, 0).astype(_float_of(x)), axis, keepdims)
    if ord == 1:
        return sum(abs(x), axis, keepdims)
    if isinstance(ord, int | float) and not isinstance(ord, bool) and np.isfinite(ord):
        return _safe_root(sum(power(abs(x), ord), axis, keepdims), ord)
    raise ValueError(
        f"norm: ord={ord!r} is not a vector norm; use None or 2, 1, np.inf, -np.inf, 0 or a "
        "finite number"
    )


def _matrix_norm(x, ord, axis, keepdims) -> Tensor:  # noqa: A002
    rows, cols = axis
    if ord in (None, "fro"):
        return _safe_root(sum(multiply(x, x), axis, keepdims), 2)
    if ord in (1, -1, np.inf, -np.inf):
        along, across = (rows, cols) if ord in (1, -1) else (cols, rows)
        sums = sum(abs(x), along, keepdims=True)
        pick = max if ord > 0 else min
        out = pick(sums, across, keepdims=True)
        return out if keepdims else squeeze(out, (rows, cols))
    raise ValueError(
        f"norm: ord={ord!r} for matrices needs singular values, which minigrad does not "
        "differentiate; use 'fro', 1, -1, np.inf or -np.inf"
    )


def _safe_root(total, p) -> Tensor:
    """total ** (1/p), with derivative 0 where total is 0 (instead of 0 * inf = NaN)."""
    zero = (total.data if isinstance(total, Tensor) else np.asarray(total)) == 0
    if not zero.any():
        return sqrt(total) if p == 2 else power(total, 1.0 / p)
    safe = where(zero, 1.0, total)
    root = sqrt(safe) if p == 2 else power(safe, 1.0 / p)
    return where(zero, 0.0, root)


def _float_of(x) -> np.dtype:
    dtype = x.dtype if isinstance(x, Tensor) else np.result_type(x)
    return dtype if dtype.kind == "f" else np.dtype(np.float64)
