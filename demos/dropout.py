"""Dropout against overfitting on a small MNIST training set (seed 004, 5.7.6).

Run:  python demos/dropout.py [--out out/dropout] [--quick] [--seed 0] [--mnist PATH]
A 784-512-512-10 ReLU network trained on the first `--train` (2000) MNIST training images,
once as it is and once with Srivastava et al.'s dropout: inputs kept with probability 0.8
(Dropout(0.2)) and hidden units with probability 0.5 (Dropout(0.5)). Same initial weights, same
mini-batches (SGD, momentum 0.9). After each epoch, training and test error and loss in
evaluation mode (no units dropped). Writes errors.png, results.json and summary.md.
"""

# ruff: noqa: E402
from __future__ import annotations

import os

# NOTE: these networks multiply small matrices (at most 64 x 784 by 784 x 512). One OpenBLAS
# thread is about as fast as two on an idle 2-core machine and was 3-40x faster while another
# job loaded it, so a script run defaults to one thread (set OPENBLAS_NUM_THREADS to override).
# It only takes effect before NumPy is first imported, hence E402 below.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import json
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from minigrad import nn, optim
from minigrad.cli import count, positive
from minigrad.data import load_mnist
from minigrad.lab.demo import demo_parser, fill_defaults
from minigrad.lab.plots import pyplot as _pyplot
from minigrad.training import evaluate, fit

FULL = {"train": 2000, "width": 512, "epochs": 100, "test": 10000}
QUICK = {"train": 300, "width": 64, "epochs": 15, "test": 1000}


def build(width: int, dropout: bool, seed: int) -> nn.Sequential:
    """784-width-width-10 ReLU; with dropout, Dropout(0.2) on the input and Dropout(0.5) after
    each hidden layer. The weights depend only on `seed`, so both networks start equal."""
    init_rng = np.random.default_rng(seed)
    drop_rng = np.random.default_rng(seed + 1)
    layers: list[nn.Module] = [nn.Dropout(0.2, rng=drop_rng)] if dropout else []
    n_in = 784
    for _ in range(2):
        layers += [nn.Linear(n_in, width, rng=init_rng), nn.ReLU()]
        if dropout:
            layers.append(nn.Dropout(0.5, rng=drop_rng))
        n_in = width
    layers.append(nn.Linear(n_in, 10, rng=init_rng))
    return nn.Sequential(*layers)


def train(dropout: bool, data: dict, cfg: argparse.Namespace) -> dict:
    """Train for `cfg.epochs`; per epoch, error and loss on the training subset and test set."""
    model = build(cfg.width, dropout, cfg.seed)
    opt = optim.SGD(model.parameters(), lr=cfg.lr, momentum=0.9)
    batch_rng = np.random.default_rng(cfg.seed + 2)
    curves = {"train_error": [], "test_error": [], "train_loss": [], "test_loss": []}
    start = time.perf_counter()
    bar = tqdm(range(cfg.epochs), desc="with dropout" if dropout else "without", leave=False)
    for _ in bar:
        fit(model, opt, *data["train"], epochs=1, batch_size=32, rng=batch_rng, progress=False)
        for split in ("train", "test"):
            metrics = evaluate(model, *data[split])
            curves[f"{split}_error"].append(1 - metrics["accuracy"])
            curves[f"{split}_loss"].append(metrics["loss"])
        bar.set_postfix(test_error=f"{curves['test_error'][-1]:.4f}")
    curves["seconds"] = time.perf_counter() - start
    return curves


