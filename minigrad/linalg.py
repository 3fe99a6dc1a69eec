"""Linear algebra on tensors: matmul, einsum, linear, dot, vdot, outer and norm
(`mg.linalg.norm`).

`matmul`, `einsum` and `linear` apply primitives; the rest are composites with no derivative
code.
"""

from __future__ import annotations

import numpy as np

from minigrad.dtypes import as_array
from minigrad.functional import (
    _apply,
    _dtype_of,
    _shape_of,
    abs,
    astype,
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
from minigrad.ops.reduce import normalize_axis
from minigrad.tensor import Tensor
from minigrad.validate import flag, restated


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
    x, weight = _input(x, "linear"), _input(weight, "linear")
    bias = None if bias is None else _input(bias, "linear")
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
    x, y = _input(x, "dot"), _input(y, "dot")
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
    x, y = _input(x, "vdot"), _input(y, "vdot")
    xs, ys = _shape_of(x), _shape_of(y)
    if int(np.prod(xs)) != int(np.prod(ys)):
        raise ValueError(f"vdot: the operands must have as many elements: {xs} and {ys}")
    return sum(multiply(reshape(x, -1), reshape(y, -1)))


def outer(x, y) -> Tensor:
    """x_i y_j, with both operands flattened (NumPy's outer)."""
    x, y = _input(x, "outer"), _input(y, "outer")
    return multiply(reshape(x, (-1, 1)), reshape(y, (1, -1)))


def norm(x, ord=None, axis=None, keepdims=False) -> Tensor:  # noqa: A002 (NumPy's name)
    """NumPy's `linalg.norm`: vector norms (`ord` None or 2, 1, inf, -inf, 0, or p >= 1) along
    one axis, or of the flattened tensor when both ord and axis are None; the Frobenius, 1,
    -1, inf and -inf norms of matrices (2-d x, or two axes). Integers are made float64 first.

    Safe at 0: where the norm is 0, its derivative is taken as 0 (a subgradient, as in
    PyTorch), not the 0/0 of x / ||x||, to every order.

    >>> import minigrad as mg
    >>> x = mg.tensor([0.0, 0.0], requires_grad=True)
    >>> mg.linalg.norm(x).backward()
    >>> x.grad
    tensor([0., 0.])
    """
    x = _input(x, "norm")
    if _dtype_of(x).kind != "f":  # as NumPy: integers in float64 (squares would wrap around)
        x = astype(x, np.float64)
    keepdims = flag(keepdims, "norm", "keepdims")
    ndim = len(_shape_of(x))
    if axis is None and ord is None:  # the 2-norm of all elements, whatever the shape
        out = _vector_norm(reshape(x, -1), None, 0, False)
        return reshape(out, (1,) * ndim) if keepdims else out
    if axis is None:
        if ndim not in (1, 2):
            raise ValueError(
                f"norm: ord={ord!r} with axis=None needs a 1-d or 2-d tensor, got {ndim}-d; "
                "pass axis (one axis for a vector norm, two for a matrix norm)"
            )
        axis = tuple(range(ndim))
    if not isinstance(axis, int | np.integer | tuple | list):
        raise TypeError(f"norm: axis must be None, an int or a pair of ints, got {axis!r:.60}")
    axes = normalize_axis(axis, ndim, "norm", sort=False)
    if isinstance(axis, tuple | list) and len(axes) == 2:
        return _matrix_norm(x, ord, axes, keepdims)
    if isinstance(axis, tuple | list) and len(axes) != 1:
        raise ValueError(f"norm: axis takes one axis (vector norm) or two (matrix), got {axis}")
    return _vector_norm(x, ord, axes[0], keepdims)


def _vector_norm(x, ord, axis: int, keepdims: bool) -> Tensor:  # noqa: A002
    if ord is None or ord == 2:
        return _safe_root(sum(multiply(x, x), axis, keepdims), 2)
    if ord == np.inf:
        return max(abs(x), axis, keepdims)
    if ord == -np.inf:
        return min(abs(x), axis, keepdims)
    if ord == 0:
        return sum(not_equal(x, 0).astype(_dtype_of(x)), axis, keepdims)
    if ord == 1:
        return sum(abs(x), axis, keepdims)
    if isinstance(ord, int | float | np.number) and not isinstance(ord, bool) and 1 < ord < np.inf:
        return _safe_root(sum(power(abs(x), ord), axis, keepdims), ord)
    raise ValueError(
        f"norm: ord={ord!r} is not a vector norm minigrad differentiates; use None or 2, 1, "
        "np.inf, -np.inf, 0 or a number p > 1 (for p < 1 the derivative at 0 is infinite)"
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


def _input(x, where: str):
    """A tensor, or the user's value as an array; errors name `where`."""
    if isinstance(x, Tensor):
        return x
    try:
        return as_array(x)
    except (TypeError, ValueError) as err:
        raise restated(err, f"{where}: {err}") from None
