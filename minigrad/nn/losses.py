"""Losses and penalties, composed from minigrad operations (stable where it matters;
cross-entropy is one primitive, for speed)."""

from __future__ import annotations

import math
import os
import sys
import warnings

import numpy as np

from minigrad import functional as F
from minigrad.dtypes import check_dtype, float_for, floating
from minigrad.nn.module import Module
from minigrad.ops.reduce import CrossEntropy
from minigrad.tensor import Tensor
from minigrad.validate import choice, integer, number, restated


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return F.mean(loss)
    if reduction == "sum":
        return F.sum(loss)
    return loss


def _prediction(
    pred, target, reduction: str, loss: str, name: str = "pred", broadcast: bool = False
) -> tuple[Tensor, Tensor]:
    """Predictions and targets as tensors, and a known reduction. Shapes that differ raise a
    ValueError, or with `broadcast` (the losses PyTorch lets broadcast: MSE, L1) warn and are
    broadcast as PyTorch does: a (4, 1) prediction against a (4,) target broadcasts to (4, 4),
    every prediction against every target, which is almost never what was meant. Integer
    class labels against one score per class are refused either way."""
    choice(reduction, ("mean", "sum", "none"), loss, "reduction")
    pred, target = _as_tensor(pred, loss, name), _as_tensor(target, loss, "target")
    p, t = pred.shape, target.shape
    if p == t:
        return pred, target
    message = f"{loss}: the prediction has shape {p} but the target has shape {t}"
    if target.dtype.kind in "iu" and len(p) == len(t) + 1 and p[:-1] == t and p[-1] > 1:
        raise ValueError(
            f"{message}; the target looks like integer class labels: compare the "
            f"{p[-1]} scores with one-hot vectors, nn.one_hot(target, {p[-1]}), or use "
            f"nn.cross_entropy({name}, target) on the labels"
        )
    try:
        both = np.broadcast_shapes(p, t)
    except ValueError:
        raise ValueError(f"{message}; they do not broadcast: {_fix(p, t, target, name)}") from None
    size, pairs = math.prod(p), math.prod(both)
    if pairs > size:
        effect = f"they broadcast to {both}, {pairs} differences for {size} predictions"
        consequence = ", so the loss is likely wrong"
    elif both != p:
        effect = f"they broadcast to {both}, more axes than the prediction has"
        consequence = ", so reduction='none' returns that shape"
    else:
        effect = f"the target is broadcast to {both}, one target for several predictions"
        consequence = "; if that is not what you meant, the loss is wrong"
    fix = _fix(p, t, target, name)
    if not broadcast:
        raise ValueError(f"{message}; they must be equal ({effect}): {fix}")
    warnings.warn(
        f"{message}; {effect}{consequence}: {fix}", UserWarning, stacklevel=_caller_level()
    )
    return pred, target


def _as_tensor(x, loss: str, what: str) -> Tensor:
    if isinstance(x, Tensor):
        return x
    try:
        return Tensor(x)
    except (TypeError, ValueError) as err:
        raise restated(err, f"{loss}: {what}: {err}") from None


def _caller_level() -> int:
    """The stacklevel of the first frame outside minigrad: the warning then points at the line
    that called the loss, directly or through a module such as MSELoss."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    return level


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _fix(p: tuple[int, ...], t: tuple[int, ...], target: Tensor, name: str) -> str:
    """The edit that gives prediction and target one shape, in the user's terms."""
    if p == t + (1,):
        return f"use target.reshape({_dims(p)}) or {name}.squeeze({len(p) - 1})"
    if t == p + (1,):
        return f"use target.reshape({_dims(p)}) or target.squeeze({len(t) - 1})"
    if _broadcasts_to(t, p):
        if target.size == 1:
            value = float(target.data.reshape(-1)[0])
            return (
                f"give the target the prediction's shape {p}, or if one target for all is "
                f"meant, say so: mg.full_like({name}, {value!r})"
            )
        return (
            f"give the target the prediction's shape {p}, or if the broadcast is meant, say "
            f"so: mg.broadcast_to(target, {p})"
        )
    return f"give the target the prediction's shape {p}"


def _broadcasts_to(t: tuple[int, ...], p: tuple[int, ...]) -> bool:
    try:
        return np.broadcast_shapes(p, t) == p
    except ValueError:
        return False


def _dims(shape: tuple[int, ...]) -> str:
    return ", ".join(map(str, shape)) if shape else "()"


def _label_shape(labels, n: int, loss: str) -> None:
    if labels.dtype.kind not in "iu" or labels.shape != (n,):
        raise ValueError(
            f"{loss}: expected {n} integer class labels (shape ({n},)), got an array of shape "
            f"{labels.shape} and dtype {labels.dtype}"
        )


def _labels(target, n: int, classes: int, loss: str) -> np.ndarray:
    labels = np.asarray(target.data if isinstance(target, Tensor) else target)
    _label_shape(labels, n, loss)
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


