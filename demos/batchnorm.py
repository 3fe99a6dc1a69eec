"""Batch normalisation on MNIST: Ioffe and Szegedy's figure 1 (seed 004, 5.7.3).

Run:  python demos/batchnorm.py [--out out/batchnorm] [--quick] [--seed 0] [--mnist PATH]
Three hidden layers of 100 sigmoid units, weights N(0, 0.1^2), mini-batches of 60, plain SGD
with the same learning rate, trained with and without BatchNorm1d before each sigmoid (the
linear layers then have no bias: BatchNorm's beta replaces it). Every `--eval-every` steps it
measures the test accuracy and the 15th, 50th and 85th percentiles of the input of one sigmoid
of the last hidden layer on a fixed set of validation images (a forward hook).
Writes accuracy.png, sigmoid_input.png, results.json and summary.md into the output folder.
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

import minigrad as mg
from minigrad import nn, optim
from minigrad.cli import count, non_negative, positive
from minigrad.data import batches, load_mnist
from minigrad.lab.demo import demo_parser, fill_defaults, fraction
from minigrad.lab.plots import pyplot as _pyplot
from minigrad.training import evaluate

HIDDEN = (100, 100, 100)
QUANTILES = (15, 50, 85)
FULL = {"steps": 50000, "eval_every": 500, "test": 10000, "probe": 1000}
QUICK = {"steps": 300, "eval_every": 50, "test": 1000, "probe": 200}


def build(batch_norm: bool, rng: np.random.Generator) -> tuple[nn.Sequential, nn.Module]:
    """784-100-100-100-10 with sigmoid hidden units, optionally batch-normalised; also returns
    the module whose output is the input of the last hidden layer's sigmoids."""
    layers: list[nn.Module] = []
    n_in = 784
    for width in HIDDEN:
        linear = nn.Linear(n_in, width, bias=not batch_norm, rng=rng)
        layers.append(linear)
        if batch_norm:
            layers.append(nn.BatchNorm1d(width))
        layers.append(nn.Sigmoid())
        n_in = width
    layers.append(nn.Linear(n_in, 10, rng=rng))
    for layer in layers:
        if isinstance(layer, nn.Linear):
            nn.init.normal_(layer.weight, rng, 0.0, 0.1)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
    return nn.Sequential(*layers), layers[-3]


class SigmoidInput:
    """A forward hook on the module feeding the last sigmoids: per measurement, the
    percentiles of one unit's input and of all units' inputs on the probe images.

    The probe pass runs in training mode, so a BatchNorm layer normalises with the statistics
    of the probe images, as it does during training; the running averages it updates are
    restored afterwards, so measuring does not change the network."""

    def __init__(self, module: nn.Module, unit: int) -> None:
        self.unit, self.last = unit, None
        self.unit_percentiles: list[list[float]] = []
        self.all_percentiles: list[list[float]] = []
        self.handle = module.register_forward_hook(self._hook)

    def _hook(self, module, inputs, output) -> None:
        self.last = output.data

    def measure(self, model: nn.Module, x: np.ndarray) -> None:
        state = model.state_dict()
        with mg.no_grad():
            model(mg.Tensor(x))
        model.load_state_dict(state)
        self.unit_percentiles.append(np.percentile(self.last[:, self.unit], QUANTILES).tolist())
        self.all_percentiles.append(np.percentile(self.last, QUANTILES).tolist())


