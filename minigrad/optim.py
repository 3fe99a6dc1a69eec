"""Optimisers (SGD with momentum, Nesterov and weight decay; Adam) and learning-rate schedules.

They update parameters in place with minigrad's in-place methods under `no_grad`, so the
version counters see every change; their state (velocities, moments) is plain NumPy.
"""

from __future__ import annotations

import math

import numpy as np

from minigrad.autodiff.mode import no_grad
from minigrad.tensor import Tensor


class Optimizer:
    def __init__(self, params, lr: float) -> None:
        self.params: list[Tensor] = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got no parameters to optimise")
        if lr <= 0:
            raise ValueError(f"{type(self).__name__}: the learning rate must be > 0, got {lr}")
        self.lr = lr
        self.steps = 0

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        self.steps += 1
        with no_grad():
            for k, p in enumerate(self.params):
                if p.grad is not None:
                    p.sub_(self.update(k, p.data, p.grad.data))

    def update(self, k: int, w: np.ndarray, g: np.ndarray) -> np.ndarray:
        """The amount to subtract from parameter k (value w, gradient g)."""
        raise NotImplementedError


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
        if nesterov and momentum <= 0:
            raise ValueError("SGD: Nesterov momentum needs momentum > 0")
        self.momentum, self.nesterov, self.weight_decay = momentum, nesterov, weight_decay
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
    to the gradient, as PyTorch's Adam."""

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        self.betas, self.eps, self.weight_decay = betas, eps, weight_decay
        self.m: list[np.ndarray | None] = [None] * len(self.params)
        self.v: list[np.ndarray | None] = [None] * len(self.params)

    def update(self, k, w, g):
        b1, b2 = self.betas
        if self.weight_decay:
            g = g + self.weight_decay * w
        m = g * (1 - b1) if self.m[k] is None else b1 * self.m[k] + (1 - b1) * g
        v = g * g * (1 - b2) if self.v[k] is None else b2 * self.v[k] + (1 - b2) * g * g
        self.m[k], self.v[k] = m, v
        m_hat = m / (1 - b1**self.steps)
        v_hat = v / (1 - b2**self.steps)
        return self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class StepLR:
    """Multiply the learning rate by `gamma` every `step_size` calls of `step()`."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.optimizer, self.step_size, self.gamma = optimizer, step_size, gamma
        self.base_lr, self.epoch = optimizer.lr, 0

    def step(self) -> None:
        self.epoch += 1
        self.optimizer.lr = self.base_lr * self.gamma ** (self.epoch // self.step_size)


class CosineAnnealingLR:
    """lr = min_lr + (base - min_lr) (1 + cos(pi t / T)) / 2 over T = `t_max` calls."""

    def __init__(self, optimizer: Optimizer, t_max: int, min_lr: float = 0.0) -> None:
        self.optimizer, self.t_max, self.min_lr = optimizer, t_max, min_lr
        self.base_lr, self.epoch = optimizer.lr, 0

    def step(self) -> None:
        self.epoch += 1
        t = min(self.epoch, self.t_max)
        cosine = (1 + math.cos(math.pi * t / self.t_max)) / 2
        self.optimizer.lr = self.min_lr + (self.base_lr - self.min_lr) * cosine
