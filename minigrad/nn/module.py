"""Module and Parameter: models as plain Python objects whose tensors are found by reflection."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from minigrad.autodiff.mode import is_grad_enabled, no_grad
from minigrad.dtypes import as_array
from minigrad.nn.hooks import BackwardCall, Registered
from minigrad.nn.state import npz_path, read_state
from minigrad.tensor import _SEQUENCE, Tensor
from minigrad.validate import flag


class Parameter(Tensor):
    """A tensor that a module owns and an optimiser updates: a float leaf that requires grad."""

    __slots__ = ()

    def __init__(self, data, dtype=None, name: str | None = None) -> None:
        super().__init__(data, dtype=dtype, requires_grad=True, name=name)


class Module:
    """Base class of layers and models.

    Parameters, buffers (non-trainable state such as running averages) and sub-modules are the
    attributes that are `Parameter`, `Tensor` registered with `register_buffer`, `Module`, or
    lists, tuples and dicts of them, discovered in the order they were assigned, with dotted
    names such as `layers.2.weight` or `heads.left.bias`. `train()` / `eval()` set `training`
    on every sub-module. (The defaults below are class attributes, so that a subclass that
    forgets `super().__init__()` still works.)
    """

    training = True
    _buffers: tuple[str, ...] | list[str] = ()
    _span: tuple[int, int] | None = None
    _forward_hooks: tuple | list = ()
    _backward_hooks: tuple | list = ()

    def __init__(self) -> None:
        self.training = True
        self._buffers = []
        self._span = None
        self._forward_hooks = []
        self._backward_hooks = []

    def forward(self, *args):
        raise NotImplementedError(f"{type(self).__name__} defines no forward()")

    def __call__(self, *args, **kwargs):
        # The creation numbers of the tensors made by this call lie inside `span`: that is how
        # rendered graphs group nodes by module.
        start = next(_SEQUENCE)
        call = None
        if self._backward_hooks and is_grad_enabled():
            call = BackwardCall(self)
            args = call.wrap_inputs(args)
        out = self.forward(*args, **kwargs)
        self._span = (start, next(_SEQUENCE))
        for hook in self._forward_hooks:
            result = hook(self, args, out)
            out = out if result is None else result
        return out if call is None else call.wrap_outputs(out)

    def register_forward_hook(self, hook):
        """Call `hook(module, inputs, output)` after each forward; it may return a replacement
        output. Returns a handle whose `remove()` detaches it (instruments use this)."""
        if not callable(hook):
            raise TypeError(f"register_forward_hook: expected a function, got {hook!r:.40}")
        self._forward_hooks = [*self._forward_hooks, hook]
        return _Handle(self, hook)

    def register_full_backward_hook(self, hook):
        """Call `hook(module, grad_input, grad_output)` once per backward pass through each
        call of this module, when the gradients with respect to its inputs are complete.

        As PyTorch: `grad_input` has one entry per Tensor positional argument of the call and
        `grad_output` one per Tensor output (a Tensor, or a tuple or list of them); an entry is
        None where no gradient flows (an input that does not require grad, an unused output).
        When no input requires grad the hook is called once `grad_output` is known. The hook
        may return a tuple to use in place of `grad_input` (None there: no gradient for that
        input). It sees gradients as Tensors, recorded under `backward(create_graph=True)`. A
        pass that reaches the inputs without passing through the outputs (the second pass of a
        double backward) does not call it. Calls made while the hook is registered use it;
        returns a handle whose `remove()` detaches it.
        """
        if not callable(hook):
            raise TypeError(
                f"register_full_backward_hook: expected a function hook(module, grad_input, "
                f"grad_output), got {type(hook).__name__} {hook!r:.40}"
            )
        entry = Registered(hook)
        self._backward_hooks = [*self._backward_hooks, entry]
        return _Handle(self, entry, "_backward_hooks")

    # -- reflection ------------------------------------------------------------------------
    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, value in vars(self).items():
            if not name.startswith("_"):
                yield from _found(name, value, Module)

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module (named `prefix`) and every sub-module, depth first, in order; a module
        used in several places is listed once, under its first name (as PyTorch)."""
        seen: set[int] = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{n}" if name else n, c) for n, c in module.named_children()]
            stack.extend(reversed(children))

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Every parameter once, by its first dotted name: a layer or a tensor used twice is
        trained (and penalised) once."""
        seen: set[int] = set()
        for module_name, module in self.named_modules(prefix):
            for attribute, value in vars(module).items():
                if attribute.startswith("_"):
                    continue
                for name, p in _found(attribute, value, Parameter):
                    if id(p) not in seen:
                        seen.add(id(p))
                        yield (f"{module_name}.{name}" if module_name else name), p

    def parameters(self) -> list[Parameter]:
        return [p for _, p in self.named_parameters()]

    def register_buffer(self, name: str, value) -> None:
        """Keep `value` as state that is saved and loaded but not trained."""
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"register_buffer: the name must be an identifier, got {name!r:.40}")
        setattr(self, name, value if isinstance(value, Tensor) else Tensor(value))
        if name not in self._buffers:
            self._buffers = [*self._buffers, name]

    def named_buffers(self) -> Iterator[tuple[str, Tensor]]:
        seen: set[int] = set()
        for module_name, module in self.named_modules():
            for name in module._buffers:
                value = getattr(module, name)
                if not isinstance(value, Tensor):
                    raise TypeError(
                        f"buffer {name!r} of {type(module).__name__} was replaced by a "
                        f"{type(value).__name__}; change it in place (with mg.no_grad(): "
                        f"module.{name}.copy_(value)) or register_buffer it again"
                    )
                if id(value) not in seen:
                    seen.add(id(value))
                    yield (f"{module_name}.{name}" if module_name else name), value

    # -- modes and gradients ---------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        for _, module in self.named_modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        return self.train(False)

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = None

    # -- state -----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every parameter and buffer, by dotted name."""
        return {n: t.data.copy() for n, t in self._state_tensors().items()}

    def _state_tensors(self) -> dict[str, Tensor]:
        """Every parameter and buffer itself (not a copy), by dotted name."""
        return dict([*self.named_parameters(), *self.named_buffers()])

    def load_state_dict(self, state: dict, strict: bool = True) -> None:
        """Copy `state` into the parameters and buffers in place. Everything is checked first
        (names, shapes, dtypes), so a bad entry changes nothing."""
        if not isinstance(state, dict):
            raise TypeError(f"load_state_dict: expected a dict, got {type(state).__name__}")
        flag(strict, "load_state_dict", "strict")
        own = self._state_tensors()
        missing, unexpected = sorted(set(own) - set(state)), sorted(set(state) - set(own))
        if strict and (missing or unexpected):
            raise KeyError(
                f"load_state_dict: missing {missing}, unexpected {unexpected}; pass "
                "strict=False to load only the names both have"
            )
        values = {}
        for name, value in state.items():
            if name in own:
                values[name] = _state_value(name, value, own[name])
        with no_grad():
            for name, value in values.items():
                own[name].copy_(value)

    def save(self, path) -> Path:
        """Write the state to a NumPy `.npz` file (no pickle); `.npz` is added to a path
        without it, as `load` expects. Returns the file written."""
        path = npz_path(path)
        np.savez(path, **self.state_dict())
        return path

    def load(self, path, strict: bool = True) -> None:
        """Load a state written by `save` (the same path, with or without `.npz`). Member
        names and array headers are checked before any data is read."""
        own = {name: t.data for name, t in self._state_tensors().items()}
        self.load_state_dict(read_state(npz_path(path), own, strict), strict)

    def __repr__(self) -> str:
        children = [f"  ({n}): " + repr(m).replace("\n", "\n  ") for n, m in self.named_children()]
        extra = self.extra_repr()
        if not children:
            return f"{type(self).__name__}({extra})"
        return f"{type(self).__name__}({extra}\n" + "\n".join(children) + "\n)"

    def extra_repr(self) -> str:
        return ""


