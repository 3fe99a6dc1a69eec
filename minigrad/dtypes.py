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


def as_array(data, dtype=None) -> np.ndarray:
    """NumPy arrays keep their dtype; Python floats and lists of floats get the default dtype;
    Python ints and bools stay integer and bool."""
    if hasattr(data, "_requires_grad"):  # a Tensor
        data = data.data
    if isinstance(data, np.ndarray | np.generic):
        arr = np.asarray(data)
    else:
        arr = np.asarray(data)
        if arr.dtype.kind not in "biufc":
            raise TypeError(f"cannot make a tensor from {type(data).__name__}: {data!r:.60}")
        if arr.dtype.kind == "f" and dtype is None:
            dtype = _DEFAULT[0]
    return arr if dtype is None else arr.astype(dtype, copy=False)
