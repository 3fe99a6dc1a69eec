"""l2 / l1 penalties and dropout keep rates on a small overfitting task (seed 004, 5.7.5-5.7.6).

Run:  python demos/regularisation.py [--out out/regularisation] [--quick] [--seed 0] [--mnist PATH]
1. A 784-100-10 tanh net on the first --train (1000) MNIST training images (--quick, or MNIST
   absent: a 10-100-4 net on 100 Gaussian points with 20% noisy labels), trained without a
   penalty, with l2 (lambda/2) sum w^2 and with l1 lambda sum |w| (weights only): train and test
   error, their gap, and the fraction of weights with |w| < 1e-3.
2. Dropout keep rates p swept, hidden 0.2-1.0 x input 0.5, 0.8, 1.0: test error per pair (mean
   over --seeds), and the entropy of the dropout mask (log2 of the effective number of
   subnetworks), largest at p = 0.5.
Writes regularisation_penalties.png, regularisation_dropout.png, results.json and summary.md.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from minigrad.cli import count
from minigrad.data import MnistError, load_mnist
from minigrad.lab import regularisation as reg
from minigrad.lab.demo import demo_parser, fill_defaults, write_results
from minigrad.lab.plots import pyplot, save_figure

SEED_004 = "seeds/004 (Qiu ch. 5), 5.7.5-5.7.6"
KEEP_HIDDEN = [0.2, 0.35, 0.5, 0.65, 0.8, 1.0]
KEEP_INPUT = [0.5, 0.8, 1.0]
QUICK = {"train": 100, "steps": 500, "seeds": 2}
FULL = {"train": 1000, "steps": 2000, "seeds": 3}


def task(args) -> tuple[str, dict, tuple[int, ...], dict]:
    """MNIST (first `train` images, 10k test) or the synthetic task; its widths and penalties."""
    rng = np.random.default_rng(args.seed)
    if not args.quick:
        try:
            m = load_mnist(args.mnist, download=False)
            data = {
                "train": (m.train_images[: args.train], m.train_labels[: args.train]),
                "test": (m.test_images, m.test_labels),
            }
            pens = {"none": {}, "l2 1e-3": {"l2": 1e-3}, "l2 3e-3": {"l2": 3e-3}}
            pens |= {"l2 1e-2": {"l2": 1e-2}}
            pens |= {"l1 1e-4": {"l1": 1e-4}, "l1 1e-3": {"l1": 1e-3}}
            return f"MNIST, {args.train} training images", data, (784, 100, 10), pens
        except (MnistError, OSError) as err:
            print(f"MNIST not found ({err}); using the synthetic task")
    data = reg.synthetic_task(rng, n_train=args.train, dim=10)
    pens = {"none": {}, "l2 3e-2": {"l2": 3e-2}, "l1 3e-3": {"l1": 3e-3}}
    return f"synthetic, {args.train} points, 20% noisy labels", data, (10, 100, 4), pens


def plot_penalties(path: Path, runs: dict, name: str) -> None:
    plt = pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    x = np.arange(len(runs))
    for key, style, label in (("train_error", "v", "train"), ("test_error", "o", "test")):
        for i, rs in enumerate(runs.values()):
            ax1.plot(
                [i] * len(rs),
                [100 * r[key] for r in rs],
                style,
                color="C0" if key[1] == "r" else "C3",
                alpha=0.6,
                label=label if i == 0 else None,
            )
    ax1.set_xticks(x, list(runs), fontsize=8)
    ax1.set(ylabel="error (%), one point per seed", title=f"{name}: train vs test")
    ax1.legend(fontsize=8)
    ax2.bar(x, [100 * np.mean([r["sparsity"] for r in rs]) for rs in runs.values()], color="C2")
    ax2.set_xticks(x, list(runs), fontsize=8)
    ax2.set(ylabel="weights with |w| < 1e-3 (%)", title="sparsity of the weights (mean over seeds)")
    save_figure(fig, path)


def plot_dropout(path: Path, rows: list[dict], name: str, width: int) -> None:
    plt = pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    for pi in KEEP_INPUT:
        rs = [r for r in rows if r["keep_input"] == pi]
        ax1.errorbar(
            [r["keep_hidden"] for r in rs],
            [100 * r["test_error"] for r in rs],
            yerr=[100 * r["test_std"] for r in rs],
            marker="o",
            capsize=3,
            label=f"input keep {pi:g}",
        )
    ax1.set(
        xlabel="hidden keep probability p",
        ylabel="test error (%), mean and std over seeds",
        title=name,
    )
    ax1.legend(fontsize=8)
    p = np.linspace(0.01, 0.99, 99)
    ax2.plot(p, [reg.mask_entropy(width, q) for q in p], label=f"mask of {width} units: n H(p)")
    ax2.plot(p, [10 * reg.count_entropy(width, q) for q in p], label="number kept, x10")
    ax2.axvline(0.5, color="gray", lw=0.8)
    ax2.set(
        xlabel="keep probability p",
        ylabel="entropy (bits)",
        title="how many subnetworks dropout samples",
    )
    ax2.legend(fontsize=8)
    save_figure(fig, path)


def summary(r: dict) -> str:
    mean = {k: {m: np.mean([x[m] for x in v]) for m in v[0]} for k, v in r["penalties"].items()}
    pen = "\n".join(
        f"| {k} | {m['train_error']:.2%} | {m['test_error']:.2%} | {m['gap']:.2%} "
        f"| {m['sparsity']:.1%} |"
        for k, m in mean.items()
    )
    grid = "\n".join(
        f"| {pi:g} | "
        + " | ".join(
            f"{x['test_error']:.2%} ± {x['test_std']:.2%}"
            for x in r["dropout"]
            if x["keep_input"] == pi
        )
        + " |"
        for pi in KEEP_INPUT
    )
    best = min(r["dropout"], key=lambda x: x["test_error"])
    return f"""# Regularisation ({SEED_004})

