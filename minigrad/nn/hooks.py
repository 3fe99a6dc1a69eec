"""Full backward hooks of modules (`Module.register_full_backward_hook`), built from the
engine's tensor hooks on recorded identity nodes around each call's inputs and outputs."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import numpy as np

from minigrad import functional as F
from minigrad.inplace import hidden_view
from minigrad.tensor import Tensor

if TYPE_CHECKING:
    from minigrad.nn.module import Module


class Registered:
    """One registration of a full backward hook (the same function registered twice runs
    twice, and each handle removes its own)."""

    __slots__ = ("hook",)

    def __init__(self, hook) -> None:
        self.hook = hook


def _identity(x: Tensor) -> Tensor:
    """A recorded no-op (a reshape to the same shape: a view, differentiable to any order)
    whose gradient a tensor hook can watch without touching the user's tensors. It is not a
    view the user holds, so `y += 1` on the module's output still rebinds."""
    return hidden_view(x, lambda t: F.reshape(t, t.shape))


class BackwardCall:
    """The full backward hooks of one call of a module, built from tensor hooks.

    Each Tensor input x that requires grad is wrapped twice, v = id(x) then w = id(v), all v
    created before all w; forward sees w. Outputs are wrapped the same way, o -> u -> o2, and
    the caller gets o2. A backward pass pops tensors in decreasing creation order, so within
    one pass the hooks fire in this order: every o2 (records grad_output), every u, every w
    (records grad_input), every v. The first v to fire has therefore seen every w that gets a
    gradient in this pass, and it calls the user's hooks; each v then returns the replacement
    for its input, before that gradient reaches x. Without inputs that require grad the first
    u calls them instead. A hook firing at a tensor created no earlier than the last one fired
    starts a new pass (retain_graph, double backward). State is per thread.
    """

    def __init__(self, module: Module) -> None:
        self.module = module
        self.entries = list(module._backward_hooks)
        self.n_in = self.n_out = self.wrapped_in = 0
        self.passes: dict[int, _Pass] = {}

    def wrap_inputs(self, args: tuple) -> tuple:
        args = list(args)
        found = list(enumerate(_tensor_positions(args)))
        self.n_in = len(found)
        firsts = [(i, k, _identity(args[k])) for i, k in found if args[k].requires_grad]
        for i, k, v in firsts:
            if v.requires_grad:  # recorded (not in forward mode only)
                w = _identity(v)
                w.register_hook(self._hook(w, self._input_grad, i))
                v.register_hook(self._hook(v, self._input_done, i))
                args[k] = w
                self.wrapped_in += 1
        return tuple(args)

    def wrap_outputs(self, out):
        if isinstance(out, Tensor):
            items = [out]
        elif isinstance(out, tuple | list):
            items = list(out)
        else:
            raise TypeError(
                f"register_full_backward_hook: {self.module!r:.60} returned a "
                f"{type(out).__name__}; full backward hooks need forward to return a Tensor or "
                "a tuple or list of Tensors"
            )
        found = list(enumerate(_tensor_positions(items)))
        self.n_out = len(found)
        firsts = [(j, k, _identity(items[k])) for j, k in found if items[k].requires_grad]
        for j, k, u in firsts:
            if u.requires_grad:
                o2 = _identity(u)
                o2.register_hook(self._hook(o2, self._output_grad, j))
                u.register_hook(self._hook(u, self._output_done, j))
                items[k] = o2
        if isinstance(out, Tensor):
            return items[0]
        if hasattr(out, "_fields"):  # a namedtuple
            return type(out)(*items)
        return type(out)(items)

    def _hook(self, t: Tensor, event, index: int):
        seq = t._seq
        return lambda g: event(self._pass(seq), index, g)

    def _pass(self, seq: int) -> _Pass:
        key = threading.get_ident()
        state = self.passes.get(key)
        if state is None or seq >= state.last:
            state = self.passes[key] = _Pass(self.n_in)
        state.last = seq
        return state

    def _output_grad(self, state: _Pass, j: int, g: Tensor) -> None:
        if state.grad_out is None:
            state.grad_out = [None] * self.n_out
        state.grad_out[j] = g

    def _output_done(self, state: _Pass, j: int, g: Tensor) -> None:
        if self.wrapped_in == 0 and not state.fired and state.grad_out is not None:
            state.fired = True
            self._run(state)

    def _input_grad(self, state: _Pass, i: int, g: Tensor) -> None:
        state.grad_in[i] = g

    def _input_done(self, state: _Pass, i: int, g: Tensor) -> Tensor | None:
        if not state.fired:
            state.fired = True
            if state.grad_out is None:
                return None  # the gradient did not come through the outputs (as PyTorch)
            state.replaced = self._run(state)
        if state.replaced is None:
            return None
        new = state.replaced[i]
        return new if new is not None else Tensor._make(np.zeros_like(g.data), None)

    def _run(self, state: _Pass) -> tuple | None:
        """Call the hooks still registered; the grad_input they chose, or None if unchanged.
        The pass's gradients are let go (the graph may live on, they need not)."""
        module, grad_input = self.module, tuple(state.grad_in)
        grad_output, original, replaced = tuple(state.grad_out), grad_input, None
        state.grad_in = state.grad_out = None
        for entry in self.entries:
            if not any(entry is e for e in module._backward_hooks):
                continue  # removed since the call
            try:
                result = entry.hook(module, grad_input, grad_output)
            except Exception as err:
                err.add_note(f"(in a full backward hook of {module!r:.60})")
                raise
            if result is not None:
                grad_input = replaced = _checked(entry.hook, module, result, original)
        return replaced


