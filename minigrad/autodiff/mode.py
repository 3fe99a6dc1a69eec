"""Grad mode: whether operations on tensors are recorded for reverse mode."""

from __future__ import annotations

import functools


class _GradMode:
    __slots__ = ("enabled",)

    def __init__(self) -> None:
        self.enabled = True


MODE = _GradMode()


def is_grad_enabled() -> bool:
    """True when operations are recorded for backward()."""
    return MODE.enabled


class _SetGradMode:
    """Context manager and decorator that sets grad mode, restoring it on exit."""

    enabled: bool

    def __enter__(self) -> None:
        self._previous = MODE.enabled
        MODE.enabled = self.enabled

    def __exit__(self, *exc: object) -> None:
        MODE.enabled = self._previous

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_SetGradMode):  # noqa: N801 (named like PyTorch's)
    """Operations inside are not recorded: results do not require grad.

    >>> import minigrad as mg
    >>> x = mg.tensor(2.0, requires_grad=True)
    >>> with mg.no_grad():
    ...     y = x * x
    >>> y.requires_grad
    False
    """

    enabled = False


class enable_grad(_SetGradMode):  # noqa: N801
    """Operations inside are recorded, even within `no_grad`."""

    enabled = True
