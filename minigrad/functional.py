"""The user's functions on tensors, with NumPy's names and arguments.

Bindings apply a primitive from `minigrad.ops`; composites are written with other functions
and contain no derivative code. This module is also the `xp` namespace in which the
primitives' rules run for higher-order derivatives, so it mirrors NumPy's signatures.
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from minigrad.creation import ones_like, zeros_like  # noqa: F401 (part of the xp namespace)
from minigrad.dtypes import as_array
from minigrad.ops.elementwise import (
    Abs,
    Add,
    AsType,
    Cos,
    Divide,
    Exp,
    Log,
    Log1p,
    Maximum,
    Multiply,
    Negative,
    Power,
    Sigmoid,
    Sin,
    Subtract,
    Tanh,
    Where,
)
from minigrad.ops.linalg import Einsum, MatMul
from minigrad.ops.reduce import LogSoftmax, Max, Sum, kept_shape, normalize_axis
from minigrad.ops.shape import BroadcastTo, Concatenate, GetItem, Reshape, Transpose
from minigrad.tensor import Tensor

_SCALARS = (int, float, bool, np.ndarray, np.generic)


def _operand(x):
    """Tensors, Python scalars and arrays pass as they are (scalars stay weakly typed, as in
    NumPy); anything else (lists) becomes an array with the default float dtype."""
    return x if isinstance(x, Tensor) or isinstance(x, _SCALARS) else as_array(x)


def _tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _apply(op, *xs) -> Tensor:
    """Apply a primitive; the result is a Tensor even when no operand is one."""
    out = op(*xs)
    return out if isinstance(out, Tensor) else Tensor._make(out, None)


# -- arithmetic ------------------------------------------------------------------------
def add(x, y) -> Tensor:
    return _apply(Add(), x, y)


def subtract(x, y) -> Tensor:
    return _apply(Subtract(), x, y)


def multiply(x, y) -> Tensor:
    return _apply(Multiply(), x, y)


def divide(x, y) -> Tensor:
    return _apply(Divide(), x, y)


def power(x, y) -> Tensor:
    return _apply(Power(), x, y)


def negative(x) -> Tensor:
    return _apply(Negative(), x)


def exp(x) -> Tensor:
    return _apply(Exp(), x)


def log(x) -> Tensor:
    return _apply(Log(), x)


def log1p(x) -> Tensor:
    return _apply(Log1p(), x)


def sqrt(x) -> Tensor:
    return power(x, 0.5)


def sin(x) -> Tensor:
    return _apply(Sin(), x)


def cos(x) -> Tensor:
    return _apply(Cos(), x)


def tanh(x) -> Tensor:
    return _apply(Tanh(), x)


def sigmoid(x) -> Tensor:
    """The logistic function 1 / (1 + exp(-x))."""
    return _apply(Sigmoid(), x)


def relu(x) -> Tensor:
    """max(x, 0). NOTE: relu'(0) := 0, as PyTorch."""
    x = _tensor(x)
    return where(x > 0, x, 0.0)


def abs(x) -> Tensor:  # noqa: A001 (NumPy's name)
    return _apply(Abs(), x)


def maximum(x, y) -> Tensor:
    return _apply(Maximum(), x, y)


def minimum(x, y) -> Tensor:
    return negative(maximum(negative(x), negative(y)))


def clip(x, a_min=None, a_max=None) -> Tensor:
    """Limit values to [a_min, a_max]. The derivative is 1 inside and at the bounds, 0
    outside (as PyTorch's clamp); a bound given as a tensor gets the rest."""
    x = _tensor(x)
    if a_min is not None:
        x = where(x < a_min, a_min, x)
    if a_max is not None:
        x = where(x > a_max, a_max, x)
    return x


def where(condition, x, y) -> Tensor:
    return _apply(Where(), condition, x, y)


def astype(x, dtype) -> Tensor:
    return _apply(AsType(dtype), x)


# -- not differentiable: results never require grad ---------------------------------------
def _constant(fn, *xs) -> Tensor:
    return Tensor._make(np.asarray(fn(*[np.asarray(_operand(x)) for x in xs])), None)


def less(x, y) -> Tensor:
    return _constant(np.less, x, y)


def less_equal(x, y) -> Tensor:
    return _constant(np.less_equal, x, y)


