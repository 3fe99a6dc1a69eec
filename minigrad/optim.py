"""Optimisers (SGD with momentum, Nesterov and weight decay; Adam) and learning-rate schedules.

They update parameters' arrays in place and note each change in the parameter's version
counter (so a backward pass that saved the old value refuses); their state (velocities,
moments) is plain NumPy.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from minigrad import pytree
from minigrad.inplace import changed
from minigrad.tensor import Tensor
from minigrad.validate import flag, integer, number, shown


class Optimizer:
    """Base class: keeps the parameters (distinct leaf tensors, checked here) and the learning
    rate, and applies `update` to each parameter that has a gradient.

    `params` may be a list of tensors (`model.parameters()`), a pytree of them (nested dicts,
    tuples, lists: `{'w': w, 'b': b}`), or (name, tensor) pairs (`model.named_parameters()`);
    errors name each parameter by its name or path. A tensor given twice is kept once (with a
    UserWarning), so that it is not stepped twice.
    """

    def __init__(self, params, lr: float) -> None:
        self.params, self.names = _parameters(params, type(self).__name__)
        self.lr = lr
        self.steps = 0
        self.schedule = None  # the one learning-rate schedule driving this optimiser, if any

    @property
    def lr(self) -> float:
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = number(value, type(self).__name__, "the learning rate lr", low=0)

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        self.steps += 1
        for k, p in enumerate(self.params):
            g = p._grad
            if g is None:
                continue
            if g.shape != p.shape:  # .grad is checked when set; this guards its .data
                raise ValueError(
                    f"{type(self).__name__}.step: parameter {self.names[k]} has shape "
                    f"{p.shape} but its gradient has shape {g.shape}"
                )
            # NOTE: on the arrays, not through p.sub_ (whose checks cost as much as the update
            # on small networks); the version counter still records the change.
            p.data -= self.update(k, p.data, g.data)
            changed(p)

    def update(self, k: int, w: np.ndarray, g: np.ndarray) -> np.ndarray:
        """The amount to subtract from parameter k (value w, gradient g)."""
        raise NotImplementedError


def _parameters(params, owner: str) -> tuple[list[Tensor], list[str]]:
    """`params` as a list of distinct leaf tensors and their names for messages, or a
    TypeError/ValueError saying why not."""
    if isinstance(params, Tensor):
        raise TypeError(
            f"{owner}: params must be an iterable of tensors, got one Tensor; write "
            f"{owner}([p], ...) or {owner}(model.parameters(), ...)"
        )
    if isinstance(params, set | frozenset):
        raise TypeError(
            f"{owner}: params is a set, whose order changes from run to run (and with it the "
            f"order of the updates and of the state); pass a list, e.g. {owner}(list(params), "
            "...) or model.parameters()"
        )
    if type(params) not in (list, tuple, dict):  # an iterator, such as named_parameters()
        try:
            params = list(params)
        except TypeError:
            raise TypeError(
                f"{owner}: params must be an iterable of tensors, got {type(params).__name__}"
            ) from None
    _no_none(params, owner, "params")
    tensors, names = _named(params, owner)
    if not tensors:
        raise ValueError(f"{owner}: got no parameters to optimise")
    kept, seen = [], {}
    for p, name in zip(tensors, names, strict=True):
        _check_parameter(p, name, owner, params)
        if id(p) in seen:
            warnings.warn(
                f"{owner}: optimizer got the same parameter twice (parameter {seen[id(p)]} and "
                f"parameter {name}); it is kept once, so that step() updates it once",
                UserWarning,
                stacklevel=4,
            )
            continue
        seen[id(p)] = name
        kept.append(p)
    return kept, [seen[id(p)] for p in kept]


def _no_none(tree, owner: str, path: str) -> None:
    """None in a list or tuple of parameters is a mistake that the pytree (where None is an
    empty container) would silently drop: refuse it by name. A dict entry may be None, as in
    JAX's pytrees ({'frozen': None}: no parameters there)."""
    if tree is None:
        raise TypeError(f"{owner}: {path} is None, not a Tensor")
    if isinstance(tree, list | tuple):
        for k, t in enumerate(tree):
            _no_none(t, owner, f"{path}[{k}]")
    elif isinstance(tree, dict):
        for k, t in tree.items():
            if t is not None:
                _no_none(t, owner, f"{path}[{k!r:.40}]")


def _named(params, owner: str) -> tuple[list, list[str]]:
    """The tensors of `params` and their names: the given names for (name, tensor) pairs, the
    index for a flat list, the path for a pytree (`params['w'][0]`)."""
    leaves, treedef = pytree.flatten(params, owner)
    if type(params) is dict:
        return leaves, [pytree.name("params", path, "params") for path in treedef.paths()]
    pairs = [isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) for p in params]
    if params and all(pairs):
        return [p for _, p in params], [shown(n) for n, _ in params]
    if any(pairs):
        raise TypeError(
            f"{owner}: params mixes (name, tensor) pairs with other entries; pass "
            "model.named_parameters(), or the tensors alone"
        )
    if all(pytree.is_leaf(p) for p in params):
        return leaves, [str(k) for k in range(len(leaves))]
    return leaves, [pytree.name("params", path, "params") for path in treedef.paths()]