{r["task"]}, widths {r["widths"]}, {r["steps"]} SGD steps (lr 0.1, momentum 0.9, batch 50),
seeds {r["seeds"]}; errors in evaluation mode; {r["seconds"]:.0f} s.

| penalty | train error | test error | gap | weights with \\|w\\| < 1e-3 |
|---|---|---|---|---|
{pen}

Test error by keep probability (rows: input keep; columns: hidden keep {KEEP_HIDDEN}):

| input \\\\ hidden | {" | ".join(f"{p:g}" for p in KEEP_HIDDEN)} |
|---|{"---|" * len(KEEP_HIDDEN)}
{grid}

Lowest: input {best["keep_input"]:g}, hidden {best["keep_hidden"]:g}, \
{best["test_error"]:.2%}. Mask entropy of {r["widths"][1]} hidden units: \
{", ".join(f"p {p:g}: {h:.1f} bits" for p, h in r["mask_entropy"].items())}.

![penalties](regularisation_penalties.png)
![dropout](regularisation_dropout.png)
"""


def main(argv: list[str] | None = None) -> dict:
    parser = demo_parser("regularisation", __doc__.splitlines()[0])
    parser.add_argument("--train", type=count, default=None, help="training examples")
    parser.add_argument("--steps", type=count, default=None, help="SGD steps per run")
    parser.add_argument("--seeds", type=count, default=None, help="runs per setting")
    args = fill_defaults(parser.parse_args(argv), QUICK, FULL)
    args.out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    name, data, widths, pens = task(args)
    seeds = [args.seed + k for k in range(args.seeds)]
    runs = reg.penalty_runs(data, widths, pens, seeds, steps=args.steps)
    rows = reg.dropout_sweep(data, widths, KEEP_HIDDEN, KEEP_INPUT, seeds, steps=args.steps)
    results = {
        "task": name,
        "widths": list(widths),
        "steps": args.steps,
        "seeds": seeds,
        "penalties": runs,
        "dropout": rows,
        "mask_entropy": {p: reg.mask_entropy(widths[1], p) for p in KEEP_HIDDEN},
        "seconds": time.perf_counter() - start,
    }
    plot_penalties(args.out / "regularisation_penalties.png", runs, name)
    plot_dropout(args.out / "regularisation_dropout.png", rows, name, widths[1])
    return write_results(args.out, results, summary(results))


if __name__ == "__main__":
    main()
