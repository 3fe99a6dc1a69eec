"""Small claims of the seeds checked by computation: Nielsen's two problems (seed 001, ch. 5),
dropout as an ensemble of 2^n subnetworks (seed 004, 5.7.6), BatchNorm recovering the identity
(seed 004, 5.7.3, eq. 5.89)."""

from __future__ import annotations

import itertools

import numpy as np

import minigrad as mg
from minigrad import nn
from minigrad.nn.losses import mse_loss
from minigrad.optim import SGD


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


# --- Nielsen's two problems (seed 001, "the vanishing gradient problem", problems) ---------


def interval_width(w: np.ndarray | float) -> np.ndarray:
    """Width of {a : |w sigmoid'(w a + b)| >= 1}, Nielsen's closed form
    2/|w| ln(|w| (1 + sqrt(1 - 4/|w|)) / 2 - 1); zero for |w| < 4 (the set is empty).

    >>> round(float(interval_width(6.9)), 3)
    0.448
    """
    w = np.abs(np.asarray(w, dtype=np.float64))
    safe = np.maximum(w, 4.0)
    r = np.sqrt(1 - 4 / safe)
    width = 2 / safe * np.log(np.maximum(safe * (1 + r) / 2 - 1, 1.0))
    return np.where(w >= 4, width, 0.0)


def interval_width_grid(w: float, b: float = 0.0, n: int = 200_001) -> float:
    """The same width measured on a fine grid of a: the grid step times the number of points
    where |w sigmoid'(w a + b)| >= 1 (b only shifts the set)."""
    center = -b / w if w else 0.0
    a, step = np.linspace(center - 2, center + 2, n, retstep=True)
    s = sigmoid(w * a + b)
    return float(np.count_nonzero(np.abs(w * s * (1 - s)) >= 1) * step)


def max_interval_width(lo: float = 4.0, hi: float = 20.0, n: int = 160_001) -> dict:
    """The maximum of the width over |w| and where it is, found on a grid of |w| and refined
    by golden-section search."""
    w = np.linspace(lo, hi, n)
    k = int(np.argmax(interval_width(w)))
    a, b = w[max(k - 1, 0)], w[min(k + 1, n - 1)]
    g = (np.sqrt(5) - 1) / 2
    for _ in range(80):
        c, d = b - g * (b - a), a + g * (b - a)
        if interval_width(c) > interval_width(d):
            b = d
        else:
            a = c
    w_star = (a + b) / 2
    return {"w_max": float(w_star), "width_max": float(interval_width(w_star))}


def identity_neuron(w1: float, n: int = 1001) -> dict:
    """Nielsen's identity neuron on x in [0, 1]: bias b = -w1/2 centres w1 x + b on 0, where
    sigmoid(z) ~ 1/2 + z/4, so the read-out x_hat = (4/w1) (sigmoid(w1 x + b) - 1/2) + 1/2
    (output weight w2 = 4/w1 plus a constant) is x up to the cubic term: the largest error is
    w1^2/96 + O(w1^4), at x = 0 and x = 1."""
    x = np.linspace(0, 1, n)
    b, w2 = -w1 / 2, 4 / w1
    x_hat = w2 * (sigmoid(w1 * x + b) - 0.5) + 0.5
    err = np.abs(x_hat - x)
    return {
        "w1": w1,
        "b": b,
        "w2": w2,
        "max_error": float(err.max()),
        "predicted": w1**2 / 96,
        "x": x,
        "x_hat": x_hat,
    }


# --- Dropout as an ensemble (seed 004, 5.7.6) ---------------------------------------------


def tiny_network(rng: np.random.Generator, n_in: int = 3, n_hidden: int = 4) -> dict:
    """The weights of x -> hidden (n_hidden units) -> one output, in float64."""
    return {
        "W": rng.normal(0, 1, (n_hidden, n_in)),
        "c": rng.normal(0, 0.5, n_hidden),
        "v": rng.normal(0, 1, n_hidden),
        "e": float(rng.normal(0, 0.5)),
    }


def subnetwork(net: dict, x: np.ndarray, mask: np.ndarray, linear: bool) -> np.ndarray:
    """Output with hidden unit j kept where mask[j] is 1. linear: y = v.(m h) + e with
    h = W x + c; otherwise h = tanh(W x + c) and y = sigmoid(v.(m h) + e)."""
    h = x @ net["W"].T + net["c"]
    if not linear:
        h = np.tanh(h)
    z = (h * mask) @ net["v"] + net["e"]
    return z if linear else sigmoid(z)


