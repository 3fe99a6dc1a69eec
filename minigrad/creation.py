"""Constructors: tensor, zeros, ones, full, arange, eye, randn, rand and the *_like forms."""

from __future__ import annotations

import numpy as np

from minigrad.dtypes import as_array, get_default_dtype
from minigrad.tensor import Tensor


def tensor(data, dtype=None, requires_grad: bool = False, name: str | None = None) -> Tensor:
    """A new leaf tensor holding a copy of `data`.

    >>> import minigrad as mg
    >>> mg.tensor([1, 2]).dtype, mg.tensor([1.0, 2.0]).dtype
    (dtype('int64'), dtype('float32'))
    """
    arr = np.array(as_array(data, dtype), copy=True)
    return Tensor(arr, requires_grad=requires_grad, name=name)


def _shape(shape) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        shape = shape[0]
    return tuple(int(n) for n in shape)


def _filled(fill, shape, dtype, requires_grad, name) -> Tensor:
    arr = np.full(shape, fill, dtype=dtype or get_default_dtype())
    return Tensor(arr, requires_grad=requires_grad, name=name)


def zeros(*shape, dtype=None, requires_grad: bool = False, name: str | None = None) -> Tensor:
    """Zeros of the given shape (`zeros(2, 3)` or `zeros((2, 3))`), default float dtype."""
    return _filled(0, _shape(shape), dtype, requires_grad, name)


def ones(*shape, dtype=None, requires_grad: bool = False, name: str | None = None) -> Tensor:
    """Ones of the given shape, default float dtype."""
    return _filled(1, _shape(shape), dtype, requires_grad, name)


def full(
    shape, fill_value, dtype=None, requires_grad: bool = False, name: str | None = None
) -> Tensor:
    """`fill_value` everywhere; the dtype follows the value (a float gives the default)."""
    if dtype is None:
        dtype = as_array(fill_value).dtype
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return Tensor(np.full(shape, fill_value, dtype=dtype), requires_grad=requires_grad, name=name)


def arange(start, stop=None, step=1, dtype=None, requires_grad: bool = False) -> Tensor:
    """Evenly spaced values in [start, stop): int64 for int arguments, else default float."""
    if stop is None:
        start, stop = 0, start
    if dtype is None and not all(isinstance(v, int) for v in (start, stop, step)):
        dtype = get_default_dtype()
    return Tensor(np.arange(start, stop, step, dtype=dtype), requires_grad=requires_grad)


def eye(n: int, m: int | None = None, dtype=None, requires_grad: bool = False) -> Tensor:
    """The identity matrix (n x m), default float dtype."""
    arr = np.eye(n, m, dtype=dtype or get_default_dtype())
    return Tensor(arr, requires_grad=requires_grad)


def randn(
    *shape,
    rng: np.random.Generator,
    dtype=None,
    requires_grad: bool = False,
    name: str | None = None,
) -> Tensor:
    """Standard normal samples drawn from `rng` (no hidden global seed)."""
    arr = rng.standard_normal(_shape(shape)).astype(dtype or get_default_dtype())
    return Tensor(arr, requires_grad=requires_grad, name=name)


def rand(
    *shape,
    rng: np.random.Generator,
    dtype=None,
    requires_grad: bool = False,
    name: str | None = None,
) -> Tensor:
    """Uniform samples on [0, 1) drawn from `rng`."""
    arr = rng.random(_shape(shape)).astype(dtype or get_default_dtype())
    return Tensor(arr, requires_grad=requires_grad, name=name)


def _like_dtype(x, dtype):
    return dtype or np.asarray(x).dtype


def zeros_like(x, dtype=None, requires_grad: bool = False) -> Tensor:
    return zeros(np.shape(x), dtype=_like_dtype(x, dtype), requires_grad=requires_grad)


def ones_like(x, dtype=None, requires_grad: bool = False) -> Tensor:
    return ones(np.shape(x), dtype=_like_dtype(x, dtype), requires_grad=requires_grad)


def full_like(x, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    return full(np.shape(x), fill_value, dtype=_like_dtype(x, dtype), requires_grad=requires_grad)


def randn_like(x, rng: np.random.Generator, dtype=None, requires_grad: bool = False) -> Tensor:
    return randn(np.shape(x), rng=rng, dtype=_like_dtype(x, dtype), requires_grad=requires_grad)


def rand_like(x, rng: np.random.Generator, dtype=None, requires_grad: bool = False) -> Tensor:
    return rand(np.shape(x), rng=rng, dtype=_like_dtype(x, dtype), requires_grad=requires_grad)
