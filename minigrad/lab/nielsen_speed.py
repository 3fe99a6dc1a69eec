"""Nielsen's per-neuron dC/db bars and per-layer learning speeds over full-batch training
(seed 001, ch. 5): sigmoid networks [784, 30 x k, 10] as in his generate_gradient.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from minigrad import nn, optim
from minigrad.data import load_mnist
from minigrad.data.mnist import FILES, locate_mnist
from minigrad.lab.monitor import learning_speed
from minigrad.tensor import Tensor
from minigrad.validate import generator, integer

DTYPE = np.float64  # as Nielsen's network2.py
ETA, LAMBDA = 0.1, 5.0  # generate_gradient.py: net.SGD(data[:1000], 1, 1000, 0.1, lmbda=5.0)
# Learning speeds at initialisation from Nielsen's English chapter 5 (seed 001 is a Chinese
# translation whose inline numbers were lost in extraction).
NIELSEN_INIT_SPEED = {2: [0.07, 0.31], 3: [0.012, 0.060, 0.283], 4: [0.003, 0.017, 0.070, 0.285]}


def network(depth: int, rng: np.random.Generator, width: int = 30) -> nn.Sequential:
    """[784, width x depth, 10] with sigmoid hidden units and Nielsen's N(0, 1/n_in) weights,
    N(0, 1) biases; it returns the logits of the sigmoid outputs."""
    integer(depth, "network", "depth", low=1)
    integer(width, "network", "width", low=1)
    generator(rng, "network")
    sizes = [784] + [width] * depth + [10]
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        linear = nn.Linear(n_in, n_out, rng=rng, dtype=DTYPE)
        nn.init.nielsen_(linear.weight, linear.bias, rng)
        layers += [linear, nn.Sigmoid()]
    return nn.Sequential(*layers[:-1])


def check_data(x, t, where: str) -> tuple[np.ndarray, np.ndarray]:
    """x (n, 784) finite images and t (n, 10) one-hot targets, n >= 1, as float64 arrays."""
    for name, a, cols in (("x", x, 784), ("t", t, 10)):
        if not isinstance(a, np.ndarray) or not np.issubdtype(a.dtype, np.number):
            raise TypeError(f"{where}: {name} must be a numeric np.ndarray, got {type(a).__name__}")
        if a.ndim != 2 or a.shape[1] != cols or a.shape[0] == 0:
            raise ValueError(f"{where}: {name} must have shape (n, {cols}), n >= 1, got {a.shape}")
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{where}: {name} holds NaN or inf values")
    if len(x) != len(t):
        raise ValueError(f"{where}: x and t differ in length: {len(x)} images, {len(t)} targets")
    return x.astype(DTYPE), t.astype(DTYPE)


def synthetic_digits(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A stand-in for MNIST when its files are absent: 10 random sparse 28x28 prototypes in
    [0, 1] (about 19% of pixels on, as MNIST) plus noise, clipped; not digits."""
    integer(n, "synthetic_digits", "n", low=1)
    generator(rng, "synthetic_digits")
    on = rng.random((10, 784)) < 0.19
    prototypes = on * rng.uniform(0.5, 1.0, (10, 784))
    labels = rng.integers(0, 10, n)
    noise = rng.normal(0, 0.15, (n, 784)) * (rng.random((n, 784)) < 0.3)
    x = np.clip(prototypes[labels] + noise, 0, 1)
    return x.astype(DTYPE), np.eye(10, dtype=DTYPE)[labels]


def mnist_available(folder: Path | None = None) -> bool:
    """Whether all four MNIST files are in `folder` (else $MINIGRAD_MNIST, else the cache)."""
    where = locate_mnist(folder)
    return all((where / name).is_file() for name in FILES)


def inputs(n: int, source: str, rng: np.random.Generator, folder: Path | None = None) -> dict:
    """The first `n` MNIST training images with one-hot targets (source "mnist"), synthetic
    ones ("synthetic"), or MNIST when its files are there ("auto"); never downloads."""
    if source not in ("auto", "mnist", "synthetic"):
        raise ValueError(f"inputs: source must be 'auto', 'mnist' or 'synthetic', got {source!r}")
    if source == "mnist" or (source == "auto" and mnist_available(folder)):
        data = load_mnist(folder, split="nielsen", dtype=DTYPE, download=False)
        x, labels = data.train_images[:n], data.train_labels[:n]
        return {"x": x, "t": np.eye(10, dtype=DTYPE)[labels], "source": "mnist", "note": ""}
    x, t = synthetic_digits(n, rng)
    note = (
        "MNIST files not found: synthetic MNIST-like inputs (random sparse prototypes plus "
        "noise), not Nielsen's images; the numbers are not comparable to his."
    )
    return {"x": x, "t": t, "source": "synthetic", "note": note}