class _Pass:
    """What one backward pass (in one thread) has gathered for one call of a module."""

    __slots__ = ("last", "grad_in", "grad_out", "fired", "replaced")

    def __init__(self, n_in: int) -> None:
        self.last = -1
        self.grad_in: list = [None] * n_in
        self.grad_out: list | None = None
        self.fired = False
        self.replaced: tuple | None = None


def _tensor_positions(items: list) -> list[int]:
    return [k for k, x in enumerate(items) if isinstance(x, Tensor)]


def _checked(hook, module: Module, result, grad_input: tuple) -> tuple:
    """`result` of a full backward hook as a valid replacement of `grad_input`, or an error
    saying exactly what is wrong."""
    where = (
        f"full backward hook {getattr(hook, '__name__', type(hook).__name__)!r} of {module!r:.60}"
    )
    if not isinstance(result, tuple | list):
        raise TypeError(
            f"{where} returned a {type(result).__name__}; return None to keep grad_input, or a "
            f"tuple of {len(grad_input)} gradient(s), one per input (None for no gradient)"
        )
    if len(result) != len(grad_input):
        raise ValueError(
            f"{where} returned {len(result)} gradient(s) for {len(grad_input)} input(s); "
            "return one per Tensor input of the call, in order (None for no gradient)"
        )
    for i, (new, old) in enumerate(zip(result, grad_input, strict=True)):
        if new is None:
            continue
        if old is None:
            raise ValueError(
                f"{where} returned a gradient for input {i}, which gets none (it does not "
                "require grad, or the output does not depend on it); return None there"
            )
        if not isinstance(new, Tensor):
            raise TypeError(
                f"{where} returned a {type(new).__name__} for input {i}; return a Tensor of "
                f"shape {old.shape} and dtype {old.dtype} (e.g. mg.tensor(array)) or None"
            )
        if new.shape != old.shape or new.dtype != old.dtype:
            raise ValueError(
                f"{where} returned a gradient of shape {new.shape} and dtype {new.dtype} for "
                f"input {i}, whose gradient has shape {old.shape} and dtype {old.dtype}"
            )
    return tuple(result)
