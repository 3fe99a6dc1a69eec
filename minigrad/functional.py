"""The user's functions on tensors, with NumPy's names and arguments.

Bindings apply a primitive from `minigrad.ops`; composites are written with other functions
and contain no derivative code. This module is also the `xp` namespace in which the
primitives' rules run for higher-order derivatives, so it mirrors NumPy's signatures.
"""

from __future__ import annotations

import builtins
import functools
import inspect
import math
import weakref

import numpy as np

from minigrad.creation import ones_like, zeros_like  # noqa: F401 (part of the xp namespace)
from minigrad.dtypes import as_array, floating
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
    Minimum,
    Multiply,
    Negative,
    Power,
    Sigmoid,
    Sin,
    Subtract,
    Tanh,
    Where,
)
from minigrad.ops.reduce import LogSoftmax, Max, Min, Sum, kept_shape, normalize_axis
from minigrad.ops.shape import BroadcastTo, Concatenate, GetItem, Reshape, Transpose
from minigrad.tensor import _SEQUENCE, Tensor
from minigrad.validate import integer, ints

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


# -- composites, recorded for drawings -------------------------------------------------------
# The output's sequence number -> (a weak reference to it, the first sequence number of the
# call, the composite's name, its function, the plain (number, string) arguments given, if any):
# drawings show the tensors numbered inside a call as one step, as they group a module's.
# Entries of dead outputs are dropped as the table grows.
COMPOSITES: dict[int, tuple] = {}
_PRUNE_AT = [4096]
_PLAIN = (int, float, str)  # arguments worth writing in a drawing (never arrays: kept alive)
_OTHER = object()  # an argument not recorded


def composite(name: str):
    """Record each call of the decorated function as one step named `name` (see COMPOSITES);
    the numbers and the function's result are unchanged."""

    def wrap(f):
        @functools.wraps(f)
        def call(*args, **kwargs):
            start = next(_SEQUENCE)
            out = f(*args, **kwargs)
            if type(out) is Tensor and out._op is not None and out._seq > start:
                given = None
                if len(args) > 1 or kwargs:
                    given = (
                        tuple(a if isinstance(a, _PLAIN) else _OTHER for a in args),
                        {k: v for k, v in kwargs.items() if isinstance(v, _PLAIN)},
                    )
                COMPOSITES[out._seq] = (weakref.ref(out), start, name, f, given)
                if len(COMPOSITES) > _PRUNE_AT[0]:
                    _prune()
            return out

        return call

    return wrap


def composite_label(entry: tuple) -> str:
    """`name` and the plain arguments given by the call: `leaky_relu negative_slope=0.2`."""
    _, _, name, f, given = entry
    if given is None:
        return name
    try:
        bound = inspect.signature(f).bind_partial(*given[0], **given[1]).arguments
    except (TypeError, ValueError):
        return name
    words = [
        f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v!r}"
        for k, v in bound.items()
        if isinstance(v, _PLAIN)
    ]
    return " ".join([name, *words])


def _prune() -> None:
    for seq in [k for k, entry in list(COMPOSITES.items()) if entry[0]() is None]:
        COMPOSITES.pop(seq, None)
    _PRUNE_AT[0] = builtins.max(4096, 2 * len(COMPOSITES))


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


@composite("relu")
def relu(x) -> Tensor:
    """max(x, 0). NOTE: relu'(0) := 0, as PyTorch; NaN stays NaN (NaN <= 0 is false)."""
    x = _tensor(x)
    return where(x <= 0, 0, x)


def abs(x) -> Tensor:  # noqa: A001 (NumPy's name)
    return _apply(Abs(), x)


def maximum(x, y) -> Tensor:
    return _apply(Maximum(), x, y)


def minimum(x, y) -> Tensor:
    return _apply(Minimum(), x, y)


@composite("clip")
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


def stop_gradient(x) -> Tensor:
    """x as a constant: no derivative flows through it, in either mode or any transform
    (JAX's `lax.stop_gradient`; PyTorch's `x.detach()`)."""
    return x.detach() if isinstance(x, Tensor) else Tensor(x)


def astype(x, dtype) -> Tensor:
    return _apply(AsType(dtype), x)