def dropout_ensemble(net: dict, x: np.ndarray, keep: float, linear: bool) -> dict:
    """All 2^n masks, each weighted by its probability keep^k (1 - keep)^(n - k), against the
    weight-scaled network (every unit kept, its output multiplied by keep, the seed's test-time
    rule). For the sigmoid output also the normalised geometric mean of the subnetworks."""
    n = net["v"].size
    masks = np.array(list(itertools.product([0.0, 1.0], repeat=n)))
    probs = np.prod(np.where(masks == 1, keep, 1 - keep), axis=1)
    outs = np.stack([subnetwork(net, x, m, linear) for m in masks])
    mean = probs @ outs
    scaled = subnetwork(net, x, np.full(n, keep), linear)
    result = {
        "n_subnetworks": len(masks),
        "ensemble_mean": mean,
        "weight_scaled": scaled,
        "max_abs_diff": float(np.abs(mean - scaled).max()),
    }
    if not linear:
        log_p, log_q = np.log(outs), np.log1p(-outs)
        g1, g0 = np.exp(probs @ log_p), np.exp(probs @ log_q)
        result["geometric_max_abs_diff"] = float(np.abs(g1 / (g1 + g0) - scaled).max())
    return result


def minigrad_dropout(p: float, rng: np.random.Generator, shape=(2000, 4)) -> dict:
    """What nn.Dropout(p) does: in training the values it outputs for an input of ones (0 or
    1/(1 - p)) and their mean; in evaluation whether it is the identity."""
    layer = nn.Dropout(p, rng=rng)
    ones = mg.tensor(np.ones(shape), dtype=np.float64)
    y = layer(ones).numpy()
    layer.eval()
    return {
        "train_values": sorted(set(np.round(y.ravel(), 12).tolist())),
        "train_mean": float(y.mean()),
        "kept_fraction": float((y > 0).mean()),
        "eval_is_identity": bool(np.array_equal(layer(ones).numpy(), ones.numpy())),
    }


def inverted_dropout_ensemble(net: dict, x: np.ndarray, p: float, linear: bool) -> float:
    """Inverted dropout (minigrad's): train-time masks scaled by 1/(1 - p), so the mask average
    should match the unscaled network used as is at test time. Largest difference returned."""
    keep = 1 - p
    inv = dict(net, v=net["v"] / keep)  # every mask is divided by keep: fold it into v
    n = net["v"].size
    masks = np.array(list(itertools.product([0.0, 1.0], repeat=n)))
    probs = np.prod(np.where(masks == 1, keep, 1 - keep), axis=1)
    mean = probs @ np.stack([subnetwork(inv, x, m, linear) for m in masks])
    return float(np.abs(mean - subnetwork(net, x, np.ones(n), linear)).max())


# --- BatchNorm recovering the identity (seed 004, 5.7.3, eq. 5.89) --------------------------


def batch(rng: np.random.Generator, n: int = 64, k: int = 3) -> np.ndarray:
    """A mini-batch whose features have different means and scales."""
    return rng.normal(0, 1, (n, k)) * np.array([0.5, 2.0, 5.0])[:k] + np.array([3.0, -1.0, 0.2])[:k]


def batchnorm_identity(x: np.ndarray, with_eps: bool = True) -> dict:
    """nn.BatchNorm1d in training mode with gamma = sqrt(var_B + eps) and beta = mu_B (the seed
    writes gamma = sqrt(var) without eps): the largest |y - x|."""
    bn = nn.BatchNorm1d(x.shape[1], dtype=np.float64)
    var = x.var(axis=0)
    bn.weight.data[...] = np.sqrt(var + (bn.eps if with_eps else 0.0))
    bn.bias.data[...] = x.mean(axis=0)
    y = bn(mg.tensor(x, dtype=np.float64)).numpy()
    return {"max_abs_error": float(np.abs(y - x).max()), "eps": bn.eps}


def batchnorm_learns_identity(x: np.ndarray, steps: int = 300, lr: float = 0.5) -> dict:
    """Gradient descent on gamma and beta (from 1 and 0) for the mean squared error between
    BatchNorm1d's output and its input: how close they come to sqrt(var_B + eps) and mu_B."""
    bn = nn.BatchNorm1d(x.shape[1], dtype=np.float64)
    opt = SGD(bn.parameters(), lr=lr)
    xt = mg.tensor(x, dtype=np.float64)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = mse_loss(bn(xt), xt)
        loss.backward()
        opt.step()
        losses.append(float(loss.item()))
    gamma_star = np.sqrt(x.var(axis=0) + bn.eps)
    beta_star = x.mean(axis=0)
    return {
        "gamma": bn.weight.data.copy(),
        "beta": bn.bias.data.copy(),
        "gamma_target": gamma_star,
        "beta_target": beta_star,
        "gamma_error": float(np.abs(bn.weight.data - gamma_star).max()),
        "beta_error": float(np.abs(bn.bias.data - beta_star).max()),
        "losses": np.array(losses),
    }
