"""Losses and penalties, composed from minigrad operations (stable where it matters)."""

from __future__ import annotations

import numpy as np

from minigrad import functional as F
from minigrad.dtypes import check_dtype, float_for, floating
from minigrad.nn.module import Module
from minigrad.tensor import Tensor
from minigrad.validate import choice, integer, number


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return F.mean(loss)
    if reduction == "sum":
        return F.sum(loss)
    return loss


def _prediction(pred, target, reduction: str, loss: str) -> tuple[Tensor, Tensor]:
    """Predictions and targets of the same shape, as float tensors, and a known reduction:
    a (4, 1) prediction against a (4,) target would broadcast to (4, 4) and a wrong loss."""
    choice(reduction, ("mean", "sum", "none"), loss, "reduction")
    pred = pred if isinstance(pred, Tensor) else Tensor(pred)
    target = target if isinstance(target, Tensor) else Tensor(target)
    if pred.shape != target.shape:
        raise ValueError(
            f"{loss}: the prediction has shape {pred.shape} but the target has shape "
            f"{target.shape}; they must be equal (reshape one, e.g. target.reshape(-1, 1))"
        )
    return pred, target


def _labels(target, n: int, classes: int, loss: str) -> np.ndarray:
    labels = np.asarray(target.data if isinstance(target, Tensor) else target)
    if labels.dtype.kind not in "iu" or labels.shape != (n,):
        raise ValueError(
            f"{loss}: expected {n} integer class labels (shape ({n},)), got an array of shape "
            f"{labels.shape} and dtype {labels.dtype}"
        )
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(
            f"{loss}: class labels must be in [0, {classes}), got {labels.min()} to {labels.max()}"
        )
    return labels


def _scores(x, loss: str) -> Tensor:
    x = x if isinstance(x, Tensor) else Tensor(x)
    if x.ndim != 2 or x.dtype.kind != "f":
        raise ValueError(
            f"{loss}: expected float scores of shape (N, C), one row per example, got shape "
            f"{x.shape} and dtype {x.dtype}"
        )
    return x


def mse_loss(pred, target, reduction: str = "mean") -> Tensor:
    """Mean squared error: mean((pred - target)^2); both of one shape."""
    pred, target = _prediction(pred, target, reduction, "mse_loss")
    d = pred - target
    return _reduce(d * d, reduction)


def nll_loss(log_probs: Tensor, target, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of integer labels given log-probabilities of shape (N, C)."""
    choice(reduction, ("mean", "sum", "none"), "nll_loss", "reduction")
    log_probs = _scores(log_probs, "nll_loss")
    labels = _labels(target, log_probs.shape[0], log_probs.shape[1], "nll_loss")
    return _reduce(-log_probs[np.arange(len(labels)), labels], reduction)


def cross_entropy(logits: Tensor, target, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy from logits (N, C) and integer labels: stable for large logits."""
    choice(reduction, ("mean", "sum", "none"), "cross_entropy", "reduction")
    logits = _scores(logits, "cross_entropy")
    labels = _labels(target, logits.shape[0], logits.shape[1], "cross_entropy")
    return _reduce(-F.log_softmax(logits, axis=-1)[np.arange(len(labels)), labels], reduction)


def binary_cross_entropy_with_logits(logits, target, reduction: str = "mean") -> Tensor:
    """-[y log s(z) + (1 - y) log(1 - s(z))] for s the logistic, computed stably as
    max(z, 0) - z y + log(1 + exp(-|z|))."""
    z, target = _prediction(logits, target, reduction, "binary_cross_entropy_with_logits")
    z = floating(z)
    loss = F.maximum(z, 0.0) - z * target + F.log1p(F.exp(-F.abs(z)))
    return _reduce(loss, reduction)


def binary_cross_entropy(
    probs, target, reduction: str = "mean", eps: float | None = None
) -> Tensor:
    """-[y log a + (1 - y) log(1 - a)] for probabilities a in [0, 1], clipped to
    [eps, 1 - eps] so that the loss stays finite; eps defaults to the dtype's resolution
    (1.2e-7 for float32: the loss is at most about 16), as a smaller one would round away."""
    a, target = _prediction(probs, target, reduction, "binary_cross_entropy")
    outside = (a.data < 0) | (a.data > 1)
    if outside.any():
        raise ValueError(
            f"binary_cross_entropy: probabilities must be in [0, 1], got "
            f"{a.data[outside].reshape(-1)[0]}; for scores use binary_cross_entropy_with_logits"
        )
    resolution = float(np.finfo(float_for(a.dtype)).eps)
    eps = resolution if eps is None else number(eps, "binary_cross_entropy", "eps", 0, 0.5)
    a = F.clip(a, max(eps, resolution), 1 - max(eps, resolution))
    loss = -(target * F.log(a) + (1 - target) * F.log(1 - a))
    return _reduce(loss, reduction)


def sigmoid_cross_entropy(logits, target) -> Tensor:
    """Nielsen's cross-entropy cost for sigmoid output neurons,
    C = -(1/n) sum_x sum_j [y_j ln a_j + (1 - y_j) ln(1 - a_j)], a = sigmoid(z):
    summed over outputs, averaged over the batch, computed from the logits z (stable)."""
    per_output = binary_cross_entropy_with_logits(logits, target, reduction="none")
    return F.mean(F.sum(per_output, axis=-1))


def one_hot(labels, classes: int, dtype=np.float32) -> np.ndarray:
    """Integer labels of any shape -> that shape + (classes,), zeros with a one."""
    classes = integer(classes, "one_hot", "classes", low=1)
    labels = np.asarray(labels.data if isinstance(labels, Tensor) else labels)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"one_hot: labels must be integers, got dtype {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(
            f"one_hot: labels must be in [0, {classes}), got {labels.min()} to {labels.max()}"
        )
    out = np.zeros((labels.size, classes), dtype=check_dtype(dtype, "one_hot"))
    out[np.arange(labels.size), labels.reshape(-1)] = 1
    return out.reshape(labels.shape + (classes,))


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
