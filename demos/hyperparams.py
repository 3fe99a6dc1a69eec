"""Grid search vs random search with the same budget of runs (seed 004, 5.7.7).

Run:  python demos/hyperparams.py [--out out/hyperparams] [--quick] [--seed 0] [--mnist PATH]
The hyper-parameters are the learning rate of SGD (log scale, 1e-3 to 1) and the width of the
hidden layer (log scale, 16 to 256) of a 784-width-10 tanh network trained for a few epochs on
an MNIST subset and scored on validation images. Grid search tries k values of each (k^2 runs),
random search k^2 log-uniform draws (Bergstra and Bengio 2012): when one hyper-parameter (here
the learning rate) matters much more than the other, random search tries k^2 distinct values of
it instead of k. Writes search.png, results.json and summary.md into the output folder.
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

from minigrad import nn, optim
from minigrad.cli import count
from minigrad.data import load_mnist
from minigrad.lab.demo import demo_parser, fill_defaults
from minigrad.lab.plots import pyplot as _pyplot
from minigrad.training import evaluate, fit, format_table, grid_search, random_search

LR_RANGE = (1e-3, 1.0)
WIDTH_RANGE = (16, 256)
FULL = {"budget": 16, "train": 5000, "val": 2000, "epochs": 3, "repeats": 10}
QUICK = {"budget": 4, "train": 400, "val": 300, "epochs": 1, "repeats": 2}


def make_trainer(data: dict, cfg: argparse.Namespace, bar) -> Callable[..., dict]:
    """train(lr, width) -> validation metrics; every run starts from the same seed."""

    def train(lr: float, width: int) -> dict:
        init_rng = np.random.default_rng(cfg.seed)
        model = nn.Sequential(
            nn.Linear(784, width, rng=init_rng), nn.Tanh(), nn.Linear(width, 10, rng=init_rng)
        )
        start = time.perf_counter()
        opt = optim.SGD(model.parameters(), lr=lr)
        batch_rng = np.random.default_rng(cfg.seed + 1)
        fit(
            model,
            opt,
            *data["train"],
            epochs=cfg.epochs,
            batch_size=32,
            rng=batch_rng,
            progress=False,
        )
        metrics = evaluate(model, *data["val"])
        bar.update(1)
        bar.set_postfix(lr=f"{lr:.2g}", width=width, val_acc=f"{metrics['accuracy']:.3f}")
        return {
            "val_accuracy": metrics["accuracy"],
            "val_loss": metrics["loss"],
            "seconds": time.perf_counter() - start,
        }

    return train


def search(data: dict, cfg: argparse.Namespace) -> dict:
    """The grid search and `cfg.repeats` random searches, `cfg.budget` runs each (the grid is
    k x k, k = sqrt(budget)). Returns {"grid": rows, "random": [rows of each repeat]}."""
    k = math.isqrt(cfg.budget)
    grid = {
        "lr": [float(v) for v in np.geomspace(*LR_RANGE, k)],
        "width": [int(round(v)) for v in np.geomspace(*WIDTH_RANGE, k)],
    }
    log_lr, log_width = np.log10(LR_RANGE), np.log2(WIDTH_RANGE)
    space = {
        "lr": lambda rng: float(10 ** rng.uniform(*log_lr)),
        "width": lambda rng: int(round(2 ** rng.uniform(*log_width))),
    }
    with tqdm(total=k * k * (1 + cfg.repeats), desc="runs", leave=False) as bar:
        train = make_trainer(data, cfg, bar)
        grid_rows = grid_search(train, grid)
        randoms = [
            random_search(train, space, k * k, np.random.default_rng([cfg.seed, 2, r]))
            for r in range(cfg.repeats)
        ]
    return {"grid": grid_rows, "random": randoms}


def main_effects(rows: list[dict]) -> dict[str, float]:
    """On a full grid: the range (max - min) of the mean validation accuracy over the values
    of each hyper-parameter, averaging over the other (a two-way ANOVA's main effects)."""
    effects = {}
    for key in ("lr", "width"):
        means = [
            np.mean([r["val_accuracy"] for r in rows if r[key] == v])
            for v in sorted({r[key] for r in rows})
        ]
        effects[key] = float(np.ptp(means))
    return effects


def standard_error(accuracy: float, n: int) -> float:
    """Binomial standard error of an accuracy measured on n examples."""
    return math.sqrt(accuracy * (1 - accuracy) / n)


def best(rows: list[dict]) -> dict:
    return max(rows, key=lambda r: r["val_accuracy"])


def plot(results: dict, n_val: int, path: Path) -> None:
    plt = _pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(12, 9))
    searches = {"grid search": results["grid"], "random search (repeat 1)": results["random"][0]}
    accs = [r["val_accuracy"] for rows in searches.values() for r in rows]
    norm = plt.Normalize(min(accs), max(accs))
    for ax, (name, rows), marker in zip(axes[0], searches.items(), "so", strict=True):
        points, top = _scatter(ax, rows, marker, norm)
        ax.set_title(f"{name}: {len(rows)} runs, best {top:.1%} (red star)", fontsize=10)
    fig.colorbar(points, ax=axes[0, 1], label="validation accuracy")
    ax = axes[1, 0]
    for (name, rows), marker in zip(searches.items(), "so", strict=True):
        ax.scatter(
            [r["lr"] for r in rows],
            [r["val_accuracy"] for r in rows],
            marker=marker,
            alpha=0.7,
            label=name,
        )
    ax.set(xscale="log", xlabel="learning rate", ylabel="validation accuracy")
    ax.set_title("projection on the learning rate", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    _plot_repeats(axes[1, 1], results, n_val)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _scatter(ax, rows: list[dict], marker: str, norm):
    lr, width, acc = (np.array([r[k] for r in rows]) for k in ("lr", "width", "val_accuracy"))
    points = ax.scatter(
        lr,
        width,
        c=acc,
        cmap="viridis",
        norm=norm,
        s=90,
        marker=marker,
        edgecolors="k",
        linewidths=0.5,
    )
    top = int(np.argmax(acc))
    ax.scatter(
        lr[top],
        width[top],
        s=400,
        marker="*",
        facecolors="none",
        edgecolors="r",
        linewidths=1.5,
        label=f"best: {acc[top]:.1%}",
    )
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="learning rate (log scale)",
        ylabel="hidden units (log scale)",
        xlim=(LR_RANGE[0] / 1.5, LR_RANGE[1] * 1.5),
        ylim=(WIDTH_RANGE[0] / 1.2, WIDTH_RANGE[1] * 1.2),
    )
    ax.set_yticks([16, 32, 64, 128, 256], ["16", "32", "64", "128", "256"])
    ax.set_yticks([], minor=True)
    return points, acc[top]


