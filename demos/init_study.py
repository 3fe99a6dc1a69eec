"""Initialisation study (seed 002): activations of a deep tanh MNIST network under four
initialisations, Xavier vs He for ReLU, and a 30-layer ReLU network that only He trains.

Run:  python demos/init_study.py [--out out/init_study] [--quick] [--seed 0] [--mnist PATH]
1. Seed 002's network 784-500-400-300-200-100-10, tanh, zero biases, initialised with zeros,
   N(0, 1), the "standard" U[-1/sqrt(n_in), 1/sqrt(n_in)] and Xavier (Glorot's normalised
   uniform): per-layer histograms of the tanh outputs on a batch at initialisation, then a few
   hundred SGD steps of each.
2. The same widths with ReLU, Xavier vs He (Kaiming) normal: activation std per layer; the
   same for 30 ReLU layers, with the norm of each weight's gradient at initialisation.
3. The 30 ReLU layers trained (He et al. 2015, figure 3): loss over a few hundred SGD steps.
Writes tanh_histograms.png, tanh_training.png, relu_std.png, relu30_loss.png, results.json
and summary.md into the output folder.
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
import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from tqdm import tqdm

import minigrad as mg
from minigrad import nn, optim
from minigrad.cli import count
from minigrad.data import batches, load_mnist
from minigrad.lab import Monitor
from minigrad.lab.demo import demo_parser, fill_defaults
from minigrad.lab.plots import pyplot as _pyplot
from minigrad.training import evaluate

HIDDEN = (500, 400, 300, 200, 100)
Init = Callable[[mg.Tensor, np.random.Generator], object]
TANH_INITS: dict[str, Init] = {
    "zero": lambda w, rng: nn.init.zeros_(w),
    "N(0, 1)": lambda w, rng: nn.init.normal_(w, rng),
    "uniform 1/sqrt(n_in)": lambda w, rng: nn.init.standard_(w, rng),
    "Xavier": lambda w, rng: nn.init.xavier_uniform_(w, rng),
}
RELU_INITS: dict[str, Init] = {
    "Xavier": lambda w, rng: nn.init.xavier_normal_(w, rng),
    "He": lambda w, rng: nn.init.kaiming_normal_(w, rng),
}
LN10 = math.log(10)


def mlp(sizes: list[int], activation: type, init: Init, rng: np.random.Generator) -> nn.Sequential:
    """Linear layers of `sizes` with `activation` between them, weights from `init`, biases 0."""
    layers: list[nn.Module] = []
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        linear = nn.Linear(n_in, n_out, rng=rng)
        init(linear.weight, rng)
        nn.init.zeros_(linear.bias)
        layers.append(linear)
        if k < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


def activations(model: nn.Module, x: np.ndarray) -> list[np.ndarray]:
    """The output of every activation module on the batch `x` (lab.Monitor), input to output."""
    monitor = Monitor(model, histogram_steps=(0,))
    with mg.no_grad():
        model(mg.Tensor(x))
    monitor.record(0)
    monitor.remove()
    return [r.histograms[0] for r in monitor.records.values()]


def weight_grad_norms(model: nn.Module, x: np.ndarray, y: np.ndarray) -> list[float]:
    """The norm of the cross-entropy's gradient for every weight matrix, input to output
    (lab.Monitor, one backward pass on the batch)."""
    monitor = Monitor(model, layers={})
    nn.cross_entropy(model(mg.Tensor(x)), y).backward()
    monitor.record(0)
    monitor.remove()
    return [norms[0] for norms in monitor.weight_grad_norm.values()]


def train_steps(
    model: nn.Module,
    data: tuple[np.ndarray, np.ndarray],
    steps: int,
    lr: float,
    rng: np.random.Generator,
    desc: str,
    batch_size: int = 64,
) -> list[float]:
    """`steps` SGD steps (momentum 0.9) on mini-batches of `data = (x, y)`: the losses."""
    opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    losses: list[float] = []
    with tqdm(total=steps, desc=desc, leave=False) as bar:
        while len(losses) < steps:
            for xb, yb in batches(*data, batch_size=batch_size, rng=rng):
                loss = nn.cross_entropy(model(mg.Tensor(xb)), yb)
                opt.zero_grad()
                loss.backward()
                opt.step()
                losses.append(float(loss.item()))
                bar.update(1)
                if len(losses) == steps:
                    break
    return losses


def tanh_study(data: dict, cfg: argparse.Namespace) -> dict:
    """Part 1: per init, the tanh outputs at initialisation and a short training run."""
    results = {}
    for name, init in TANH_INITS.items():
        rng = np.random.default_rng(cfg.seed)
        model = mlp([784, *HIDDEN, 10], nn.Tanh, init, rng)
        acts = activations(model, data["probe"][0])
        before = model.state_dict()
        losses = train_steps(model, data["train"], cfg.steps, 0.01, rng, f"tanh, {name}")
        results[name] = {
            "values": acts,
            "std": [float(a.std()) for a in acts],
            "saturated": [float(np.mean(np.abs(a) > 0.99)) for a in acts],
            "near_zero": [float(np.mean(np.abs(a) < 0.05)) for a in acts],
            "losses": losses,
            "test_accuracy": evaluate(model, *data["test"])["accuracy"],
            "changed": [
                k for k, v in model.state_dict().items() if not np.array_equal(v, before[k])
            ],
        }
    return results


def relu_stats(data: dict, sizes: list[int], seed: int) -> dict[str, dict[str, list[float]]]:
    """Part 2: per init, the std of every ReLU layer's output and the norm of every weight's
    gradient at initialisation."""
    out = {}
    for name, init in RELU_INITS.items():
        model = mlp(sizes, nn.ReLU, init, np.random.default_rng(seed))
        out[name] = {
            "std": [float(a.std()) for a in activations(model, data["probe"][0])],
            "grad_norm": weight_grad_norms(model, *data["probe"]),
        }
    return out


def deep_relu(data: dict, cfg: argparse.Namespace) -> dict[str, list[float]]:
    """Part 3: loss curves of the deep ReLU network, per init and learning rate."""
    sizes = [784] + [cfg.deep_width] * cfg.deep_depth + [10]
    curves = {}
    for name, init in RELU_INITS.items():
        for lr in (1e-3, 1e-2):
            rng = np.random.default_rng(cfg.seed)
            model = mlp(sizes, nn.ReLU, init, rng)
            label = f"{name}, lr {lr:g}"
            curves[label] = train_steps(model, data["train"], cfg.deep_steps, lr, rng, label)
    return curves


def plot_histograms(tanh: dict, path: Path) -> None:
    plt = _pyplot()
    fig, axes = plt.subplots(len(tanh), len(HIDDEN), figsize=(14, 2.3 * len(tanh)), sharex=True)
    for row, (name, r) in zip(axes, tanh.items(), strict=True):
        for k, (ax, values) in enumerate(zip(row, r["values"], strict=True)):
            weights = np.full(values.size, 100 / values.size)
            counts, _, _ = ax.hist(
                values, bins=np.linspace(-1, 1, 42), weights=weights, color=f"C{k}"
            )
            ax.set(xlim=(-1.05, 1.05), ylim=(0, 1.3 * counts.max()))
            note = f"std {r['std'][k]:.3f}, {r['saturated'][k]:.0%} saturated"
            ax.text(0.5, 0.97, note, transform=ax.transAxes, ha="center", va="top", fontsize=8)
            if k == 0:
                ax.set_ylabel(f"{name}\n% of units", fontsize=9)
    for k, ax in enumerate(axes[0]):
        ax.set_title(f"layer {k + 1} ({HIDDEN[k]} units)", fontsize=10)
    for ax in axes[-1]:
        ax.set_xlabel("tanh output")
    fig.suptitle("784-500-400-300-200-100-10 tanh network at initialisation: activations per layer")
    _save(fig, path)


def plot_tanh_training(tanh: dict, path: Path) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, r in tanh.items():
        label = f"{name} (test acc {r['test_accuracy']:.1%})"
        ax.plot(*_smooth(r["losses"]), label=label)
    ax.axhline(LN10, color="gray", ls=":", lw=1, label="ln 10 (chance)")
    ax.set(xlabel="SGD step (batch 64, lr 0.01, momentum 0.9)", ylabel="training loss (smoothed)")
    ax.set_yscale("log")
    ax.set_title("The tanh network trained from each initialisation")
    ax.legend(fontsize=8)
    _save(fig, path)


def plot_relu(relu: dict, deep: dict, depth: int, path: Path) -> None:
    plt = _pyplot()
    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(15, 4))
    for (name, r), marker in zip(relu.items(), "os", strict=True):
        ax1.plot(range(1, len(r["std"]) + 1), r["std"], marker=marker, label=name)
    for name, r in deep.items():
        ax2.semilogy(range(1, len(r["std"]) + 1), r["std"], marker=".", label=name)
        ax3.semilogy(range(1, len(r["grad_norm"]) + 1), r["grad_norm"], marker=".", label=name)
    ax1.set(xlabel="hidden layer", ylabel="std of ReLU output", ylim=(0, None))
    ax1.set_title("784-500-400-300-200-100-10 ReLU, at initialisation", fontsize=10)
    ax1.set_xticks(range(1, len(HIDDEN) + 1))
    ax2.set(xlabel="hidden layer", ylabel="std of ReLU output (log scale)")
    ax2.set_title(f"{depth} ReLU layers, at initialisation", fontsize=10)
    ax3.set(xlabel="weight matrix (input to output)", ylabel="gradient norm (log scale)")
    ax3.set_title(f"{depth} ReLU layers: |dLoss/dW| at initialisation", fontsize=10)
    for ax in (ax1, ax2, ax3):
        ax.legend()
        ax.grid(alpha=0.3)
    _save(fig, path)


def plot_deep_loss(curves: dict, cfg: argparse.Namespace, path: Path) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    styles = {"Xavier": ("C0", "--"), "He": ("C1", "-")}
    for label, losses in curves.items():
        color, ls = styles[label.split(",")[0]]
        lw = 1.0 if "0.001" in label else 2.0
        ax.plot(*_smooth(losses), color=color, ls=ls, lw=lw, label=label)
    ax.axhline(LN10, color="gray", ls=":", lw=1, label="ln 10 (chance)")
    ax.set(xlabel="SGD step (batch 64, momentum 0.9)", ylabel="training loss (smoothed)")
    ax.set_title(f"{cfg.deep_depth}-layer ReLU network, width {cfg.deep_width}")
    ax.legend(fontsize=8)
    _save(fig, path)


def _smooth(values: list[float], window: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """(step, moving average over the `window` steps ending there), steps counted from 1."""
    values = np.asarray(values)
    window = max(1, min(window, len(values) // 5))
    return np.arange(window, len(values) + 1), np.convolve(
        values, np.ones(window) / window, "valid"
    )


def _save(fig, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    _pyplot().close(fig)


def summary(results: dict, cfg: argparse.Namespace) -> str:
    lines = [
        "# Initialisation study (seed 002)",
        "",
        "MNIST, inputs standardised with one mean and one std over all training pixels; "
        f"activations on {cfg.probe} validation images; biases 0; test accuracy on {cfg.test} "
        f"test images. Run time {results['seconds']:.0f} s{' (--quick)' if cfg.quick else ''}.",
        "",
        *_summary_tanh(results["tanh"], cfg),
        *_summary_relu(results, cfg),
    ]
    if cfg.quick:
        lines += ["", "(--quick: tiny runs for the test suite; the numbers are not the study's.)"]
    return "\n".join(lines) + "\n"


def _summary_tanh(tanh: dict, cfg: argparse.Namespace) -> list[str]:
    lines = [
        "## 1. tanh, 784-500-400-300-200-100-10",
        "",
        "| init | std of tanh output, layers 1-5 | saturated (abs > 0.99), layers 1-5 "
        f"| loss, last 20 of {cfg.steps} steps | test accuracy |",
        "|---|---|---|---|---|",
    ]
    for name, r in tanh.items():
        std = " ".join(f"{s:.3f}" for s in r["std"])
        sat = " ".join(f"{s:.0%}" for s in r["saturated"])
        lines.append(f"| {name} | {std} | {sat} | {_last(tanh, name)} | {r['test_accuracy']:.1%} |")
    var = np.array(tanh["uniform 1/sqrt(n_in)"]["std"]) ** 2
    normal_sat = tanh["N(0, 1)"]["saturated"]
    return lines + [
        "",
        "![tanh histograms](tanh_histograms.png)",
        "",
        "![tanh training](tanh_training.png)",
        "",
        "Seed 002's claims, checked (training: SGD, batch 64, lr 0.01, momentum 0.9):",
        "- *zero*: every output is 0, and the units cannot become different. Here the std is "
        f"{max(tanh['zero']['std']):.1g}; training changes only "
        f"{', '.join(tanh['zero']['changed']) or 'nothing'} (the output bias), so the loss "
        f"stays at ln 10 = {LN10:.3f}.",
        "- *N(0, 1)*: the outputs pile up at -1 and +1 (saturation, zero derivative). Here "
        f"{min(normal_sat):.0%}-{max(normal_sat):.0%} of the units per layer have |a| > 0.99, "
        "and training is slow.",
        "- *uniform U[-1/sqrt(n_in), 1/sqrt(n_in)]* (variance 1/(3 n_in)): the variance falls "
        "by 1/3 per layer and the outputs collapse towards 0. Here the factors are "
        + ", ".join(f"{b / a:.2f}" for a, b in zip(var[:-1], var[1:], strict=True))
        + f"; it still trains, more slowly than Xavier (loss {_last(tanh, 'uniform 1/sqrt(n_in)')}"
        f" vs {_last(tanh, 'Xavier')}).",
        "- *Xavier*: the distribution keeps its shape through the layers. Here the std stays "
        f"within {min(tanh['Xavier']['std']):.2f}-{max(tanh['Xavier']['std']):.2f}.",
        "",
    ]


def _summary_relu(results: dict, cfg: argparse.Namespace) -> list[str]:
    depth, deep = cfg.deep_depth, results["deep_relu_init"]
    lines = [
        "## 2. ReLU: Xavier vs He",
        "",
        "| init | std of ReLU output, layers 1-5 "
        f"| {depth} layers: std in layer 1 | in layer {depth} | median norm of dLoss/dW |",
        "|---|---|---|---|---|",
    ]
    for name, r in results["relu"].items():
        d = deep[name]
        lines.append(
            f"| {name} | {' '.join(f'{v:.3f}' for v in r['std'])} | {d['std'][0]:.3g} "
            f"| {d['std'][-1]:.3g} | {np.median(d['grad_norm']):.3g} |"
        )
    lines += [
        "",
        "With ReLU half the units are 0, so Xavier (variance 1/n for equal widths) halves the "
        "variance at every layer, while He's 2/n_in keeps it (seed 002's closing remark). "
        f"Through the {depth}-layer network the variance changes per layer by a factor "
        f"{_ratio(deep['Xavier']['std'])} (Xavier) and {_ratio(deep['He']['std'])} (He), "
        "geometric means; the gradients of the weights, measured on the same images, are "
        f"{np.median(deep['He']['grad_norm']) / np.median(deep['Xavier']['grad_norm']):,.0f} "
        "times smaller with Xavier (medians over the layers).",
        "",
        "![relu std](relu_std.png)",
        "",
        f"## 3. {depth} ReLU layers of width {cfg.deep_width} (He et al. 2015, figure 3)",
        "",
        f"| init, lr | loss, first 20 steps | loss, last 20 of {cfg.deep_steps} steps |",
        "|---|---|---|",
    ]
    for label, losses in results["deep_relu"].items():
        lines.append(f"| {label} | {np.mean(losses[:20]):.4f} | {np.mean(losses[-20:]):.4f} |")
    return lines + [
        "",
        "Xavier stalls at ln 10 at both learning rates: its activations and gradients vanish "
        "through the ReLU layers; He trains at both (SGD, batch 64, momentum 0.9).",
        "",
        "![deep relu loss](relu30_loss.png)",
    ]


def _last(tanh: dict, name: str) -> str:
    return f"{np.mean(tanh[name]['losses'][-20:]):.3f}"


def _ratio(stds: list[float]) -> str:
    """Geometric mean of var(layer k+1) / var(layer k)."""
    return f"{(stds[-1] / stds[0]) ** (2 / (len(stds) - 1)):.2f}"


def load_data(path, probe: int, test: int) -> dict:
    """MNIST (Nielsen's split), standardised with the training set's pixel mean and std."""
    d = load_mnist(path, split="nielsen")
    mean, std = d.train_images.mean(), d.train_images.std()
    scale = lambda x: ((x - mean) / std).astype(np.float32)
    return {
        "train": (scale(d.train_images), d.train_labels),
        "probe": (scale(d.validation_images[:probe]), d.validation_labels[:probe]),
        "test": (scale(d.test_images[:test]), d.test_labels[:test]),
    }


FULL = {"steps": 300, "deep_width": 256, "deep_steps": 500, "probe": 1000, "test": 10000}
QUICK = {"steps": 30, "deep_width": 32, "deep_steps": 40, "probe": 256, "test": 1000}


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = demo_parser("init_study", __doc__.splitlines()[0])
    parser.add_argument("--steps", type=count, help="SGD steps of the tanh networks (300)")
    parser.add_argument("--deep-depth", type=count, default=30)
    parser.add_argument("--deep-width", type=count, help="width of the deep ReLU network (256)")
    parser.add_argument("--deep-steps", type=count, help="SGD steps of the deep network (500)")
    parser.add_argument("--probe", type=count, help="images for the activation statistics")
    parser.add_argument("--test", type=count, help="test images for the accuracy")
    cfg = fill_defaults(parser.parse_args(argv), QUICK, FULL)
    return cfg


def main(argv: list[str] | None = None) -> dict:
    cfg = parse(argv)
    cfg.out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    data = load_data(cfg.mnist, cfg.probe, cfg.test)
    tanh = tanh_study(data, cfg)
    deep_sizes = [784] + [cfg.deep_width] * cfg.deep_depth + [10]
    results = {
        "relu": relu_stats(data, [784, *HIDDEN, 10], cfg.seed),
        "deep_relu_init": relu_stats(data, deep_sizes, cfg.seed),
        "deep_relu": deep_relu(data, cfg),
    }
    results["seconds"] = time.perf_counter() - start
    plot_histograms(tanh, cfg.out / "tanh_histograms.png")
    plot_tanh_training(tanh, cfg.out / "tanh_training.png")
    plot_relu(results["relu"], results["deep_relu_init"], cfg.deep_depth, cfg.out / "relu_std.png")
    plot_deep_loss(results["deep_relu"], cfg, cfg.out / "relu30_loss.png")
    results["tanh"] = {
        name: {k: v for k, v in r.items() if k != "values"} for name, r in tanh.items()
    }
    results["config"] = {k: str(v) if isinstance(v, Path) else v for k, v in vars(cfg).items()}
    (cfg.out / "results.json").write_text(json.dumps(results, indent=1))
    (cfg.out / "summary.md").write_text(summary(results, cfg))
    print(summary(results, cfg))
    return results


if __name__ == "__main__":
    main()
