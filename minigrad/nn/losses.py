"""Losses and penalties, composed from minigrad operations (stable where it matters)."""

from __future__ import annotations

import numpy as np

from minigrad import functional as F
from minigrad.nn.module import Module
from minigrad.tensor import Tensor


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return F.mean(loss)
    if reduction == "sum":
        return F.sum(loss)
    if reduction == "none":
        return loss
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _labels(target, n: int, classes: int) -> np.ndarray:
    labels = np.asarray(target.data if isinstance(target, Tensor) else target)
    if labels.dtype.kind not in "iu" or labels.shape != (n,):
        raise ValueError(
            f"expected {n} integer class labels, got an array of shape "
            f"{labels.shape} and dtype {labels.dtype}"
        )
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(
            f"class labels must be in [0, {classes}), got {labels.min()} to {labels.max()}"
        )
    return labels


def mse_loss(pred, target, reduction: str = "mean") -> Tensor:
    """Mean squared error: mean((pred - target)^2)."""
    d = pred - target
    return _reduce(d * d, reduction)


def nll_loss(log_probs: Tensor, target, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of integer labels given log-probabilities of shape (N, C)."""
    labels = _labels(target, log_probs.shape[0], log_probs.shape[1])
    return _reduce(-log_probs[np.arange(len(labels)), labels], reduction)


def cross_entropy(logits: Tensor, target, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy from logits (N, C) and integer labels: stable for large logits."""
    return nll_loss(F.log_softmax(logits, axis=-1), target, reduction)


def binary_cross_entropy_with_logits(logits, target, reduction: str = "mean") -> Tensor:
    """-[y log s(z) + (1 - y) log(1 - s(z))] for s the logistic, computed stably as
    max(z, 0) - z y + log(1 + exp(-|z|))."""
    z = logits
    loss = F.maximum(z, 0.0) - z * target + F.log1p(F.exp(-F.abs(z)))
    return _reduce(loss, reduction)


def binary_cross_entropy(probs, target, reduction: str = "mean", eps: float = 1e-12) -> Tensor:
    """-[y log a + (1 - y) log(1 - a)] for probabilities a (clipped to [eps, 1 - eps])."""
    a = F.clip(probs, eps, 1 - eps)
    loss = -(target * F.log(a) + (1 - target) * F.log(1 - a))
    return _reduce(loss, reduction)


def sigmoid_cross_entropy(logits, target) -> Tensor:
    """Nielsen's cross-entropy cost for sigmoid output neurons,
    C = -(1/n) sum_x sum_j [y_j ln a_j + (1 - y_j) ln(1 - a_j)], a = sigmoid(z):
    summed over outputs, averaged over the batch, computed from the logits z (stable)."""
    per_output = binary_cross_entropy_with_logits(logits, target, reduction="none")
    return F.mean(F.sum(per_output, axis=-1))


def one_hot(labels, classes: int, dtype=np.float32) -> np.ndarray:
    """Integer labels (N,) -> (N, classes) rows of zeros with a one."""
    labels = np.asarray(labels)
    out = np.zeros((labels.size, classes), dtype=dtype)
    out[np.arange(labels.size), labels.reshape(-1)] = 1
    return out


def _weights(model: Module) -> list[Tensor]:
    return [p for name, p in model.named_parameters() if name.split(".")[-1] == "weight"]


def l2_penalty(model: Module) -> Tensor:
    """(1/2) sum of squared weights over parameters named `weight` (biases excluded), as seed
    004 eq. 5.36; multiply by lambda (Nielsen: lambda / n) and add to the loss."""
    return sum((F.sum(w * w) for w in _weights(model)), Tensor(np.float32(0))) * 0.5


def l1_penalty(model: Module) -> Tensor:
    """Sum of absolute weights over parameters named `weight` (biases excluded)."""
    return sum((F.sum(F.abs(w)) for w in _weights(model)), Tensor(np.float32(0)))


class MSELoss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = reduction

    def forward(self, pred, target):
        return mse_loss(pred, target, self.reduction)


class CrossEntropyLoss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = reduction

    def forward(self, logits, target):
        return cross_entropy(logits, target, self.reduction)