def bias_gradients(model: nn.Sequential, x: np.ndarray, t: np.ndarray) -> list[np.ndarray]:
    """dC/db of every hidden neuron, one array per hidden layer (first to last), for the mean
    sigmoid cross-entropy over all of x: the lengths of Nielsen's bars."""
    x, t = check_data(x, t, "bias_gradients")
    model.zero_grad()
    nn.sigmoid_cross_entropy(model(Tensor(x)), t).backward()
    biases = [p for name, p in model.named_parameters() if name.endswith("bias")]
    return [b.grad.data.copy() for b in biases[:-1]]  # the last bias is the output layer's


def bars_at_init(x: np.ndarray, t: np.ndarray, draws: int, seed: int, neurons: int = 6) -> dict:
    """The bar chart of a [784, 30, 30, 10] network just after initialisation: dC/db of the first
    `neurons` neurons of both hidden layers (draw 0), and over `draws` initialisations the mean
    |dC/db| and the learning speed ||dC/db|| of each layer."""
    integer(draws, "bars_at_init", "draws", low=1)
    integer(neurons, "bars_at_init", "neurons", low=1)
    grads = [
        bias_gradients(network(2, np.random.default_rng([seed, 2, 1000 + k])), x, t)
        for k in range(draws)
    ]
    mean_abs = np.array([[np.abs(g).mean() for g in draw] for draw in grads])
    speeds = np.array([[np.linalg.norm(g) for g in draw] for draw in grads])
    return {
        "bars": [g[:neurons].tolist() for g in grads[0]],
        "speed": speeds[0].tolist(),
        "mean_abs": mean_abs.tolist(),
        "speeds": speeds.tolist(),
        "first_smaller_fraction": float(np.mean(mean_abs[:, 0] < mean_abs[:, 1])),
        "nielsen": NIELSEN_INIT_SPEED[2],
    }


def speeds_over_training(
    depth: int, x: np.ndarray, t: np.ndarray, epochs: int, rng: np.random.Generator
) -> dict:
    """Nielsen's generate_gradient.py: before each of `epochs` steps of full-batch gradient
    descent (eta 0.1, lambda 5.0 with n = len(x)), each hidden layer's ||dC/db||; also the cost
    and the training accuracy."""
    x, t = check_data(x, t, "speeds_over_training")
    integer(epochs, "speeds_over_training", "epochs", low=1)
    model = network(depth, generator(rng, "speeds_over_training"))
    opt = optim.SGD(model.parameters(), lr=ETA)
    run = {"speeds": [], "cost": [], "accuracy": []}
    for _ in range(epochs):
        logits = model(Tensor(x))
        cost = nn.sigmoid_cross_entropy(logits, t)
        opt.zero_grad()
        (cost + nn.l2_penalty(model) * (LAMBDA / len(x))).backward()
        run["speeds"].append(list(learning_speed(model).values())[:-1])  # no L2 on biases
        run["cost"].append(float(cost.item()))
        run["accuracy"].append(float(np.mean(logits.data.argmax(1) == t.argmax(1))))
        opt.step()
    return {**run, **rebound(np.array(run["speeds"]))}


def rebound(speeds: np.ndarray) -> dict:
    """Per layer of speeds (epochs, layers): the epoch (from 1) of the slowest speed, the speed
    at the end over the slowest (> 1: it rebounded), and the last layer's speed over the first's
    at the end."""
    speeds = np.asarray(speeds, dtype=float)
    if speeds.ndim != 2 or 0 in speeds.shape or not np.all(np.isfinite(speeds)):
        raise ValueError(f"rebound: speeds must be a finite (epochs, layers) array, got {speeds}")
    return {
        "slowest_epoch": (speeds.argmin(axis=0) + 1).tolist(),
        "end_over_slowest": (speeds[-1] / speeds.min(axis=0)).tolist(),
        "end_last_over_first": float(speeds[-1, -1] / speeds[-1, 0]),
        "first_slowest_fraction": float(np.mean(speeds[:, 0] <= speeds.min(axis=1))),
    }