def _state_value(name: str, value, own: Tensor) -> np.ndarray:
    """`value` for the state entry `name` as an array that fits `own`, or a clear error."""
    try:
        array = as_array(value)
    except (TypeError, ValueError) as err:
        raise TypeError(f"load_state_dict: {name}: {err}") from None
    if array.shape != own.shape:
        raise ValueError(
            f"load_state_dict: {name} has shape {array.shape} but the module's is {own.shape}"
        )
    if own.dtype.kind == "f" and array.dtype.kind not in "biuf":
        raise TypeError(f"load_state_dict: {name} has dtype {array.dtype}, expected numbers")
    return array


def _found(name: str, value, kind) -> Iterator[tuple[str, object]]:
    """(dotted name, item) for each `kind` instance in `value`: the value itself, or the items of
    lists, tuples and dicts (with string keys), at any depth."""
    if isinstance(value, kind):
        yield name, value
    elif isinstance(value, list | tuple):
        for k, item in enumerate(value):
            yield from _found(f"{name}.{k}", item, kind)
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str):
                yield from _found(f"{name}.{key}", item, kind)


def _modules(items, owner: str) -> list[Module]:
    items = list(items)
    for k, m in enumerate(items):
        if not isinstance(m, Module):
            raise TypeError(
                f"{owner}: item {k} is a {type(m).__name__}, not a Module; wrap functions in a "
                "Module subclass (or use the activations in minigrad.nn)"
            )
    return items


class Sequential(Module):
    """Modules applied one after the other; named `0`, `1`, ... (`layers.2.weight`)."""

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        self.layers = _modules(modules, "Sequential")

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for k, module in enumerate(self.layers):
            yield str(k), module

    def forward(self, x):
        for module in self.layers:
            x = module(x)
        return x

    def __getitem__(self, k: int) -> Module:
        return self.layers[k]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)


class ModuleList(Module):
    """A list of modules whose parameters belong to the owner (named `0`, `1`, ...)."""

    def __init__(self, modules=()) -> None:
        super().__init__()
        self.items = _modules(modules, "ModuleList")

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for k, module in enumerate(self.items):
            yield str(k), module

    def append(self, module: Module) -> ModuleList:
        self.items.extend(_modules([module], "ModuleList.append"))
        return self

    def __getitem__(self, k: int) -> Module:
        return self.items[k]

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self):
        return iter(self.items)


class _Handle:
    def __init__(self, module: Module, hook, where: str = "_forward_hooks") -> None:
        self.module, self.hook, self.where = module, hook, where

    def remove(self) -> None:
        hooks = getattr(self.module, self.where)
        setattr(self.module, self.where, [h for h in hooks if h is not self.hook])
