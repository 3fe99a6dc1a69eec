"""Functions whose results are not differentiable: comparisons, logic, signs, argmax, and
NumPy's `all`, `any`, `isclose`, `allclose`. Their results never require grad (the derivative
of a comparison is 0 wherever it exists), so they run on the data and record nothing.
"""

from __future__ import annotations

import numpy as np

from minigrad.dtypes import KINDS, as_array
from minigrad.tensor import Tensor
from minigrad.validate import restated


def _array(x) -> np.ndarray:
    """Operands by NumPy's rules (a list of Python floats is float64, as in np.allclose: the
    reference values of a comparison keep their precision); other types get minigrad's error."""
    if isinstance(x, Tensor):
        return x.data
    array = np.asarray(x)
    return array if array.dtype.kind in KINDS else as_array(x)


def _constant(fn, *xs) -> Tensor:
    arrays = [_array(x) for x in xs]
    try:
        return Tensor._make(np.asarray(fn(*arrays)), None)
    except (TypeError, ValueError) as err:
        name = getattr(fn, "__name__", "function")
        shapes = ", ".join(str(a.shape) for a in arrays)
        raise restated(err, f"{name}: {err}; input shapes {shapes}") from None


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


def all(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001 (NumPy's name)
    """Whether every element (along `axis`) is true (non-zero), as a bool tensor."""
    return _constant(lambda a: np.all(a, axis=axis, keepdims=keepdims), x)


def any(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001 (NumPy's name)
    """Whether some element (along `axis`) is true (non-zero), as a bool tensor."""
    return _constant(lambda a: np.any(a, axis=axis, keepdims=keepdims), x)


def isclose(x, y, rtol=1e-05, atol=1e-08, equal_nan=False) -> Tensor:
    """Elementwise |x - y| <= atol + rtol |y| (NumPy's rule), as a bool tensor."""
    return _constant(lambda a, b: np.isclose(a, b, rtol, atol, equal_nan), x, y)


def allclose(x, y, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    """True when every element of x is close to y (`isclose`); a Python bool, as NumPy's.

    >>> import minigrad as mg
    >>> mg.allclose(mg.tensor([1.0, 2.0]), [1.0, 2.0000001])
    True
    """
    return bool(isclose(x, y, rtol, atol, equal_nan).data.all())