@F.composite("mse_loss")
def mse_loss(pred, target, reduction: str = "mean") -> Tensor:
    """Mean squared error: mean((pred - target)^2), for a prediction and target of one shape.

    Shapes that differ but broadcast are broadcast with a UserWarning, as in PyTorch: a (N, 1)
    prediction against a (N,) target would compare every prediction with every target."""
    pred, target = _prediction(pred, target, reduction, "mse_loss", broadcast=True)
    d = pred - target
    return _reduce(d * d, reduction)


@F.composite("l1_loss")
def l1_loss(pred, target, reduction: str = "mean") -> Tensor:
    """Mean absolute error: mean(|pred - target|); shapes as `mse_loss` (broadcast with a
    UserWarning)."""
    pred, target = _prediction(pred, target, reduction, "l1_loss", broadcast=True)
    return _reduce(F.abs(pred - target), reduction)


@F.composite("nll_loss")
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
    labels = target if isinstance(target, Tensor) else np.asarray(target)
    _label_shape(labels, logits.shape[0], "cross_entropy")  # (the range: CrossEntropy.forward)
    return F._apply(CrossEntropy(reduction), logits, labels)


@F.composite("binary_cross_entropy_with_logits")
def binary_cross_entropy_with_logits(logits, target, reduction: str = "mean") -> Tensor:
    """-[y log s(z) + (1 - y) log(1 - s(z))] for s the logistic, computed stably as
    max(z, 0) - z y + log(1 + exp(-|z|)). Logits and targets have one shape (a ValueError
    otherwise, as in PyTorch)."""
    return _bce_with_logits(logits, target, reduction, "binary_cross_entropy_with_logits")


def _bce_with_logits(logits, target, reduction: str, loss: str) -> Tensor:
    z, target = _prediction(logits, target, reduction, loss, name="logits")
    z = floating(z)
    loss = F.maximum(z, 0.0) - z * target + F.log1p(F.exp(-F.abs(z)))
    return _reduce(loss, reduction)


@F.composite("binary_cross_entropy")
def binary_cross_entropy(
    probs, target, reduction: str = "mean", eps: float | None = None
) -> Tensor:
    """-[y log a + (1 - y) log(1 - a)] for probabilities a in [0, 1], clipped to
    [eps, 1 - eps] so that the loss stays finite; eps defaults to the dtype's resolution
    (1.2e-7 for float32: the loss is at most about 16), as a smaller one would round away.
    Probabilities and targets have one shape (a ValueError otherwise, as in PyTorch)."""
    a, target = _prediction(probs, target, reduction, "binary_cross_entropy", name="probs")
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


@F.composite("sigmoid_cross_entropy")
def sigmoid_cross_entropy(logits, target) -> Tensor:
    """Nielsen's cross-entropy cost for sigmoid output neurons,
    C = -(1/n) sum_x sum_j [y_j ln a_j + (1 - y_j) ln(1 - a_j)], a = sigmoid(z):
    summed over outputs, averaged over the batch, computed from the logits z (stable).
    Targets are vectors of the logits' shape: nn.one_hot(labels, C) for class labels."""
    per_output = _bce_with_logits(logits, target, "none", "sigmoid_cross_entropy")
    return F.mean(F.sum(per_output, axis=-1))


def one_hot(labels, classes: int, dtype=np.float32) -> np.ndarray:
    """Integer labels of any shape -> that shape + (classes,), zeros with a one."""
    classes = integer(classes, "one_hot", "classes", low=1)
    labels = np.asarray(labels.data if isinstance(labels, Tensor) else labels)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"one_hot: labels must be integers, got dtype {labels.dtype}")
    # NOTE: one comparison on unsigned values catches both ends (a negative label wraps to a
    # huge one): a third of the time of min() and max() on a small batch.
    if (labels.astype(np.uint64, copy=False) >= classes).any():
        raise ValueError(
            f"one_hot: labels must be in [0, {classes}), got {labels.min()} to {labels.max()}"
        )
    out = np.zeros((labels.size, classes), dtype=check_dtype(dtype, "one_hot"))
    out[np.arange(labels.size), labels.reshape(-1)] = 1
    return out.reshape(labels.shape + (classes,))


def _weights(model: Module) -> list[Tensor]:
    return [p for name, p in model.named_parameters() if name.split(".")[-1] == "weight"]


@F.composite("l2_penalty")
def l2_penalty(model: Module) -> Tensor:
    """(1/2) sum of squared weights over parameters named `weight` (biases excluded), as seed
    004 eq. 5.36; multiply by lambda (Nielsen: lambda / n) and add to the loss."""
    return sum((F.sum(w * w) for w in _weights(model)), Tensor(np.float32(0))) * 0.5


@F.composite("l1_penalty")
def l1_penalty(model: Module) -> Tensor:
    """Sum of absolute weights over parameters named `weight` (biases excluded)."""
    return sum((F.sum(F.abs(w)) for w in _weights(model)), Tensor(np.float32(0)))


class MSELoss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = reduction

    def forward(self, pred, target):
        return mse_loss(pred, target, self.reduction)


class L1Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = reduction

    def forward(self, pred, target):
        return l1_loss(pred, target, self.reduction)


class CrossEntropyLoss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = reduction

    def forward(self, logits, target):
        return cross_entropy(logits, target, self.reduction)