def _plot_repeats(ax, results: dict, n_val: int) -> None:
    bests = [best(rows)["val_accuracy"] for rows in results["random"]]
    grid_best = best(results["grid"])["val_accuracy"]
    se = standard_error(grid_best, n_val)
    ax.axhspan(
        grid_best - se,
        grid_best + se,
        color="C0",
        alpha=0.15,
        label="grid's best +- 1 standard error of a validation score",
    )
    ax.plot(range(1, len(bests) + 1), bests, "o", color="C1", label="random search: its best")
    ax.axhline(grid_best, color="C0", label="grid search: its best")
    ax.set(xlabel="random search repeat (new draws)", ylabel="best validation accuracy")
    ax.set_xticks(range(1, len(bests) + 1))
    ax.set_title("same budget, different random draws", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)


def summary(results: dict, cfg: argparse.Namespace) -> str:
    grid, randoms = results["grid"], results["random"]
    effects = main_effects(grid)
    bests = np.array([best(rows)["val_accuracy"] for rows in randoms])
    grid_best = best(grid)["val_accuracy"]
    epochs = f"{cfg.epochs} epoch{'s' if cfg.epochs > 1 else ''}"
    lines = [
        "# Grid search vs random search (seed 004, 5.7.7; Bergstra and Bengio 2012)",
        "",
        f"784-width-10 tanh network, SGD (mini-batch 32) for {epochs} on {cfg.train} MNIST "
        f"training images, scored on {cfg.val} validation images; learning rate in "
        f"[{LR_RANGE[0]:g}, {LR_RANGE[1]:g}] and width in [{WIDTH_RANGE[0]}, {WIDTH_RANGE[1]}], "
        f"both on a log scale; {cfg.budget} runs per search, the random search repeated "
        f"{cfg.repeats} times with new draws."
        + (" --quick: a tiny run for the test suite." if cfg.quick else "")
        + f" Run time {results['seconds']:.0f} s.",
        "",
        *_best_runs(grid, randoms[0]),
        "",
        "Which hyper-parameter matters (main effects on the grid: range of the mean accuracy "
        f"over the values of one, averaged over the other): learning rate {effects['lr']:.1%}, "
        f"width {effects['width']:.1%}.",
        "",
        f"Over the {cfg.repeats} random searches the best run reached {np.median(bests):.2%} "
        f"(median; {bests.min():.2%} to {bests.max():.2%}) against the grid's {grid_best:.2%}; "
        f"{int(np.sum(bests > grid_best))} of {cfg.repeats} beat the grid. Random search tries "
        f"{cfg.budget} learning rates where the grid tries {math.isqrt(cfg.budget)}; how much "
        "that pays depends on how close a grid value happens to lie to the best learning rate. "
        f"For scale: one standard error of an accuracy near {grid_best:.0%} measured on "
        f"{cfg.val} images is {standard_error(grid_best, cfg.val):.2%}.",
        "",
        "![grid vs random search](search.png)",
        "",
    ]
    for name, rows in (("grid", grid), ("random (repeat 1)", randoms[0])):
        lines += [f"## {name} search, best first", "", format_table(rows, "val_accuracy"), ""]
    return "\n".join(lines)


