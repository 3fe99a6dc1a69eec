"""Constructors: tensor, zeros, ones, full, arange, eye, randn, rand and the *_like forms."""

from __future__ import annotations

import numpy as np

from minigrad.dtypes import as_array, check_dtype, get_default_dtype
from minigrad.rng import generator_or_default
from minigrad.tensor import Tensor


def tensor(
    data, dtype=None, requires_grad: bool = False, name: str | None = None, *, label=None
) -> Tensor:
    """A new leaf tensor holding a copy of `data` (later changes to `data` do not reach it).
    `label=` is micrograd's name for `name=`.

    >>> import minigrad as mg
    >>> mg.tensor([1, 2]).dtype, mg.tensor([1.0, 2.0]).dtype
    (dtype('int64'), dtype('float32'))
    """
    return Tensor(data, dtype=dtype, requires_grad=requires_grad, name=name, label=label)


def from_numpy(array: np.ndarray, requires_grad: bool = False, name: str | None = None) -> Tensor:
    """A leaf tensor that shares `array`'s memory (no copy), as PyTorch's `from_numpy`.

    Changes made through the tensor's in-place methods are seen by its version counter;
    changes made directly to `array` are not, so do not change `array` while a graph that
    used the tensor may still be differentiated.

    >>> import numpy as np, minigrad as mg
    >>> a = np.zeros(2)
    >>> t = mg.from_numpy(a)
    >>> a[0] = 5.0
    >>> t
    tensor([5., 0.], dtype=float64)
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(
            f"from_numpy: expected a NumPy array, got {type(array).__name__}; use mg.tensor "
            "for other data"
        )
    return Tensor._leaf(as_array(array), requires_grad=requires_grad, name=name)


def _shape(shape, what: str = "shape") -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        shape = shape[0]
    for n in shape:
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
            raise ValueError(
                f"{what}: a shape is made of non-negative integers, got {tuple(shape)!r:.60}"
            )
    return tuple(int(n) for n in shape)


def _dtype(dtype):
    return get_default_dtype() if dtype is None else check_dtype(dtype)


def _filled(fill, shape, dtype, requires_grad, name) -> Tensor:
    arr = np.full(shape, fill, dtype=_dtype(dtype))
    return Tensor._leaf(arr, requires_grad=requires_grad, name=name)


def zeros(*shape, dtype=None, requires_grad: bool = False, name: str | None = None) -> Tensor:
    """Zeros of the given shape (`zeros(2, 3)` or `zeros((2, 3))`), default float dtype."""
    return _filled(0, _shape(shape, "zeros"), dtype, requires_grad, name)


def ones(*shape, dtype=None, requires_grad: bool = False, name: str | None = None) -> Tensor:
    """Ones of the given shape, default float dtype."""
    return _filled(1, _shape(shape, "ones"), dtype, requires_grad, name)


def full(
    shape, fill_value, dtype=None, requires_grad: bool = False, name: str | None = None
) -> Tensor:
    """`fill_value` everywhere; the dtype follows the value (a float gives the default)."""
    dtype = as_array(fill_value).dtype if dtype is None else check_dtype(dtype)
    shape = _shape((shape,) if isinstance(shape, int | np.integer) else tuple(shape), "full")
    arr = np.full(shape, fill_value, dtype=dtype)
    return Tensor._leaf(arr, requires_grad=requires_grad, name=name)


def arange(start, stop=None, step=1, dtype=None, requires_grad: bool = False) -> Tensor:
    """Evenly spaced values in [start, stop): int64 for int arguments, else default float."""
    if stop is None:
        start, stop = 0, start
    if step == 0:
        raise ValueError("arange: step must not be 0")
    if dtype is None and not all(isinstance(v, int) for v in (start, stop, step)):
        dtype = get_default_dtype()
    arr = np.arange(start, stop, step, dtype=None if dtype is None else check_dtype(dtype))
    return Tensor._leaf(arr, requires_grad=requires_grad)


def eye(n: int, m: int | None = None, dtype=None, requires_grad: bool = False) -> Tensor:
    """The identity matrix (n x m), default float dtype."""
    _shape((n,) if m is None else (n, m), "eye")
    arr = np.eye(n, m, dtype=_dtype(dtype))
    return Tensor._leaf(arr, requires_grad=requires_grad)


def randn(
    *shape,
    rng: np.random.Generator | None = None,
    dtype=None,
    requires_grad: bool = False,
    name: str | None = None,
) -> Tensor:
    """Standard normal samples drawn from `rng`. rng=None uses minigrad's default generator,
    seeded by mg.manual_seed; pass a Generator for independent streams."""
    rng = generator_or_default(rng, "randn")
    arr = rng.standard_normal(_shape(shape, "randn")).astype(_dtype(dtype))
    return Tensor._leaf(arr, requires_grad=requires_grad, name=name)


def rand(
    *shape,
    rng: np.random.Generator | None = None,
    dtype=None,
    requires_grad: bool = False,
    name: str | None = None,
) -> Tensor:
    """Uniform samples on [0, 1) drawn from `rng`. rng=None uses minigrad's default
    generator, seeded by mg.manual_seed; pass a Generator for independent streams."""
    rng = generator_or_default(rng, "rand")
    arr = rng.random(_shape(shape, "rand")).astype(_dtype(dtype))
    return Tensor._leaf(arr, requires_grad=requires_grad, name=name)


def _like_dtype(x, dtype):
    if dtype is not None:
        return dtype
    return x.dtype if isinstance(x, Tensor) else np.asarray(x).dtype


def zeros_like(x, dtype=None, requires_grad: bool = False) -> Tensor:
    return zeros(np.shape(x), dtype=_like_dtype(x, dtype), requires_grad=requires_grad)


def ones_like(x, dtype=None, requires_grad: bool = False) -> Tensor:
    return ones(np.shape(x), dtype=_like_dtype(x, dtype), requires_grad=requires_grad)


def full_like(x, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    return full(np.shape(x), fill_value, dtype=_like_dtype(x, dtype), requires_grad=requires_grad)


def randn_like(
    x, rng: np.random.Generator | None = None, dtype=None, requires_grad: bool = False
) -> Tensor:
    """`randn` of `x`'s shape and dtype; rng=None uses minigrad's default generator."""
    rng = generator_or_default(rng, "randn_like")
    return randn(np.shape(x), rng=rng, dtype=_like_dtype(x, dtype), requires_grad=requires_grad)


def rand_like(
    x, rng: np.random.Generator | None = None, dtype=None, requires_grad: bool = False
) -> Tensor:
    """`rand` of `x`'s shape and dtype; rng=None uses minigrad's default generator."""
    rng = generator_or_default(rng, "rand_like")
    return rand(np.shape(x), rng=rng, dtype=_like_dtype(x, dtype), requires_grad=requires_grad)