def _check_parameter(p, name: str, owner: str, params) -> None:
    if not isinstance(p, Tensor):
        groups = type(params) is not dict and any(
            isinstance(g, dict) and "params" in g for g in params
        )
        hint = " (parameter groups as dicts are not supported; use one optimiser per learning rate)"
        raise TypeError(
            f"{owner}: parameter {name} is {pytree.describe(p)}, not a Tensor"
            + (hint if groups else "")
        )
    if not p.is_leaf:
        raise ValueError(
            f"{owner}: parameter {name} was computed by `{p._op.name}`, so it is not a leaf "
            "and cannot be optimised; optimise the tensors it was computed from"
        )
    if p.dtype.kind != "f":
        raise TypeError(f"{owner}: parameter {name} has dtype {p.dtype}; it must be float")


class SGD(Optimizer):
    """w -= lr * d, with d = g + weight_decay w, accumulated as v = momentum v + d (PyTorch's
    form) and, with Nesterov, d + momentum v in place of v."""

    def __init__(
        self,
        params,
        lr: float,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        self.momentum = number(momentum, "SGD", "momentum", low=0)
        self.nesterov = flag(nesterov, "SGD", "nesterov")
        self.weight_decay = number(weight_decay, "SGD", "weight_decay", low=0)
        if nesterov and momentum <= 0:
            raise ValueError("SGD: Nesterov momentum needs momentum > 0")
        self.velocity: list[np.ndarray | None] = [None] * len(self.params)

    def update(self, k, w, g):
        d = g + self.weight_decay * w if self.weight_decay else g
        if self.momentum:
            v = self.velocity[k]
            v = d.copy() if v is None else self.momentum * v + d
            self.velocity[k] = v
            d = d + self.momentum * v if self.nesterov else v
        return self.lr * d


class Adam(Optimizer):
    """Adam (Kingma and Ba): bias-corrected first and second moments; L2 weight decay added
    to the gradient, as PyTorch's Adam. Each parameter counts its own steps (the bias
    correction of a parameter that first gets a gradient late starts from its first step)."""

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        if not isinstance(betas, tuple | list) or len(betas) != 2:
            raise TypeError(f"Adam: betas must be a pair (beta1, beta2), got {betas!r:.40}")
        self.betas = tuple(
            number(b, "Adam", f"betas[{i}]", low=0, high=1, high_open=True)
            for i, b in enumerate(betas)
        )
        self.eps = number(eps, "Adam", "eps", low=0, low_open=True)
        self.weight_decay = number(weight_decay, "Adam", "weight_decay", low=0)
        self.m: list[np.ndarray | None] = [None] * len(self.params)
        self.v: list[np.ndarray | None] = [None] * len(self.params)
        self.counts = [0] * len(self.params)

    def update(self, k, w, g):
        b1, b2 = self.betas
        if self.weight_decay:
            g = g + self.weight_decay * w
        m = g * (1 - b1) if self.m[k] is None else b1 * self.m[k] + (1 - b1) * g
        v = g * g * (1 - b2) if self.v[k] is None else b2 * self.v[k] + (1 - b2) * g * g
        self.m[k], self.v[k] = m, v
        self.counts[k] += 1
        m_hat = m / (1 - b1 ** self.counts[k])
        v_hat = v / (1 - b2 ** self.counts[k])
        return self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


def _attach(schedule, optimizer) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"{type(schedule).__name__}: expected an optimiser, got {type(optimizer).__name__}"
        )
    if optimizer.schedule is not None:
        raise ValueError(
            f"{type(schedule).__name__}: this optimiser already has a "
            f"{type(optimizer.schedule).__name__}; a second schedule would overwrite its "
            "learning rate (use one schedule per optimiser)"
        )
    optimizer.schedule = schedule


class StepLR:
    """Multiply the learning rate by `gamma` every `step_size` calls of `step()`."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        _attach(self, optimizer)
        self.optimizer = optimizer
        self.step_size = integer(step_size, "StepLR", "step_size", low=1)
        self.gamma = number(gamma, "StepLR", "gamma", low=0)
        self.base_lr, self.epoch = optimizer.lr, 0

    def step(self) -> None:
        self.epoch += 1
        self.optimizer.lr = self.base_lr * self.gamma ** (self.epoch // self.step_size)


class CosineAnnealingLR:
    """lr = min_lr + (base - min_lr) (1 + cos(pi t / T)) / 2 over T = `t_max` calls."""

    def __init__(self, optimizer: Optimizer, t_max: int, min_lr: float = 0.0) -> None:
        _attach(self, optimizer)
        self.optimizer = optimizer
        self.t_max = integer(t_max, "CosineAnnealingLR", "t_max", low=1)
        self.min_lr = number(min_lr, "CosineAnnealingLR", "min_lr", low=0)
        self.base_lr, self.epoch = optimizer.lr, 0

    def step(self) -> None:
        self.epoch += 1
        t = min(self.epoch, self.t_max)
        cosine = (1 + math.cos(math.pi * t / self.t_max)) / 2
        self.optimizer.lr = self.min_lr + (self.base_lr - self.min_lr) * cosine