# -- reductions ------------------------------------------------------------------------
def sum(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001 (NumPy's name)
    return _apply(Sum(normalize_axis(axis, len(_shape_of(x)), "sum"), keepdims), x)


def mean(x, axis=None, keepdims=False) -> Tensor:
    """The mean; float16 is summed in float32, as NumPy does, so it cannot overflow."""
    if _dtype_of(x) == np.float16:
        return astype(mean(astype(x, np.float32), axis, keepdims), np.float16)
    return sum(x, axis, keepdims) / _count(x, axis)


@composite("var")
def var(x, axis=None, ddof=0, keepdims=False) -> Tensor:
    """Mean squared deviation from the mean, divided by max(n - ddof, 0) (NumPy's
    convention: inf or NaN, not a negative variance, when ddof >= n); float16 in float32."""
    if _dtype_of(x) == np.float16:
        return astype(var(astype(x, np.float32), axis, ddof, keepdims), np.float16)
    d = x - mean(x, axis, keepdims=True)
    return sum(d * d, axis, keepdims) / builtins.max(_count(x, axis) - ddof, 0)


@composite("std")
def std(x, axis=None, ddof=0, keepdims=False) -> Tensor:
    """sqrt(var). NOTE: where the spread is 0, std is not differentiable (it is a norm at its
    kink) and its derivative is taken as 0, as abs'(0) := 0; sqrt'(0) = inf would make it NaN."""
    v = var(x, axis, ddof, keepdims)
    flat = v == 0
    return where(flat, 0, sqrt(where(flat, 1, v)))


def max(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001 (NumPy's name)
    return _apply(Max(normalize_axis(axis, len(_shape_of(x)), "max"), keepdims), x)


def min(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001 (NumPy's name)
    return _apply(Min(normalize_axis(axis, len(_shape_of(x)), "min"), keepdims), x)


def prod(x, axis=None, keepdims=False) -> Tensor:
    """Product over `axis`, as a tree of pairwise products: exact where entries are 0. As in
    NumPy, bool and integers narrower than 64 bits are multiplied as 64-bit integers."""
    x = _tensor(x)
    if x.dtype.kind in "biu" and x.dtype.itemsize < 8:
        x = astype(x, np.uint64 if x.dtype.kind == "u" else np.int64)
    axes = normalize_axis(axis, x.ndim, "prod")
    rest = [a for a in range(x.ndim) if a not in axes]
    out_shape = kept_shape(x.shape, axes) if keepdims else tuple(x.shape[a] for a in rest)
    reduced = math.prod(x.shape[a] for a in axes)
    y = reshape(transpose(x, rest + list(axes)), tuple(x.shape[a] for a in rest) + (reduced,))
    if reduced == 0:  # the empty product is 1; written from y, so the graph stays (grad 0)
        return reshape(sum(y, -1) * 0 + 1, out_shape)
    while y.shape[-1] > 1:
        n = y.shape[-1]
        if n % 2:
            y = concatenate([y, ones_like(y[..., :1])], axis=-1)
            n += 1
        y = y[..., : n // 2] * y[..., n // 2 :]
    return reshape(y, out_shape)


def _count(x, axis) -> int:
    shape = _shape_of(x)
    return math.prod(shape[a] for a in normalize_axis(axis, len(shape), "mean"))


@composite("logsumexp")
def logsumexp(x, axis=None, keepdims=False) -> Tensor:
    """log(sum(exp(x))), stable for large |x|: the max is subtracted first. Over an empty
    axis it is log(0) = -inf, as SciPy's."""
    x = _tensor(x)
    x = floating(x)
    axes = normalize_axis(axis, x.ndim, "logsumexp")
    m = _stop_max(x, axes)
    with np.errstate(divide="ignore"):  # log(0) = -inf is the answer for empty axes
        out = log(sum(exp(x - m), axes, keepdims=True)) + m
    return out if keepdims else squeeze(out, axes)


@composite("softmax")
def softmax(x, axis=-1) -> Tensor:
    """exp(x) / sum(exp(x)) along `axis`, computed as exp(log_softmax(x)): stable."""
    return exp(log_softmax(x, axis))


def log_softmax(x, axis=-1) -> Tensor:
    """x - logsumexp(x) along `axis`, stable for large |x|."""
    return _apply(LogSoftmax(_axis(axis, len(_shape_of(x)), "log_softmax")), x)


def _stop_max(x: Tensor, axes: tuple[int, ...]):
    """The max along `axes` as a constant (the functions above do not depend on it), with
    non-finite maxima replaced by 0 so that an all -inf slice stays -inf, not NaN; 0 over
    empty axes (nothing to subtract from)."""
    if any(x.shape[a] == 0 for a in axes):
        return np.zeros(kept_shape(x.shape, axes))
    from minigrad.logic import _constant  # (a function of x with no derivative, traceable)

    return _constant(lambda a: _finite_max(a, axes), x, name="stop_max")


def _finite_max(a: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    m = np.max(a, axis=axes, keepdims=True)
    return np.where(np.isfinite(m), m, 0)


# -- shape -----------------------------------------------------------------------------
def reshape(x, shape) -> Tensor:
    return _apply(Reshape(ints(shape, "reshape", "shape")), x)


def _axis(axis, ndim: int, op: str) -> int:
    """One axis (an int, negative from the end) checked against `ndim`, as a non-negative int."""
    return normalize_axis(integer(axis, op, "axis"), ndim, op)[0]


def transpose(x, axes=None) -> Tensor:
    """Permute the axes (reverse them if `axes` is None); negative axes count from the end."""
    ndim = len(_shape_of(x))
    if axes is None:
        axes = tuple(reversed(range(ndim)))
    else:
        given = ints(axes, "transpose", "axes")
        if len(given) != ndim:
            raise ValueError(
                f"transpose: axes {given} are not a permutation of the {ndim} axes of an "
                f"array of shape {_shape_of(x)}"
            )
        axes = normalize_axis(given, ndim, "transpose", sort=False)
    return _apply(Transpose(axes), x)


def swapaxes(x, axis1: int, axis2: int) -> Tensor:
    ndim = len(_shape_of(x))
    a, b = _axis(axis1, ndim, "swapaxes"), _axis(axis2, ndim, "swapaxes")
    axes = list(range(ndim))
    axes[a], axes[b] = axes[b], axes[a]
    return _apply(Transpose(tuple(axes)), x)


def broadcast_to(x, shape) -> Tensor:
    return _apply(BroadcastTo(ints(shape, "broadcast_to", "shape")), x)


def squeeze(x, axis=None) -> Tensor:
    """Remove axes of length 1 (all of them, or those in `axis`)."""
    shape = _shape_of(x)
    if axis is None:
        axes = tuple(a for a, n in enumerate(shape) if n == 1)
    else:
        axes = normalize_axis(axis, len(shape), "squeeze")
        if any(shape[a] != 1 for a in axes):
            raise ValueError(f"squeeze: axis {axis} of shape {shape} does not have length 1")
    return reshape(x, tuple(n for a, n in enumerate(shape) if a not in axes))


def expand_dims(x, axis) -> Tensor:
    """Insert axes of length 1 at the positions `axis` of the result."""
    shape = list(_shape_of(x))
    axes = ints(axis, "expand_dims", "axis")
    for a in normalize_axis(axes, len(shape) + len(axes), "expand_dims"):
        shape.insert(a, 1)
    return reshape(x, tuple(shape))


def flatten(x) -> Tensor:
    return reshape(x, -1)


def getitem(x, index) -> Tensor:
    """x[index] with basic, integer-array and boolean indices."""
    flag = index.data if isinstance(index, Tensor) else index
    if isinstance(flag, bool | np.bool_) or (
        isinstance(flag, np.ndarray) and flag.shape == () and flag.dtype == bool
    ):
        # NumPy: a 0-d mask adds an axis, of length 1 if it is true and 0 if not
        return getitem(expand_dims(x, 0), np.zeros(int(flag), dtype=np.intp))
    return _apply(GetItem(_normalize_index(index, _shape_of(x))), x)


def _normalize_index(index, shape: tuple[int, ...]) -> tuple:
    """`index` as a tuple in which boolean masks are integer arrays (their nonzero positions),
    after checking it against `shape` as NumPy would (a mask must match the axes it covers).
    Index arrays are copied: the node keeps them, and the user's array may change later."""
    index = index if isinstance(index, tuple) else (index,)
    out = []
    masks = False
    for k in index:
        if isinstance(k, Tensor):
            k = k.data
        elif isinstance(k, list):
            k = np.asarray(k)
            if k.size == 0 and k.dtype.kind == "f":  # [] or [[]]: an empty integer index
                k = k.astype(np.intp)
        if isinstance(k, bool | np.bool_):
            k = np.asarray(k)
        if isinstance(k, np.ndarray) and k.dtype == bool:
            masks = True
            if k.ndim == 0:
                raise IndexError(
                    "getitem: a 0-d boolean index is supported alone (x[b]), not in a tuple"
                )
            out.extend(np.nonzero(k))
        elif isinstance(k, np.ndarray):
            if k.dtype.kind not in "iu":
                raise IndexError(
                    f"getitem: arrays used as indices must be of integer or boolean type, got "
                    f"{k.dtype}"
                )
            out.append(k.copy())
        elif isinstance(k, np.integer):
            out.append(int(k))
        else:
            out.append(k)
    if masks:  # NumPy checks each mask's shape; the integer positions alone would not
        try:
            np.broadcast_to(np.empty((), dtype=bool), shape)[index]
        except IndexError as err:
            raise IndexError(f"getitem: {err}; indexed shape {shape}") from None
    return tuple(out)


def concatenate(xs, axis=0) -> Tensor:
    if isinstance(xs, Tensor | np.ndarray):
        raise TypeError(
            "concatenate: expected a list or tuple of tensors, got one "
            f"{type(xs).__name__}; write concatenate([a, b], axis)"
        )
    xs = [_operand(x) for x in xs]
    if not xs:
        raise ValueError("concatenate: need at least one tensor")
    if axis is None:
        raise ValueError("concatenate: axis=None is not supported; flatten the tensors first")
    ndims = {len(_shape_of(x)) for x in xs}
    if len(ndims) > 1 or 0 in ndims:
        shapes = ", ".join(str(_shape_of(x)) for x in xs)
        raise ValueError(
            f"concatenate: all inputs need the same number of dimensions, at least 1; got "
            f"shapes {shapes}"
        )
    return _apply(Concatenate(_axis(axis, ndims.pop(), "concatenate")), *xs)


def stack(xs, axis=0) -> Tensor:
    if isinstance(xs, Tensor | np.ndarray):
        raise TypeError(
            f"stack: expected a list or tuple of tensors, got one {type(xs).__name__}; "
            "write stack([a, b], axis)"
        )
    xs = list(xs)
    shapes = {_shape_of(x) for x in xs}
    if len(shapes) > 1:
        raise ValueError(f"stack: all tensors need the same shape, got {sorted(shapes)}")
    return concatenate([expand_dims(x, axis) for x in xs], axis)


def split(x, indices_or_sections, axis=0) -> list[Tensor]:
    """Split along `axis` into equal sections, or at the given indices (NumPy's rules)."""
    shape = _shape_of(x)
    axis = _axis(axis, len(shape), "split")
    n = shape[axis]
    if isinstance(indices_or_sections, int | np.integer):
        if indices_or_sections < 1:
            raise ValueError(
                f"split: the number of sections must be at least 1, got {indices_or_sections}"
            )
        if n % indices_or_sections:
            raise ValueError(
                f"split: {n} elements do not divide into {indices_or_sections} equal sections"
            )
        step = n // indices_or_sections
        bounds = [k * step for k in range(indices_or_sections + 1)]
    else:
        bounds = [0, *ints(indices_or_sections, "split", "indices_or_sections"), n]
    lead = (slice(None),) * axis
    return [getitem(x, lead + (slice(a, b),)) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _dtype_of(x) -> np.dtype:
    return x.data.dtype if isinstance(x, Tensor) else np.result_type(x)


def _shape_of(x) -> tuple[int, ...]:
    return x.data.shape if isinstance(x, Tensor) else np.shape(x)


# Not differentiable (comparisons, logic, argmax) and linear algebra live in their own modules;
# they are part of this namespace too, where the rules look for them (`xp.sign`, `xp.einsum`).
from minigrad.linalg import einsum, matmul  # noqa: E402, F401
from minigrad.logic import (  # noqa: E402, F401
    argmax,
    argmin,
    equal,
    greater,
    greater_equal,
    isfinite,
    less,
    less_equal,
    logical_and,
    logical_not,
    logical_or,
    not_equal,
    sign,
)
