"""Activations of seed 004 and of Glorot and Bengio (2010), as functions and as modules.

All are composites of minigrad operations (no derivative code), so they differentiate in both
modes and to any order. Kinks follow PyTorch: the derivative at a kink is that of the branch
the `where` picks (relu'(0) = 0).
"""

from __future__ import annotations

import math

import numpy as np

from minigrad import functional as F
from minigrad.dtypes import floating
from minigrad.nn.module import Module, Parameter
from minigrad.tensor import Tensor
from minigrad.validate import integer


def _t(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def sigmoid(x) -> Tensor:
    """The logistic function 1 / (1 + exp(-x)); derivative s (1 - s), at most 1/4."""
    return F.sigmoid(x)


def tanh(x) -> Tensor:
    """tanh(x) = 2 sigmoid(2x) - 1; derivative 1 - tanh^2."""
    return F.tanh(x)


@F.composite("hard_sigmoid")
def hard_sigmoid(x) -> Tensor:
    """Seed 004's hard-logistic: max(min(0.25 x + 0.5, 1), 0), the first-order Taylor
    expansion of the logistic at 0, clipped (eq. 5.11)."""
    return F.clip(_t(x) * 0.25 + 0.5, 0.0, 1.0)


@F.composite("hard_tanh")
def hard_tanh(x) -> Tensor:
    """max(min(x, 1), -1) (seed 004 eq. 5.12)."""
    return F.clip(x, -1.0, 1.0)


@F.composite("relu")
def relu(x) -> Tensor:
    """max(x, 0)."""
    return F.relu(x)


@F.composite("leaky_relu")
def leaky_relu(x, negative_slope: float = 0.01) -> Tensor:
    """x for x > 0, negative_slope x otherwise."""
    x = _t(x)
    return F.where(x > 0, x, x * negative_slope)


@F.composite("prelu")
def prelu(x, weight) -> Tensor:
    """Leaky ReLU with a learnable slope `weight`: a scalar, one slope per channel, of shape
    (channels,), applied along axis 1 of the input (the feature axis), or one per element."""
    x, weight = _t(x), _t(weight)
    if weight.shape == x.shape or weight.size == 1:
        return F.where(x > 0, x, x * weight)  # one slope per element, or one for all
    if weight.ndim == 1:
        if x.ndim < 2 or x.shape[1] != weight.size:
            raise ValueError(
                f"prelu: {weight.size} slopes need inputs with {weight.size} channels on axis "
                f"1, got shape {x.shape}"
            )
        weight = F.reshape(weight, (weight.size,) + (1,) * (x.ndim - 2))
    else:
        raise ValueError(
            f"prelu: weight must be one slope, one per channel or one per element, got shape "
            f"{weight.shape} for inputs of shape {x.shape}"
        )
    return F.where(x > 0, x, x * weight)


@F.composite("elu")
def elu(x, alpha: float = 1.0) -> Tensor:
    """x for x > 0, alpha (exp(x) - 1) otherwise. NOTE: exp is taken of where(x > 0, 0, x),
    so the branch that `where` drops cannot overflow and poison the gradient with inf * 0,
    and the derivative at 0 is that of the left branch, alpha (1 for alpha = 1, as PyTorch)."""
    x = _t(x)
    return F.where(x > 0, x, (F.exp(F.where(x > 0, 0.0, x)) - 1) * alpha)


@F.composite("softplus")
def softplus(x) -> Tensor:
    """log(1 + exp(x)), computed as max(x, 0) + log1p(exp(-|x|)): stable for large |x|;
    derivative sigmoid(x) (also 1/2 at 0, thanks to maximum splitting ties)."""
    x = floating(_t(x))
    return F.maximum(x, 0.0) + F.log1p(F.exp(-F.abs(x)))


@F.composite("softsign")
def softsign(x) -> Tensor:
    """x / (1 + |x|) (Glorot and Bengio 2010): saturates polynomially, not exponentially."""
    x = _t(x)
    return x / (F.abs(x) + 1)


@F.composite("silu")
def silu(x, beta: float = 1.0) -> Tensor:
    """SiLU / swish: x sigmoid(beta x)."""
    x = _t(x)
    return x * F.sigmoid(x * beta)


swish = silu


@F.composite("gelu")
def gelu(x) -> Tensor:
    """GELU, x Phi(x), in its tanh approximation 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    (minigrad has no erf primitive; the approximation is within 1e-3 of the exact GELU)."""
    x = _t(x)
    inner = (x + x**3 * 0.044715) * math.sqrt(2 / math.pi)
    return x * (F.tanh(inner) + 1) * 0.5


@F.composite("maxout")
def maxout(x, pieces: int) -> Tensor:
    """The max over groups of `pieces` consecutive features of the last axis."""
    x = _t(x)
    pieces = integer(pieces, "maxout", "pieces", low=1)
    if x.ndim < 1 or x.shape[-1] % pieces:
        raise ValueError(
            f"maxout: the last axis ({x.shape[-1]}) is not a multiple of pieces={pieces}"
        )
    return F.max(F.reshape(x, x.shape[:-1] + (x.shape[-1] // pieces, pieces)), axis=-1)


class _Activation(Module):
    function = staticmethod(relu)

    def forward(self, x):
        return type(self).function(x)


class Sigmoid(_Activation):
    function = staticmethod(sigmoid)


class Tanh(_Activation):
    function = staticmethod(tanh)


class HardSigmoid(_Activation):
    function = staticmethod(hard_sigmoid)


class HardTanh(_Activation):
    function = staticmethod(hard_tanh)


class ReLU(_Activation):
    function = staticmethod(relu)


class Softplus(_Activation):
    function = staticmethod(softplus)


class Softsign(_Activation):
    function = staticmethod(softsign)


class GELU(_Activation):
    function = staticmethod(gelu)


class LeakyReLU(Module):
    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x):
        return leaky_relu(x, self.negative_slope)


class ELU(Module):
    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = alpha

    def forward(self, x):
        return elu(x, self.alpha)


class SiLU(Module):
    def __init__(self, beta: float = 1.0) -> None:
        super().__init__()
        self.beta = beta

    def forward(self, x):
        return silu(x, self.beta)


class PReLU(Module):
    """Leaky ReLU with a learnable slope: one shared (num_parameters=1) or one per channel."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25) -> None:
        super().__init__()
        self.weight = Parameter(np.full(num_parameters, init, dtype=np.float32))

    def forward(self, x):
        return prelu(x, self.weight if self.weight.size > 1 else F.reshape(self.weight, ()))
