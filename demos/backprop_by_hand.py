"""Algorithm 5.1 (seed 004): backpropagation with explicit deltas in NumPy vs minigrad autodiff.

Run:  python demos/backprop_by_hand.py [--out out/backprop_by_hand] [--quick] [--seed 0]
A [2, 16, 16, 3] network (logistic hidden units, softmax output, cross-entropy, eqs. 5.26-5.35)
on three 2-D spiral arms. (1) For every example, dL/dW^(l) and dL/db^(l) from the error terms
delta^(l) (eqs. 5.49, 5.56, 5.57) against minigrad's backward(); (2) Algorithm 5.1's per-example
SGD with weight decay against minigrad's optim.SGD from the same start, epoch by epoch.
Writes backprop_by_hand_vs_autodiff.png, results.json and summary.md into the output folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from minigrad.cli import Parser, non_negative
from minigrad.data.synthetic import spirals
from minigrad.lab import backprop_by_hand as bh
from minigrad.lab.demo import output_folder
from minigrad.lab.plots import pyplot, save_figure

SEED_004 = "seeds/004_d8bb18cf261f0e4e.txt (Qiu, 5.3 反向传播算法, Algorithm 5.1)"
SIZES = [2, 16, 16, 3]
ALPHA, LAMBDA = 0.3, 1e-4
FULL = {"examples": 120, "epochs": 40}
QUICK = {"examples": 30, "epochs": 3}


def problem(budget: dict, seed: int) -> tuple[np.ndarray, np.ndarray, bh.Params]:
    rng = np.random.default_rng(seed)
    x, y = spirals(budget["examples"], rng, classes=3, turns=0.5, noise=0.1)
    return x.astype(np.float64), y, bh.init_params(SIZES, rng)


def plot(out: Path, gaps: dict, run: dict, x: np.ndarray, y: np.ndarray) -> Path:
    plt = pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(10, 7.2))
    (ax1, ax2), (ax3, ax4) = axes
    gap = np.maximum(np.array(gaps["max_abs_diff"]), 1e-18)  # an exact 0 drawn at the floor
    k = np.arange(1, len(gap) + 1)
    ax1.bar(k - 0.18, gap[:, 0], 0.36, label="dL/dW^(l)")
    ax1.bar(k + 0.18, gap[:, 1], 0.36, label="dL/db^(l)")
    ax1.axhline(gaps["max_abs_grad"], color="k", lw=0.8, label="largest gradient entry")
    ax1.axhline(1e-12, color="r", ls="--", lw=0.8, label="1e-12")
    ax1.set(yscale="log", ylim=(1e-18, 10), xticks=k, xlabel="layer l",
            ylabel="max |explicit delta - autodiff|",
            title=f"gradients, all {len(x)} examples (float64)")  # fmt: skip
    ax1.legend(fontsize=7, loc="center right")
    epochs = np.arange(1, len(run["loss_by_hand"]) + 1)
    ax2.plot(epochs, run["loss_by_hand"], "-", lw=2, label="Algorithm 5.1 in NumPy")
    ax2.plot(epochs, run["loss_autodiff"], "x", ms=5, label="minigrad: backward() + optim.SGD")
    ax2.set(xlabel="epoch", ylabel="mean cross-entropy", title="training, same start and order")
    ax2.legend(fontsize=8)
    ax3.semilogy(epochs, run["max_param_diff"], "o-", ms=3)
    ax3.set(xlabel="epoch", ylabel="max |W, b by hand - W, b by minigrad|",
            title=f"parameters apart after {len(x)} SGD steps an epoch")  # fmt: skip
    ax3.grid(alpha=0.3, which="both")
    regions(ax4, run["params"], x, y)
    return save_figure(fig, out / "backprop_by_hand_vs_autodiff.png")


def regions(ax, params: bh.Params, x: np.ndarray, y: np.ndarray) -> None:
    g = np.linspace(-1.2, 1.2, 120)
    grid = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)
    label = [np.argmax(bh.forward(params, p)[1][-1]) for p in grid]
    ax.contourf(g, g, np.reshape(label, (len(g), len(g))), levels=[-0.5, 0.5, 1.5, 2.5],
                colors=["C0", "C1", "C2"], alpha=0.25)  # fmt: skip
    for c in range(3):
        ax.plot(*x[y == c].T, "o", ms=4, color=f"C{c}", mec="k", mew=0.4)
    ax.set(title=f"after training (by hand): accuracy {100 * bh.accuracy(params, x, y):.0f}%",
           aspect="equal", xlabel="x1", ylabel="x2")  # fmt: skip


def summary(r: dict) -> str:
    g, run = r["gradients"], r["training"]
    rows = "\n".join(
        f"| {k + 1} | {w:.1e} | {b:.1e} |" for k, (w, b) in enumerate(g["max_abs_diff"])
    )
    return f"""# Algorithm 5.1 by hand vs minigrad autodiff (seed 004)

