"""Grad mode: whether operations on tensors are recorded for reverse mode (per thread)."""

from __future__ import annotations

import functools
import inspect
import threading

from minigrad.validate import flag


class _GradMode(threading.local):
    """Each thread has its own grad mode, on at the start, as in PyTorch: `no_grad` in one
    thread (or a backward pass running there) never switches recording off in another."""

    def __init__(self) -> None:
        self.enabled = True
        self.saved: list[bool] = []  # the modes that open `with` blocks will restore


MODE = _GradMode()
# The threads whose grad mode is off now (set.add and set.discard are atomic). While it is
# empty (in most programs, most of the time), every thread records, and the engine's hot path
# need not read its thread's mode.
OFF: set[int] = set()
# The threads that are tracing a program (minigrad/program/trace.py): while it is empty, no op
# needs to look for symbols among its operands.
TRACING: set[int] = set()


def set_grad_mode(enabled: bool) -> bool:
    """Set this thread's grad mode and return the previous one (to restore it later)."""
    previous = MODE.enabled
    if previous != enabled:
        MODE.enabled = enabled
        if enabled:
            OFF.discard(threading.get_ident())
        else:
            OFF.add(threading.get_ident())
    return previous


def is_grad_enabled() -> bool:
    """True when operations are recorded for backward()."""
    return MODE.enabled


class _SetGradMode:
    """Context manager and decorator that sets grad mode, restoring it on exit. One instance
    may be entered by several threads (or re-entered): the mode to restore is kept per thread.
    On a generator function, the mode holds while the generator runs, not just while it is
    created."""

    enabled: bool

    def __new__(cls, fn=None):
        """`@mg.no_grad()` and, as in recent PyTorch, the bare `@mg.no_grad` both decorate."""
        if fn is None:
            return object.__new__(cls)
        return object.__new__(cls)(fn)

    def __enter__(self) -> None:
        MODE.saved.append(set_grad_mode(self.enabled))

    def __exit__(self, *exc: object) -> None:
        set_grad_mode(MODE.saved.pop())

    def __call__(self, fn):
        if not callable(fn):
            raise TypeError(
                f"{type(self).__name__}() decorates a function, got {type(fn).__name__}; "
                f"use `with mg.{type(self).__name__}():` around a block instead"
            )
        mode = type(self)
        if inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn):
            raise TypeError(
                f"{mode.__name__} cannot decorate the async function {fn.__name__!r}: other "
                f"tasks would run under its mode while it waits; use `with mg.{mode.__name__}():`"
                " around the code inside it"
            )
        if inspect.isgeneratorfunction(fn):

            @functools.wraps(fn)
            def generator(*args, **kwargs):
                with mode():
                    gen = fn(*args, **kwargs)
                return (yield from _resumed_under(mode, gen))

            return generator

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with mode():
                return fn(*args, **kwargs)

        return wrapper


def _resumed_under(mode, gen):
    """Drive `gen`, entering `mode` around each resumption (sends and throws pass through)."""
    try:
        with mode():
            value = next(gen)
        while True:
            try:
                sent = yield value
            except GeneratorExit:
                with mode():
                    gen.close()
                raise
            except BaseException as err:  # noqa: BLE001 (thrown into us: pass it on)
                with mode():
                    value = gen.throw(err)
            else:
                with mode():
                    value = gen.send(sent)
    except StopIteration as stop:
        return stop.value


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


class inference_mode(no_grad):  # noqa: N801 (named like PyTorch's)
    """PyTorch's name for `no_grad` when only evaluating a model. minigrad has no separate
    inference tensors: it is `no_grad` under another name, and `inference_mode(False)` (or
    `mode=False`) changes nothing, as in PyTorch."""

    def __new__(cls, mode=True):
        if callable(mode):  # the bare decorator: @mg.inference_mode
            return super().__new__(cls, mode)
        self = object.__new__(cls)
        self.enabled = None if flag(mode, "inference_mode", "mode") is False else False
        return self

    def __init__(self, mode=True) -> None:
        pass

    def __enter__(self) -> None:
        if self.enabled is None:  # inference_mode(False): keep the mode as it is
            MODE.saved.append(MODE.enabled)
        else:
            super().__enter__()

    def __call__(self, fn):
        if self.enabled is None:  # nothing to switch: the function as it is
            return fn
        return super().__call__(fn)


class set_grad_enabled:  # noqa: N801 (named like PyTorch's)
    """`mg.set_grad_enabled(False)` switches recording off in this thread at once; used as
    `with mg.set_grad_enabled(mode):` it restores the previous mode on exit.

    >>> import minigrad as mg
    >>> with mg.set_grad_enabled(False):
    ...     mg.is_grad_enabled()
    False
    >>> mg.is_grad_enabled()
    True
    """

    def __init__(self, mode: bool) -> None:
        self.enabled = flag(mode, "set_grad_enabled", "mode")
        self._previous = set_grad_mode(self.enabled)

    def __enter__(self) -> None:
        MODE.saved.append(self._previous)

    def __exit__(self, *exc: object) -> None:
        set_grad_mode(MODE.saved.pop())

    def __call__(self, fn):
        """As a decorator: the mode holds while `fn` runs (the call itself changes nothing)."""
        set_grad_mode(self._previous)
        return (enable_grad if self.enabled else no_grad)(fn)
