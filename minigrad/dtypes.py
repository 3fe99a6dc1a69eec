"""The default float dtype and the conversion of Python data to arrays."""

from __future__ import annotations

import numpy as np

_DEFAULT = [np.dtype(np.float32)]


def set_default_dtype(dtype) -> None:
    """Set the float dtype given to Python numbers and lists (float32 at start, like PyTorch).

    >>> import numpy as np, minigrad as mg
    >>> mg.set_default_dtype(np.float64); mg.tensor(1.0).dtype
    dtype('float64')
    >>> mg.set_default_dtype(np.float32)
    """
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"the default dtype must be a float dtype, got {dtype}")
    _DEFAULT[0] = dtype


def get_default_dtype() -> np.dtype:
    return _DEFAULT[0]


def float_for(dtype) -> np.dtype:
    """The float dtype NumPy's transcendental functions give for `dtype` (float16 for bool and
    8-bit integers, float32 for 16-bit, float64 for wider; floats stay as they are)."""
    dtype = np.dtype(dtype)
    return dtype if dtype.kind == "f" else np.exp(np.zeros((), dtype)).dtype


def floating(x):
    """`x` (an array or a Tensor) as is if it is float, else converted to `float_for` its
    dtype: functions that negate or subtract before exponentiating would wrap integers around."""
    return x if x.dtype.kind == "f" else x.astype(float_for(x.dtype))


#: The dtype kinds a tensor may hold: bool, signed and unsigned integers, floats.
KINDS = "biuf"


def check_dtype(dtype, what: str = "tensor") -> np.dtype:
    """`dtype` as a NumPy dtype that a tensor may hold, else a TypeError saying what to do."""
    try:
        dtype = np.dtype(dtype)
    except TypeError as err:
        raise TypeError(f"{what}: {dtype!r:.60} is not a dtype ({err})") from None
    if dtype.kind not in KINDS:
        raise TypeError(
            f"{what}: dtype {dtype} is not supported; tensors hold bool, integer or float data "
            "(convert it first, e.g. with np.asarray(data, dtype=np.float64))"
        )
    return dtype


def as_array(data, dtype=None, copy: bool = False, floats=None) -> np.ndarray:
    """NumPy arrays keep their dtype; Python floats and lists of floats get the default dtype
    (or `floats`); Python ints and bools stay integer and bool. Strings, objects, dates and
    complex numbers are refused. With `copy`, the result never shares memory with `data`."""
    if hasattr(data, "_requires_grad"):  # a Tensor: refused if its gradient is recorded
        data = data.__array__()
    if dtype is not None:
        dtype = check_dtype(dtype)
    if isinstance(data, np.ndarray | np.generic):
        arr = np.array(data, copy=True) if copy else np.asarray(data)
    else:
        try:
            arr = np.asarray(data)
        except ValueError as err:  # ragged lists
            raise ValueError(f"cannot make a tensor from {_describe(data)}: {err}") from None
        if arr.dtype.kind == "f" and dtype is None:
            dtype = _DEFAULT[0] if floats is None else floats
    if arr.dtype.kind not in KINDS:
        raise TypeError(
            f"cannot make a tensor from {_describe(data)}: its dtype {arr.dtype} is not "
            "bool, integer or float"
        )
    return arr if dtype is None else arr.astype(dtype, copy=False)


def _describe(data) -> str:
    if isinstance(data, np.ndarray):
        return f"an array of dtype {data.dtype} and shape {data.shape}"
    return f"{type(data).__name__} {data!r:.60}"