def train(batch_norm: bool, data: dict, cfg: argparse.Namespace) -> dict:
    """Train one network; the test accuracy and sigmoid-input percentiles over the steps."""
    rng = np.random.default_rng(cfg.seed)
    model, pre_sigmoid = build(batch_norm, rng)
    probe = SigmoidInput(pre_sigmoid, cfg.unit)
    opt = optim.SGD(model.parameters(), lr=cfg.lr)
    record = {"steps": [0], "test_accuracy": [evaluate(model, *data["test"])["accuracy"]]}
    probe.measure(model, data["probe"])
    step, start = 0, time.perf_counter()
    bar = tqdm(total=cfg.steps, desc="with BatchNorm" if batch_norm else "without", leave=False)
    while step < cfg.steps:
        for xb, yb in batches(*data["train"], batch_size=60, rng=rng, drop_last=True):
            loss = nn.cross_entropy(model(mg.Tensor(xb)), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            bar.update(1)
            if step % cfg.eval_every == 0:
                record["steps"].append(step)
                record["test_accuracy"].append(evaluate(model, *data["test"])["accuracy"])
                probe.measure(model, data["probe"])
                bar.set_postfix(test_acc=f"{record['test_accuracy'][-1]:.3f}")
            if step == cfg.steps:
                break
    bar.close()
    probe.handle.remove()
    record["unit_percentiles"] = probe.unit_percentiles
    record["all_percentiles"] = probe.all_percentiles
    record["seconds"] = time.perf_counter() - start
    return record


def plot_accuracy(runs: dict, path: Path) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    for (name, r), color in zip(runs.items(), ("C0", "C1"), strict=True):
        ax.plot(r["steps"], r["test_accuracy"], color=color, label=name)
    low = min(min(r["test_accuracy"][len(r["test_accuracy"]) // 10 :]) for r in runs.values())
    ax.set_ylim(max(0.0, low - 0.02), 1.0)
    ax.set(xlabel="training step (mini-batch of 60)", ylabel="test accuracy")
    ax.set_title("(a) MNIST, 3 x 100 sigmoid units: test accuracy")
    ax.grid(alpha=0.3)
    ax.legend(loc="best")
    _save(fig, path)


def plot_percentiles(runs: dict, unit: int, path: Path) -> None:
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for ax, (name, r), tag in zip(axes, runs.items(), "bc", strict=True):
        p = np.array(r["unit_percentiles"])
        for k, (q, ls) in enumerate(zip(QUANTILES, (":", "-", "--"), strict=True)):
            ax.plot(r["steps"], p[:, k], color="C0" if tag == "b" else "C1", ls=ls, label=f"{q}th")
        ax.set_title(f"({tag}) {name}", fontsize=10)
        ax.set_xlabel("training step")
        ax.grid(alpha=0.3)
        ax.legend(title="percentile", fontsize=8, ncol=3, loc="upper center")
    values = np.concatenate([np.ravel(r["unit_percentiles"]) for r in runs.values()])
    span = np.ptp(values) or 1.0
    axes[0].set_ylim(values.min() - 0.1 * span, values.max() + 0.45 * span)
    axes[0].set_ylabel(f"input of sigmoid {unit}, last hidden layer")
    fig.suptitle("Distribution of one sigmoid's input over training (fixed validation images)")
    _save(fig, path)


def _save(fig, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    _pyplot().close(fig)


def first_step_reaching(r: dict, level: float) -> int | None:
    """The first measured step with test accuracy >= level (None if never)."""
    return next(
        (s for s, a in zip(r["steps"], r["test_accuracy"], strict=True) if a >= level), None
    )


def summary(runs: dict, cfg: argparse.Namespace) -> str:
    lines = [
        "# Batch normalisation on MNIST (Ioffe and Szegedy 2015, figure 1; seed 004, 5.7.3)",
        "",
        f"784-100-100-100-10, sigmoid, weights N(0, 0.1^2), SGD lr {cfg.lr}, mini-batch 60, "
        f"{cfg.steps} steps (the paper: 50000), test accuracy on {cfg.test} test images every "
        f"{cfg.eval_every} steps, percentiles on {cfg.probe} validation images."
        + (" --quick: a tiny run for the test suite." if cfg.quick else ""),
        "",
        f"| network | test accuracy, end | steps to {cfg.level:.0%} | median of sigmoid "
        f"{cfg.unit}'s input: first, last, range | 15-85 spread: first, last | time |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in runs.items():
        p = np.array(r["unit_percentiles"])
        reached = first_step_reaching(r, cfg.level)
        lines.append(
            f"| {name} | {r['test_accuracy'][-1]:.2%} | {reached or 'not reached'} "
            f"| {p[0, 1]:+.2f}, {p[-1, 1]:+.2f}, {np.ptp(p[:, 1]):.2f} "
            f"| {p[0, 2] - p[0, 0]:.2f}, {p[-1, 2] - p[-1, 0]:.2f} | {r['seconds']:.0f} s |"
        )
    lines += [
        "",
        "![test accuracy](accuracy.png)",
        "",
        "![sigmoid input percentiles](sigmoid_input.png)",
        "",
        "The paper: batch normalisation trains faster and reaches a higher accuracy (a); it keeps "
        "the distribution of a sigmoid's input stable, while without it the distribution drifts "
        "in mean and spread (b, c), the internal covariate shift. Here, over the whole run:",
        *[f"- {name}: {_drift(r)}" for name, r in runs.items()],
        "",
        "With BatchNorm the input's mean over the probe images is beta and its standard "
        "deviation gamma (up to eps), so it moves only as fast as training moves those two "
        "parameters; without it, every update of the layers below moves it. The percentiles "
        "pooled over all 100 units of the layer are in results.json (`all_percentiles`).",
    ]
    return "\n".join(lines) + "\n"


def _drift(r: dict) -> str:
    p = np.array(r["unit_percentiles"])
    spread = p[:, 2] - p[:, 0]
    return (
        f"the median moves within a range of {np.ptp(p[:, 1]):.2f}, the 15-85 spread goes from "
        f"{spread[0]:.2f} to {spread[-1]:.2f} (x{spread[-1] / spread[0]:.1f}), "
        f"{_share(spread)} of that change in the first 10% of the steps"
    )


def _share(values: np.ndarray) -> str:
    total = values[-1] - values[0]
    early = values[max(1, len(values) // 10)] - values[0]
    return f"{early / total:.0%}" if total else "none"


def load_data(path, test: int, probe: int) -> dict:
    """MNIST, Nielsen's split (50k train, 10k validation, 10k test), pixels in [0, 1]."""
    d = load_mnist(path, split="nielsen")
    return {
        "train": (d.train_images, d.train_labels),
        "test": (d.test_images[:test], d.test_labels[:test]),
        "probe": d.validation_images[:probe],
    }


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = demo_parser("batchnorm", __doc__.splitlines()[0])
    parser.add_argument("--steps", type=count, help="training steps (50000, as the paper)")
    parser.add_argument("--eval-every", type=count, help="steps between measurements (500)")
    parser.add_argument("--test", type=count, help="test images for the accuracy (10000)")
    parser.add_argument("--probe", type=count, help="validation images for the percentiles")
    parser.add_argument("--lr", type=positive, default=0.1, help="SGD learning rate (both)")
    parser.add_argument("--unit", type=non_negative, default=0, help="which sigmoid to follow")
    parser.add_argument("--level", type=fraction, default=0.95, help="accuracy to time")
    cfg = fill_defaults(parser.parse_args(argv), QUICK, FULL)
    return cfg


def main(argv: list[str] | None = None) -> dict:
    cfg = parse(argv)
    cfg.out.mkdir(parents=True, exist_ok=True)
    data = load_data(cfg.mnist, cfg.test, cfg.probe)
    runs = {
        "without BatchNorm": train(False, data, cfg),
        "with BatchNorm": train(True, data, cfg),
    }
    plot_accuracy(runs, cfg.out / "accuracy.png")
    plot_percentiles(runs, cfg.unit, cfg.out / "sigmoid_input.png")
    config = {k: str(v) if isinstance(v, Path) else v for k, v in vars(cfg).items()}
    results = {"config": config, "percentiles": list(QUANTILES), "runs": runs}
    (cfg.out / "results.json").write_text(json.dumps(results, indent=1))
    (cfg.out / "summary.md").write_text(summary(runs, cfg))
    print(summary(runs, cfg))
    return results


if __name__ == "__main__":
    main()
