"""Seed 002's initialisation study, the gaps: fixed Gaussian variances (seed 004's N(0, 0.01))
in a deep tanh network, a non-zero constant init (symmetry: the units of a layer stay identical
under SGD), and the backward variance condition n_{i+1} Var[W] = 1 measured against the
forward one and Xavier's compromise."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

import minigrad as mg
from minigrad import nn
from minigrad.lab.relu_side import (
    check_inputs,
    check_labels,
    check_widths,
    layer_gradients,
    linears,
    mlp,
)
from minigrad.nn.losses import cross_entropy
from minigrad.optim import SGD
from minigrad.validate import choice, generator, integer, number

SEED_002_WIDTHS = (784, 500, 400, 300, 200, 100, 10)  # seed 002's 5 hidden layers
CONDITIONS = ("forward", "backward", "xavier")


def weight_std(n_in: int, n_out: int, condition: str) -> float:
    """The std of W (shape (n_out, n_in)) meeting Glorot's forward condition n_in Var[W] = 1,
    the backward one n_out Var[W] = 1 (n_out is n_{i+1}), or Xavier's 2 / (n_in + n_out).

    >>> weight_std(400, 100, "forward"), weight_std(400, 100, "backward")
    (0.05, 0.1)
    """
    choice(condition, CONDITIONS, "weight_std", "condition")
    n_in = integer(n_in, "weight_std", "n_in", low=1)
    n_out = integer(n_out, "weight_std", "n_out", low=1)
    var = {"forward": 1 / n_in, "backward": 1 / n_out, "xavier": 2 / (n_in + n_out)}[condition]
    return float(np.sqrt(var))


def normal_net(
    widths: Sequence[int], activation: str, rng: np.random.Generator, std
) -> nn.Sequential:
    """mlp(widths, activation) with zero biases and each weight drawn from N(0, s^2), where s is
    `std` (a number) or `std(n_in, n_out)` (a function of the layer's widths)."""
    net = mlp(widths, activation, rng, init="standard")
    for lin in linears(net):
        s = std(lin.in_features, lin.out_features) if callable(std) else std
        nn.init.normal_(lin.weight, rng, std=number(s, "normal_net", "std", low=0))
    return net


def small_init(
    widths: Sequence[int], x: np.ndarray, rng: np.random.Generator, stds=(0.1, 0.01)
) -> dict[str, dict]:
    """Tanh nets of `widths` with weights N(0, std^2) for each of `stds`, whatever the widths
    (seed 004's "Gaussian initialisation with a fixed variance, e.g. 0.01", i.e. std 0.1, and
    the common 0.01 * randn), next to Xavier's normal init: layer_gradients of each (activation
    std and back-propagated delta per layer, cross-entropy against random labels). Keys
    "std 0.1", "std 0.01", ... and "xavier"."""
    widths = check_widths(widths, "small_init")
    generator(rng, "small_init")
    if isinstance(stds, int | float):
        stds = (stds,)
    stds = [number(s, "small_init", "stds", low=0, low_open=True) for s in stds]
    y = rng.integers(0, widths[-1], len(check_inputs(x, "small_init", features=widths[0])))
    inits = [(f"std {s:g}", s) for s in stds]
    inits.append(("xavier", lambda a, b: weight_std(a, b, "xavier")))
    return {
        name: layer_gradients(normal_net(widths, "tanh", rng, s), x, rng, y) for name, s in inits
    }


def backward_variance(
    widths: Sequence[int], x: np.ndarray, rng: np.random.Generator, activation: str = "linear"
) -> dict[str, dict]:
    """For each of CONDITIONS, a net of `widths` initialised to meet it, a N(0, 1) cotangent
    back-propagated from the output: Var[dL/dz] and Var[activation] per layer (bottom first),
    with the linear-regime predictions Var[delta_l] = prod_{k > l} n_{k+1} Var[W_k] and
    Var[z_l] = Var[x] prod_{k <= l} n_k Var[W_k]."""
    widths = check_widths(widths, "backward_variance")
    x = check_inputs(x, "backward_variance", features=widths[0])
    generator(rng, "backward_variance")
    out = {}
    for cond in CONDITIONS:
        net = normal_net(widths, activation, rng, lambda a, b, c=cond: weight_std(a, b, c))
        r = layer_gradients(net, x, rng)
        gains = np.array(
            [
                n_out * weight_std(n_in, n_out, cond) ** 2
                for n_in, n_out in zip(widths[:-1], widths[1:], strict=True)
            ]
        )
        back = np.array([np.prod(gains[k + 1 :]) for k in range(len(gains))])
        fwd = x.var() * np.cumprod(np.array(widths[:-1]) / np.array(widths[1:]) * gains)
        r["predicted_delta_var"], r["predicted_activation_var"] = back, fwd[:-1]
        out[cond] = r
    return out


# --- symmetry of a constant init -------------------------------------------------------------


def row_spread(model: nn.Sequential) -> float:
    """How far the hidden units of each layer are from identical: the largest |difference| between
    the incoming weights (rows of W, and biases) of two units of a hidden layer, or between the
    outgoing weights (columns of the next W) of two units."""
    lins, spread = linears(model), 0.0
    for k, lin in enumerate(lins[:-1]):
        w, b = lin.weight.data, lin.bias.data
        nxt = lins[k + 1].weight.data
        spread = max(
            spread,
            float(np.abs(w - w[:1]).max()),
            float(np.abs(b - b[0]).max()),
            float(np.abs(nxt - nxt[:, :1]).max()),
        )
    return spread


def symmetry_run(
    widths: Sequence[int],
    data: tuple[np.ndarray, np.ndarray],
    value: float,
    steps: int,
    rng: np.random.Generator,
    lr: float = 0.1,
    perturb: float = 0.0,
) -> dict:
    """A tanh net of `widths` with every weight and bias set to `value` (the first weight of the
    first layer moved by `perturb`), SGD on cross-entropy: row_spread and loss over the steps."""
    widths = check_widths(widths, "symmetry_run")
    x = check_inputs(data[0], "symmetry_run", features=widths[0])
    y = check_labels(data[1], len(x), widths[-1], "symmetry_run")
    value = number(value, "symmetry_run", "value")
    perturb = number(perturb, "symmetry_run", "perturb")
    steps = integer(steps, "symmetry_run", "steps", low=1)
    net = mlp(widths, "tanh", generator(rng, "symmetry_run"), init="standard")
    for p in net.parameters():
        nn.init.constant_(p, value)
    linears(net)[0].weight.data[0, 0] += perturb
    opt = SGD(net.parameters(), lr=number(lr, "symmetry_run", "lr", low=0, low_open=True))
    rec = {"steps": [0], "spread": [row_spread(net)], "loss": []}
    for step in range(1, steps + 1):
        idx = rng.integers(0, len(x), 32)
        opt.zero_grad()
        loss = cross_entropy(net(mg.tensor(x[idx], dtype=np.float64)), y[idx])
        loss.backward()
        opt.step()
        rec["loss"].append(float(loss.item()))
        rec["steps"].append(step)
        rec["spread"].append(row_spread(net))
    rec["rows_equal"] = rec["spread"][-1] == 0.0
    return rec
