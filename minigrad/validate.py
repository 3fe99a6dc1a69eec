"""Checks of user arguments at the API boundary, with errors in the user's terms.

Each check names the function (`where`) and the argument, says what was given and what is
expected, and returns the value in a normal form.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


def restated(err: Exception, message: str) -> Exception:
    """An error of `err`'s basic kind (TypeError, IndexError, ValueError, OverflowError) saying
    `message`: NumPy's own errors, reraised with the op, the shapes or the dtypes in front."""
    kinds = (TypeError, IndexError, ValueError, OverflowError)
    kind = next(k for k in kinds if isinstance(err, k))
    return kind(message)


def ints(values, where: str, what: str) -> tuple[int, ...]:
    """An int or a sequence of ints (Python or NumPy; not bool, not float) as a tuple."""
    items = (values,) if isinstance(values, int | np.integer) else values
    try:
        items = tuple(items)
    except TypeError:
        items = None
    if items is None or not all(is_int(n) for n in items):
        raise TypeError(f"{where}: {what} must be an int or a tuple of ints, got {values!r:.60}")
    return tuple(int(n) for n in items)


def is_int(n) -> bool:
    return isinstance(n, int | np.integer) and not isinstance(n, bool | np.bool_)


def integer(value, where: str, what: str, low: int | None = None) -> int:
    """An int (not a bool or a float), at least `low` if given."""
    if not is_int(value):
        raise TypeError(f"{where}: {what} must be an int, got {type(value).__name__} {value!r:.40}")
    if low is not None and value < low:
        raise ValueError(f"{where}: {what} must be at least {low}, got {value}")
    return int(value)


def flag(value, where: str, what: str) -> bool:
    """True or False (NumPy booleans too), never a truthy string or number."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{where}: {what} must be True or False, got {value!r:.40}")
    return bool(value)


def number(
    value,
    where: str,
    what: str,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """A finite real number (not a bool) in the given interval, as a float."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{where}: {what} must be a number, got {type(value).__name__} {value!r:.40}"
        )
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{where}: {what} must be finite, got {value}")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        left = "(" if low_open or low is None else "["
        right = ")" if high_open or high is None else "]"
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        raise ValueError(f"{where}: {what} must be in {left}{lo}, {hi}{right}, got {value:g}")
    return value


def choice(value, options, where: str, what: str):
    """One of `options` (compared with ==, after checking the type)."""
    if not isinstance(value, str) or value not in options:
        raise ValueError(
            f"{where}: {what} must be one of {', '.join(repr(o) for o in options)}, "
            f"got {value!r:.40}"
        )
    return value


def generator(rng, where: str) -> np.random.Generator:
    """An explicit random generator (minigrad never uses a hidden global seed)."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{where}: rng must be a np.random.Generator, e.g. np.random.default_rng(0), got "
            f"{type(rng).__name__}"
        )
    return rng


def shown(text: str, limit: int = 60) -> str:
    """A user's string (a name, a key) as a message shows it: control characters escaped, at
    most `limit` characters."""
    text = text if text.isprintable() else repr(text)[1:-1]
    return text if len(text) <= limit else text[: limit - 3] + "..."


def shape_text(value) -> str:
    """A value's shape for an error message (a tensor's, an array's, a list's), or its type
    when it has none (a ragged list)."""
    try:
        return str(np.shape(value))
    except ValueError:
        return type(value).__name__