def _best_runs(grid: list[dict], random: list[dict]) -> list[str]:
    lines = [
        "| search | best validation accuracy | at lr, width | distinct lr | distinct widths |",
        "|---|---|---|---|---|",
    ]
    for name, rows in (("grid", grid), ("random, repeat 1", random)):
        top = best(rows)
        lines.append(
            f"| {name} | {top['val_accuracy']:.2%} | {top['lr']:.3g}, {top['width']} "
            f"| {len({r['lr'] for r in rows})} | {len({r['width'] for r in rows})} |"
        )
    return lines


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = demo_parser("hyperparams", __doc__.splitlines()[0])
    parser.add_argument("--budget", type=count, help="runs per search, a square (16)")
    parser.add_argument("--train", type=count, help="training images (5000)")
    parser.add_argument("--val", type=count, help="validation images (2000)")
    parser.add_argument("--epochs", type=count, help="epochs per run (3)")
    parser.add_argument("--repeats", type=count, help="random searches with new draws (10)")
    cfg = fill_defaults(parser.parse_args(argv), QUICK, FULL)
    if math.isqrt(cfg.budget) ** 2 != cfg.budget:
        parser.error(f"--budget must be a square (k x k grid), got {cfg.budget}")
    return cfg


def main(argv: list[str] | None = None) -> dict:
    cfg = parse(argv)
    cfg.out.mkdir(parents=True, exist_ok=True)
    d = load_mnist(cfg.mnist, split="nielsen")
    data = {
        "train": (d.train_images[: cfg.train], d.train_labels[: cfg.train]),
        "val": (d.validation_images[: cfg.val], d.validation_labels[: cfg.val]),
    }
    start = time.perf_counter()
    results = search(data, cfg)
    results["seconds"] = time.perf_counter() - start
    plot(results, cfg.val, cfg.out / "search.png")
    config = {k: str(v) if isinstance(v, Path) else v for k, v in vars(cfg).items()}
    results["main_effects"] = main_effects(results["grid"])
    (cfg.out / "results.json").write_text(json.dumps({"config": config, **results}, indent=1))
    (cfg.out / "summary.md").write_text(summary(results, cfg))
    print(summary(results, cfg))
    return results


if __name__ == "__main__":
    main()
