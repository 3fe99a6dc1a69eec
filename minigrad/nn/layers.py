"""Layers: Linear, Flatten, Maxout, BatchNorm1d, Dropout."""

from __future__ import annotations

import math

import numpy as np

from minigrad import functional as F
from minigrad.autodiff.mode import no_grad
from minigrad.dtypes import float_for, get_default_dtype
from minigrad.linalg import linear
from minigrad.nn import init
from minigrad.nn.activations import maxout
from minigrad.nn.module import Module, Parameter
from minigrad.rng import default_generator, generator_or_default
from minigrad.tensor import Tensor
from minigrad.validate import flag, integer, number


class Linear(Module):
    """y = x W^T + b with W of shape (out_features, in_features), as PyTorch.

    Both are initialised with Glorot and Bengio's "standard" U[-1/sqrt(n_in), 1/sqrt(n_in)]
    (PyTorch's default too) drawn from `rng`; re-initialise with `minigrad.nn.init`.
    rng=None uses minigrad's default generator, seeded by mg.manual_seed; pass a Generator
    for independent streams.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        rng: np.random.Generator | None = None,
        dtype=None,
    ) -> None:
        super().__init__()
        dtype = dtype or get_default_dtype()
        self.in_features = integer(in_features, "Linear", "in_features", low=1)
        self.out_features = integer(out_features, "Linear", "out_features", low=1)
        flag(bias, "Linear", "bias")
        rng = generator_or_default(rng, "Linear")
        self.weight = Parameter(np.zeros((out_features, in_features), dtype=dtype))
        init.standard_(self.weight, rng)
        self.bias = None
        if bias:
            self.bias = Parameter(np.zeros(out_features, dtype=dtype))
            init.standard_(self.bias, rng, fan_in=in_features)

    def forward(self, x):
        shape = x.shape if isinstance(x, Tensor) else np.shape(x)
        if not shape or shape[-1] != self.in_features:
            raise ValueError(
                f"{self!r} expects inputs with {self.in_features} features on the last axis, "
                f"got shape {shape}"
            )
        return linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}, bias={self.bias is not None}"


class Flatten(Module):
    """(N, d1, d2, ...) -> (N, d1 d2 ...)."""

    def forward(self, x):
        shape = x.shape if isinstance(x, Tensor) else np.shape(x)
        if len(shape) < 1:
            raise ValueError(f"Flatten: expected a batch of shape (N, ...), got shape {shape}")
        return F.reshape(x, (shape[0], math.prod(shape[1:])))


class Maxout(Module):
    """A linear map to `out_features * pieces` units, then the max over each group of
    `pieces` (Goodfellow et al. 2013): a learned piecewise-linear convex activation.
    rng=None uses minigrad's default generator (see `Linear`)."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        pieces: int,
        *,
        rng: np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        self.pieces = integer(pieces, "Maxout", "pieces", low=1)
        rng = generator_or_default(rng, "Maxout")
        self.linear = Linear(in_features, out_features * pieces, rng=rng)

    def forward(self, x):
        return maxout(self.linear(x), self.pieces)


class BatchNorm1d(Module):
    """Batch normalisation of features (seed 004, algorithm 5.2).

    Training: each feature k is normalised with the mini-batch mean and (biased) variance,
    x_hat = (x - mu_B) / sqrt(var_B + eps), then scaled and shifted, y = gamma x_hat + beta.
    The running averages used in evaluation are updated as
    running = (1 - momentum) running + momentum batch, with the unbiased variance
    (m / (m - 1)) var_B, as Ioffe and Szegedy do for inference.
    """

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
        affine: bool = True,
        dtype=None,
    ) -> None:
        super().__init__()
        dtype = dtype or get_default_dtype()
        self.num_features = integer(num_features, "BatchNorm1d", "num_features", low=1)
        self.eps = number(eps, "BatchNorm1d", "eps", low=0, low_open=True)
        self.momentum = number(momentum, "BatchNorm1d", "momentum", low=0, high=1)
        flag(affine, "BatchNorm1d", "affine")
        self.weight = Parameter(np.ones(num_features, dtype=dtype)) if affine else None
        self.bias = Parameter(np.zeros(num_features, dtype=dtype)) if affine else None
        self.register_buffer("running_mean", np.zeros(num_features, dtype=dtype))
        self.register_buffer("running_var", np.ones(num_features, dtype=dtype))

    def forward(self, x):
        x = x if isinstance(x, Tensor) else Tensor(x)
        if x.ndim != 2 or x.shape[1] != self.num_features:
            raise ValueError(
                f"BatchNorm1d({self.num_features}): expected input of shape "
                f"(N, {self.num_features}), got {x.shape}"
            )
        if self.training:
            if x.shape[0] < 2:
                raise ValueError("BatchNorm1d: training needs a mini-batch of at least 2")
            mean = F.mean(x, axis=0)
            var = F.var(x, axis=0)
            self._update_running(mean, var, x.shape[0])
        else:
            mean, var = self.running_mean, self.running_var
        y = (x - mean) / F.sqrt(var + self.eps)
        return y if self.weight is None else y * self.weight + self.bias

    def _update_running(self, mean: Tensor, var: Tensor, m: int) -> None:
        with no_grad():
            self.running_mean.mul_(1 - self.momentum).add_(self.momentum * mean.data)
            unbiased = var.data * (m / (m - 1))
            self.running_var.mul_(1 - self.momentum).add_(self.momentum * unbiased)

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


class Dropout(Module):
    """Inverted dropout: in training each unit is kept with probability 1 - p and the kept
    ones are scaled by 1 / (1 - p); in evaluation it is the identity.

    Seed 004 (5.7.6) describes the original form: keep with probability p during training
    and multiply the weights by p at test time. Scaling during training instead gives the
    same expected activations and leaves the evaluated network untouched. Use a separate
    Dropout (with its own, usually smaller, rate) on the input layer, as the seed suggests.

    The masks are drawn from `rng`; rng=None draws each mask from minigrad's default
    generator at the time of the call (so mg.manual_seed before a forward pass fixes it, as
    in PyTorch); pass a Generator for an independent stream.
    """

    def __init__(self, p: float = 0.5, *, rng: np.random.Generator | None = None) -> None:
        super().__init__()
        self.p = number(p, "Dropout", "p", low=0, high=1, high_open=True)
        self.rng = None if rng is None else generator_or_default(rng, "Dropout")

    def forward(self, x):
        x = x if isinstance(x, Tensor) else Tensor(x)
        if not self.training or self.p == 0:
            return x
        rng = default_generator() if self.rng is None else self.rng
        keep = rng.random(x.shape) >= self.p
        return x * (keep / (1 - self.p)).astype(float_for(x.dtype))

    def extra_repr(self) -> str:
        return f"p={self.p}"
