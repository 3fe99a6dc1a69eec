"""Module and Parameter: models as plain Python objects whose tensors are found by reflection."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from minigrad.autodiff.mode import no_grad
from minigrad.tensor import _SEQUENCE, Tensor


class Parameter(Tensor):
    """A tensor that a module owns and an optimiser updates: a float leaf that requires grad."""

    __slots__ = ()

    def __init__(self, data, dtype=None, name: str | None = None) -> None:
        super().__init__(data, dtype=dtype, requires_grad=True, name=name)


class Module:
    """Base class of layers and models.

    Parameters, buffers (non-trainable state such as running averages) and sub-modules are the
    attributes that are `Parameter`, `Tensor` registered with `register_buffer`, `Module`, or
    lists/tuples of modules, discovered in the order they were assigned, with dotted names such
    as `layers.2.weight`. `train()` / `eval()` set `training` on every sub-module.
    """

    def __init__(self) -> None:
        self.training = True
        self._buffers: list[str] = []
        self._span: tuple[int, int] | None = None
        self._forward_hooks: list = []

    def forward(self, *args):
        raise NotImplementedError(f"{type(self).__name__} defines no forward()")

    def __call__(self, *args, **kwargs):
        # The creation numbers of the tensors made by this call lie inside `span`: that is how
        # rendered graphs group nodes by module.
        start = next(_SEQUENCE)
        out = self.forward(*args, **kwargs)
        self._span = (start, next(_SEQUENCE))
        for hook in getattr(self, "_forward_hooks", ()):
            result = hook(self, args, out)
            out = out if result is None else result
        return out

    def register_forward_hook(self, hook):
        """Call `hook(module, inputs, output)` after each forward; it may return a replacement
        output. Returns a handle whose `remove()` detaches it (instruments use this)."""
        self._forward_hooks.append(hook)
        return _Handle(self._forward_hooks, hook)

    # -- reflection ------------------------------------------------------------------------
    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value
            elif isinstance(value, list | tuple):
                for k, item in enumerate(value):
                    if isinstance(item, Module):
                        yield f"{name}.{k}", item

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module (named `prefix`) and every sub-module, depth first, in order."""
        yield prefix, self
        for name, child in self.named_children():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        for module_name, module in self.named_modules(prefix):
            for name, value in vars(module).items():
                if isinstance(value, Parameter):
                    yield (f"{module_name}.{name}" if module_name else name), value

    def parameters(self) -> list[Parameter]:
        return [p for _, p in self.named_parameters()]

    def register_buffer(self, name: str, value) -> None:
        """Keep `value` as state that is saved and loaded but not trained."""
        setattr(self, name, value if isinstance(value, Tensor) else Tensor(value))
        self._buffers.append(name)

    def named_buffers(self) -> Iterator[tuple[str, Tensor]]:
        for module_name, module in self.named_modules():
            for name in module._buffers:
                yield (f"{module_name}.{name}" if module_name else name), getattr(module, name)

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
        return {n: t.data.copy() for n, t in [*self.named_parameters(), *self.named_buffers()]}

    def load_state_dict(self, state: dict, strict: bool = True) -> None:
        """Copy `state` into the parameters and buffers in place (names and shapes checked)."""
        own = dict([*self.named_parameters(), *self.named_buffers()])
        missing, unexpected = sorted(set(own) - set(state)), sorted(set(state) - set(own))
        if strict and (missing or unexpected):
            raise KeyError(f"load_state_dict: missing {missing}, unexpected {unexpected}")
        with no_grad():
            for name, value in state.items():
                if name not in own:
                    continue
                if np.shape(value) != own[name].shape:
                    raise ValueError(
                        f"load_state_dict: {name} has shape {np.shape(value)} "
                        f"but the module's is {own[name].shape}"
                    )
                own[name].copy_(np.asarray(value))

    def save(self, path) -> None:
        """Write the state to a NumPy `.npz` file (no pickle)."""
        np.savez(Path(path), **self.state_dict())

    def load(self, path) -> None:
        with np.load(Path(path), allow_pickle=False) as data:
            self.load_state_dict({k: data[k] for k in data.files})

    def __repr__(self) -> str:
        children = [f"  ({n}): " + repr(m).replace("\n", "\n  ") for n, m in self.named_children()]
        extra = self.extra_repr()
        if not children:
            return f"{type(self).__name__}({extra})"
        return f"{type(self).__name__}({extra}\n" + "\n".join(children) + "\n)"

    def extra_repr(self) -> str:
        return ""


class Sequential(Module):
    """Modules applied one after the other; named `0`, `1`, ... (`layers.2.weight`)."""

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        self.layers = list(modules)

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
        self.items = list(modules)

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for k, module in enumerate(self.items):
            yield str(k), module

    def append(self, module: Module) -> ModuleList:
        self.items.append(module)
        return self

    def __getitem__(self, k: int) -> Module:
        return self.items[k]

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self):
        return iter(self.items)


class _Handle:
    def __init__(self, hooks: list, hook) -> None:
        self.hooks, self.hook = hooks, hook

    def remove(self) -> None:
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)