Source: {SEED_004}. Network {SIZES}, logistic hidden layers, softmax output, cross-entropy;
{r["budget"]["examples"]} spiral examples; alpha {ALPHA}, lambda {LAMBDA}, examples in the \
seed's order i = 1..N, {r["budget"]["epochs"]} epochs.

## Gradients of every example, float64

| layer l | max \\|dL/dW^(l) by delta - autodiff\\| | max \\|dL/db^(l) by delta - autodiff\\| |
|---|---|---|
{rows}

Largest gradient entry: {g["max_abs_grad"]:.3g}. Largest gap: {r["max_gradient_gap"]:.1e}.

## Training

| | Algorithm 5.1 (NumPy) | minigrad (backward + optim.SGD) |
|---|---|---|
| mean loss after epoch 1 | {run["loss_by_hand"][0]:.6f} | {run["loss_autodiff"][0]:.6f} |
| mean loss at the end | {run["loss_by_hand"][-1]:.12f} | {run["loss_autodiff"][-1]:.12f} |

Largest parameter difference after each epoch: first {run["max_param_diff"][0]:.1e}, last \
{run["max_param_diff"][-1]:.1e} (rounding: the two compute the same numbers in different \
orders, and {r["steps"]} SGD steps add up the differences). Training accuracy at the end: \
{100 * run["accuracy"]:.1f}%.

The seed's update (line 9 of Algorithm 5.1) writes a sum over all N examples inside the loop over \
i; we update with the one example i, as the loop says. Its eq. 5.40 writes "- lambda W" inside \
the bracket; the gradient of (1/2) lambda \\|\\|W\\|\\|_F^2 (eq. 5.36) is + lambda W, which is \
what Algorithm 5.1 subtracts.

![Algorithm 5.1 vs autodiff](backprop_by_hand_vs_autodiff.png)
"""


def main(argv: list[str] | None = None) -> dict:
    parser = Parser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=output_folder, default=Path("out/backprop_by_hand"))
    parser.add_argument("--quick", action="store_true", help="fewer examples and epochs (tests)")
    parser.add_argument("--seed", type=non_negative, default=0)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    budget = QUICK if args.quick else FULL
    x, y, params = problem(budget, args.seed)
    gaps = bh.gradient_gaps(params, x, y)
    run = bh.side_by_side(params, x, y, ALPHA, LAMBDA, budget["epochs"])
    plot(args.out, gaps, run, x, y)
    results = {
        "budget": budget,
        "seed": args.seed,
        "gradients": gaps,
        "max_gradient_gap": float(np.max(gaps["max_abs_diff"])),
        "training": {k: v for k, v in run.items() if k != "params"},
        "steps": budget["examples"] * budget["epochs"],
    }
    (args.out / "results.json").write_text(json.dumps(results, indent=1))
    (args.out / "summary.md").write_text(summary({**results, "training": run}))
    print(f"wrote {args.out}")
    return results


if __name__ == "__main__":
    main()
