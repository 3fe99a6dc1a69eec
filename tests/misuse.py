"""The misuse table's machinery: each case is one bad (or tricky) use of minigrad and what must
happen: a specific exception whose message names the problem in the user's terms, or the right
result. The tables are in tests/test_misuse_*.py, one per area; ids start with a category."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import minigrad as mg

# Exceptions that say "minigrad broke", never "you asked for something wrong".
INTERNAL = (AttributeError, ZeroDivisionError, KeyError, UnboundLocalError, NameError, IndexError)


@dataclass(frozen=True)
class Case:
    id: str
    action: Callable[[], Any]
    raises: type[BaseException] | None = None
    match: str | None = None
    check: Callable[[Any], Any] | None = None
    allowed: tuple = ()  # internal-looking types that are the right answer here (x[5])

    def __repr__(self) -> str:
        return self.id


def bad(id: str, action, raises: type[BaseException], match: str, allowed: tuple = ()) -> Case:
    """`action()` must raise `raises` with a message matching the regex `match`."""
    return Case(id, action, raises=raises, match=match, allowed=allowed)


def good(id: str, action, check) -> Case:
    """`action()` must return a value for which `check(value)` is true (or does not fail)."""
    return Case(id, action, check=check)


def run(case: Case) -> None:
    if case.raises is not None:
        with pytest.raises(case.raises) as info:
            case.action()
        message = str(info.value)
        assert re.search(case.match, message, re.S), f"message {message!r} lacks {case.match!r}"
        internal = isinstance(info.value, INTERNAL) and not isinstance(info.value, case.allowed)
        assert not internal, f"an internal-looking {type(info.value).__name__}: {message}"
        assert len(message) < 1200, "an error message should be read, not scrolled"
        return
    result = case.action()
    outcome = case.check(result)
    assert outcome is None or bool(outcome), f"unexpected result {result!r:.300}"


def ids(cases: list[Case]) -> list[str]:
    names = [c.id for c in cases]
    duplicates = {n for n in names if names.count(n) > 1}
    assert not duplicates, f"duplicate case ids {duplicates}"
    return names


# -- small helpers for the tables ---------------------------------------------------------
def leaf(values, dtype=np.float64) -> mg.Tensor:
    """A float64 leaf that requires grad."""
    return mg.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def same(expected, dtype=None):
    """A check: the result's data equals `expected` (NaN equal to NaN), with `dtype` if given."""

    def check(result):
        data = result.data if isinstance(result, mg.Tensor) else np.asarray(result)
        np.testing.assert_allclose(data, expected, rtol=1e-12, atol=0, equal_nan=True)
        if dtype is not None:
            assert data.dtype == np.dtype(dtype), f"dtype {data.dtype}, expected {dtype}"
        return True

    return check


def grad_of(f, x):
    """The gradient of f at a float64 leaf made from x (after f(leaf).backward())."""
    t = leaf(x)
    out = f(t)
    out.backward()
    return t.grad


def matches(pattern: str):
    """A check on text: the regex `pattern` is found in it."""
    return lambda text: re.search(pattern, text, re.S) is not None


def minigrad_command(*argv):
    """Run `python -m minigrad ARGV...` in a new process; its completed result."""
    return subprocess.run(
        [sys.executable, "-m", "minigrad", *argv],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def cli_error(result, message: str) -> bool:
    """A check on a finished `minigrad` command: a usage error, exit status 2, one line on
    stderr matching `message`, no traceback."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, f"not one line: {result.stderr}"
    assert re.search(message, lines[0]), lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    return True
