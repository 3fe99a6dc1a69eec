"""Functions whose results are not differentiable: comparisons, logic, signs, argmax, and
NumPy's `all`, `any`, `isclose`, `allclose`. Their results never require grad (the derivative
of a comparison is 0 wherever it exists), so they run on the data and record nothing.
"""

from __future__ import annotations

import numpy as np

from minigrad.autodiff.graph import Primitive
from minigrad.autodiff.mode import TRACING
from minigrad.dtypes import KINDS, as_array
from minigrad.ops.reduce import normalize_axis
from minigrad.tensor import Tensor
from minigrad.validate import flag, number, restated


def _array(x) -> np.ndarray:
    """Operands by NumPy's rules (a list of Python floats is float64, as in np.allclose: the
    reference values of a comparison keep their precision); other types get minigrad's error."""
    if isinstance(x, Tensor):
        return x.data
    array = np.asarray(x)
    return array if array.dtype.kind in KINDS else as_array(x)


class Undifferentiated(Primitive, register=False):
    """A NumPy function whose result has no derivative (a comparison, a sign, an argmax): the
    instruction a traced program records for it. Eagerly these functions record nothing."""

    __slots__ = ("fn", "label")
    differentiable = False

    def __init__(self, fn, label: str) -> None:
        self.fn, self.label = fn, label

    @property
    def name(self) -> str:
        return self.label

    def params(self) -> dict:
        return {}

    def forward(self, *arrays):
        return self.fn(*arrays)


def _constant(fn, *xs, name: str | None = None) -> Tensor:
    name = name or fn.__name__
    if TRACING:  # symbols of a program being traced (minigrad/program/trace.py)
        from minigrad.program.trace import trace_apply

        traced = trace_apply(Undifferentiated(fn, name), xs)
        if traced is not None:
            return traced
    try:
        arrays = [_array(x) for x in xs]
    except (TypeError, ValueError) as err:
        raise restated(err, f"{name}: {err}") from None
    try:
        return Tensor._make(np.asarray(fn(*arrays)), None)
    except (TypeError, ValueError) as err:
        shapes = ", ".join(str(a.shape) for a in arrays)
        raise restated(err, f"{name}: {err}; input shapes {shapes}") from None


def _reduction(fn, name: str, x, axis, keepdims, one_axis: bool = False) -> Tensor:
    """`fn(array, axis=..., keepdims=...)` with the axis and keepdims checked, naming `name`."""
    keepdims = flag(keepdims, name, "keepdims")
    ndim = np.ndim(x.data if isinstance(x, Tensor) else _array(x))
    if axis is not None:
        if one_axis and not isinstance(axis, int | np.integer):
            raise TypeError(f"{name}: axis must be None or an int, got {axis!r:.60}")
        axis = normalize_axis(axis, ndim, name, sort=False)
        axis = axis[0] if one_axis else axis
    if one_axis and np.size(x.data if isinstance(x, Tensor) else _array(x)) == 0:
        raise ValueError(f"{name}: the tensor is empty, so it has no {name}")
    return _constant(lambda a: fn(a, axis=axis, keepdims=keepdims), x, name=name)


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
    return _reduction(np.argmax, "argmax", x, axis, keepdims, one_axis=True)


def argmin(x, axis=None, keepdims=False) -> Tensor:
    return _reduction(np.argmin, "argmin", x, axis, keepdims, one_axis=True)


def all(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001 (NumPy's name)
    """Whether every element (along `axis`) is true (non-zero), as a bool tensor."""
    return _reduction(np.all, "all", x, axis, keepdims)


def any(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001 (NumPy's name)
    """Whether some element (along `axis`) is true (non-zero), as a bool tensor."""
    return _reduction(np.any, "any", x, axis, keepdims)


def isclose(x, y, rtol=1e-05, atol=1e-08, equal_nan=False) -> Tensor:
    """Elementwise |x - y| <= atol + rtol |y| (NumPy's rule), as a bool tensor."""
    return _close("isclose", x, y, rtol, atol, equal_nan)


def _close(name: str, x, y, rtol, atol, equal_nan) -> Tensor:
    rtol = number(rtol, name, "rtol", low=0)
    atol = number(atol, name, "atol", low=0)
    equal_nan = flag(equal_nan, name, "equal_nan")
    return _constant(lambda a, b: np.isclose(a, b, rtol, atol, equal_nan), x, y, name=name)


def allclose(x, y, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    """True when every element of x is close to y (`isclose`); a Python bool, as NumPy's.

    >>> import minigrad as mg
    >>> mg.allclose(mg.tensor([1.0, 2.0]), [1.0, 2.0000001])
    True
    """
    return bool(_close("allclose", x, y, rtol, atol, equal_nan).data.all())