def plot(runs: dict, path: Path) -> None:
    plt = _pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.2))
    for (name, r), color in zip(runs.items(), ("C3", "C0"), strict=True):
        epochs = np.arange(1, len(r["test_error"]) + 1)
        ax1.plot(epochs, 100 * np.array(r["test_error"]), color=color, label=f"{name}: test")
        ax1.plot(
            epochs, 100 * np.array(r["train_error"]), color=color, ls="--", label=f"{name}: train"
        )
        ax2.plot(epochs, r["test_loss"], color=color, label=f"{name}: test")
        ax2.plot(epochs, r["train_loss"], color=color, ls="--", label=f"{name}: train")
    top = max(max(r["test_error"][len(r["test_error"]) // 10 :]) for r in runs.values())
    ax1.set_ylim(0, 100 * top * 1.5)
    ax1.set(xlabel="epoch", ylabel="error (%)", title="Classification error")
    ax2.set(xlabel="epoch", ylabel="cross-entropy (log scale)", title="Loss", yscale="log")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("MNIST, small training set: training (dashed) vs test (solid), evaluation mode")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def summary(runs: dict, cfg: argparse.Namespace) -> str:
    lines = [
        "# Dropout (Srivastava et al. 2014; seed 004, 5.7.6)",
        "",
        f"784-{cfg.width}-{cfg.width}-10 ReLU, trained on the first {cfg.train} MNIST training "
        f"images for {cfg.epochs} epochs (SGD lr {cfg.lr}, momentum 0.9, mini-batch 32); test "
        f"error on {cfg.test} test images. Dropout: keep 0.8 of the inputs, 0.5 of the hidden "
        "units (inverted dropout, so evaluation uses the network as it is)."
        + (" --quick: a tiny run for the test suite." if cfg.quick else ""),
        "",
        "| network | train error, end | test error, end | gap | best test error (epoch) "
        "| test loss: min, end | time |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in runs.items():
        best = int(np.argmin(r["test_error"]))
        lines.append(
            f"| {name} | {r['train_error'][-1]:.2%} | {r['test_error'][-1]:.2%} "
            f"| {r['test_error'][-1] - r['train_error'][-1]:.2%} "
            f"| {r['test_error'][best]:.2%} ({best + 1}) "
            f"| {min(r['test_loss']):.3f}, {r['test_loss'][-1]:.3f} | {r['seconds']:.0f} s |"
        )
    lines += [
        "",
        "![training vs test error](errors.png)",
        "",
        "The gap between the training and the test error is the overfitting (both networks fit "
        "the small training set); dropout, which trains an ensemble of thinned networks sharing "
        "their weights, narrows it. Overfitting also shows as a test loss that climbs from its "
        "minimum while the training loss keeps falling. One seed: the dropout network's test "
        "error fluctuates from epoch to epoch by several tenths of a percent (see the figure).",
    ]
    return "\n".join(lines) + "\n"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = demo_parser("dropout", __doc__.splitlines()[0])
    parser.add_argument("--train", type=count, help="training images used (2000)")
    parser.add_argument("--width", type=count, help="units per hidden layer (512)")
    parser.add_argument("--epochs", type=count, help="epochs (100)")
    parser.add_argument("--test", type=count, help="test images (10000)")
    parser.add_argument("--lr", type=positive, default=0.02, help="SGD learning rate")
    cfg = fill_defaults(parser.parse_args(argv), QUICK, FULL)
    return cfg


def main(argv: list[str] | None = None) -> dict:
    cfg = parse(argv)
    cfg.out.mkdir(parents=True, exist_ok=True)
    d = load_mnist(cfg.mnist, split="nielsen")
    data = {
        "train": (d.train_images[: cfg.train], d.train_labels[: cfg.train]),
        "test": (d.test_images[: cfg.test], d.test_labels[: cfg.test]),
    }
    runs = {"no dropout": train(False, data, cfg), "dropout": train(True, data, cfg)}
    plot(runs, cfg.out / "errors.png")
    config = {k: str(v) if isinstance(v, Path) else v for k, v in vars(cfg).items()}
    results = {"config": config, "runs": runs}
    (cfg.out / "results.json").write_text(json.dumps(results, indent=1))
    (cfg.out / "summary.md").write_text(summary(runs, cfg))
    print(summary(runs, cfg))
    return results


if __name__ == "__main__":
    main()