def greater(x, y) -> Tensor:
    return _constant(np.greater, x, y)


def greater_equal(x, y) -> Tensor:
    return _constant(np.greater_equal, x, y)


def equal(x, y) -> Tensor:
    return _constant(np.equal, x, y)


def not_equal(x, y) -> Tensor:
    return _constant(np.not_equal, x, y)


def logical_and(x, y) -> Tensor:
    return _constant(np.logical_and, x, y)


def logical_or(x, y) -> Tensor:
    return _constant(np.logical_or, x, y)


def logical_not(x) -> Tensor:
    return _constant(np.logical_not, x)


def isfinite(x) -> Tensor:
    return _constant(np.isfinite, x)


def sign(x) -> Tensor:
    """-1, 0 or 1. Its derivative is 0 wherever it exists, so it is a constant here."""
    return _constant(np.sign, x)


def argmax(x, axis=None, keepdims=False) -> Tensor:
    return _constant(lambda a: np.argmax(a, axis=axis, keepdims=keepdims), x)


def argmin(x, axis=None, keepdims=False) -> Tensor:
    return _constant(lambda a: np.argmin(a, axis=axis, keepdims=keepdims), x)


# -- reductions ------------------------------------------------------------------------
def sum(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001 (NumPy's name)
    return _apply(Sum(normalize_axis(axis, np.ndim(x)), keepdims), x)


def mean(x, axis=None, keepdims=False) -> Tensor:
    return sum(x, axis, keepdims) / _count(x, axis)


def var(x, axis=None, ddof=0, keepdims=False) -> Tensor:
    """Mean squared deviation from the mean, divided by (n - ddof) (NumPy's convention)."""
    d = x - mean(x, axis, keepdims=True)
    return sum(d * d, axis, keepdims) / (_count(x, axis) - ddof)


def std(x, axis=None, ddof=0, keepdims=False) -> Tensor:
    return sqrt(var(x, axis, ddof, keepdims))


def max(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001 (NumPy's name)
    return _apply(Max(normalize_axis(axis, np.ndim(x)), keepdims), x)


def min(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001 (NumPy's name)
    return negative(max(negative(x), axis, keepdims))


def prod(x, axis=None, keepdims=False) -> Tensor:
    """Product over `axis`, as a tree of pairwise products: exact where entries are 0."""
    x = _tensor(x)
    axes = normalize_axis(axis, x.ndim)
    rest = [a for a in range(x.ndim) if a not in axes]
    out_shape = kept_shape(x.shape, axes) if keepdims else tuple(x.shape[a] for a in rest)
    y = reshape(transpose(x, rest + list(axes)), tuple(x.shape[a] for a in rest) + (-1,))
    if y.shape[-1] == 0:
        return astype(ones_like(reshape(sum(y, -1), out_shape)), x.dtype)
    while y.shape[-1] > 1:
        n = y.shape[-1]
        if n % 2:
            y = concatenate([y, ones_like(y[..., :1])], axis=-1)
            n += 1
        y = y[..., : n // 2] * y[..., n // 2 :]
    return reshape(y, out_shape)


def _count(x, axis) -> int:
    shape = _shape_of(x)
    return math.prod(shape[a] for a in normalize_axis(axis, len(shape)))


def logsumexp(x, axis=None, keepdims=False) -> Tensor:
    """log(sum(exp(x))), stable for large |x|: the max is subtracted first."""
    x = _tensor(x)
    m = _stop_max(x, axis)
    out = log(sum(exp(x - m), axis, keepdims=True)) + m
    return out if keepdims else squeeze(out, axis)


def softmax(x, axis=-1) -> Tensor:
    """exp(x) / sum(exp(x)) along `axis`, computed as exp(log_softmax(x)): stable."""
    return exp(log_softmax(x, axis))


def log_softmax(x, axis=-1) -> Tensor:
    """x - logsumexp(x) along `axis`, stable for large |x|."""
    (axis,) = normalize_axis(axis, np.ndim(x))
    return _apply(LogSoftmax(axis), x)


def _stop_max(x: Tensor, axis) -> np.ndarray:
    """The max along `axis` as a constant (the functions above do not depend on it), with
    non-finite maxima replaced by 0 so that an all -inf slice stays -inf, not NaN."""
    m = np.max(x.data, axis=axis, keepdims=True)
    return np.where(np.isfinite(m), m, 0)


# -- shape -----------------------------------------------------------------------------
def reshape(x, shape) -> Tensor:
    shape = (shape,) if isinstance(shape, int | np.integer) else tuple(int(n) for n in shape)
    return _apply(Reshape(shape), x)


def transpose(x, axes=None) -> Tensor:
    ndim = np.ndim(x)
    axes = (
        tuple(reversed(range(ndim)))
        if axes is None
        else tuple(int(a) % builtins.max(ndim, 1) for a in axes)
    )
    if sorted(axes) != list(range(ndim)):
        raise ValueError(f"transpose: axes {axes} are not a permutation of {ndim} axes")
    return _apply(Transpose(axes), x)


def swapaxes(x, axis1: int, axis2: int) -> Tensor:
    axes = list(range(np.ndim(x)))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return transpose(x, axes)


def broadcast_to(x, shape) -> Tensor:
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return _apply(BroadcastTo(shape), x)


def squeeze(x, axis=None) -> Tensor:
    """Remove axes of length 1 (all of them, or those in `axis`)."""
    shape = np.shape(x)
    if axis is None:
        axes = tuple(a for a, n in enumerate(shape) if n == 1)
    else:
        axes = normalize_axis(axis, len(shape))
        if any(shape[a] != 1 for a in axes):
            raise ValueError(f"squeeze: axis {axis} of shape {shape} does not have length 1")
    return reshape(x, tuple(n for a, n in enumerate(shape) if a not in axes))


def expand_dims(x, axis) -> Tensor:
    """Insert axes of length 1 at the positions `axis` of the result."""
    shape = list(np.shape(x))
    for a in normalize_axis(axis, len(shape) + (1 if isinstance(axis, int) else len(axis))):
        shape.insert(a, 1)
    return reshape(x, tuple(shape))


def flatten(x) -> Tensor:
    return reshape(x, -1)


def getitem(x, index) -> Tensor:
    """x[index] with basic, integer-array and boolean indices."""
    return _apply(GetItem(_normalize_index(index)), x)


def _normalize_index(index) -> tuple:
    index = index if isinstance(index, tuple) else (index,)
    out = []
    for k in index:
        if isinstance(k, Tensor):
            k = k.data
        elif isinstance(k, list):
            k = np.asarray(k)
        if isinstance(k, np.ndarray) and k.dtype == bool:
            out.extend(np.nonzero(k))
        elif isinstance(k, np.integer):
            out.append(int(k))
        else:
            out.append(k)
    return tuple(out)


def concatenate(xs, axis=0) -> Tensor:
    xs = [_operand(x) for x in xs]
    if not xs:
        raise ValueError("concatenate: need at least one tensor")
    return _apply(Concatenate(int(axis) % builtins.max(np.ndim(xs[0]), 1)), *xs)


def stack(xs, axis=0) -> Tensor:
    xs = list(xs)
    shapes = {np.shape(x) for x in xs}
    if len(shapes) > 1:
        raise ValueError(f"stack: all tensors need the same shape, got {sorted(shapes)}")
    return concatenate([expand_dims(x, axis) for x in xs], axis)


def split(x, indices_or_sections, axis=0) -> list[Tensor]:
    """Split along `axis` into equal sections, or at the given indices (NumPy's rules)."""
    n = np.shape(x)[axis]
    if isinstance(indices_or_sections, int):
        if n % indices_or_sections:
            raise ValueError(
                f"split: {n} elements do not divide into {indices_or_sections} equal sections"
            )
        step = n // indices_or_sections
        bounds = list(range(0, n + 1, step))
    else:
        bounds = [0, *indices_or_sections, n]
    lead = (slice(None),) * (axis % np.ndim(x))
    return [getitem(x, lead + (slice(a, b),)) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


# -- linear algebra --------------------------------------------------------------------
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


def _shape_of(x) -> tuple[int, ...]:
    return x.data.shape if isinstance(x, Tensor) else np.shape(x)


def einsum(subscripts: str, *operands) -> Tensor:
    """Einstein summation with explicit indices, e.g. `einsum("bij,bjk->bik", a, b)`."""
    return _apply(Einsum(subscripts), *operands)
