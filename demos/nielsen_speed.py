"""Nielsen's dC/db bars at initialisation and the 2- and 3-hidden-layer learning speeds (seed 001).

Run:  python demos/nielsen_speed.py [--out out/nielsen_speed] [--quick] [--seed 0]
                                    [--data auto|mnist|synthetic] [--mnist PATH]
1. The bar chart of seed 001 (ch. 5, "the vanishing gradient problem"): dC/db of six neurons of
   each hidden layer of a [784, 30, 30, 10] sigmoid network just after initialisation, on the
   first 1000 MNIST training images; the first layer's bars are smaller.
2. The two learning-speed figures for 2 and 3 hidden layers: ||dC/db^l|| per hidden layer before
   each of 500 epochs of full-batch gradient descent (eta 0.1, lambda 5.0) on those images.
Without the MNIST files, synthetic MNIST-like inputs stand in (said in the summary). Writes
nielsen_bars_init.png, nielsen_speed_2.png, nielsen_speed_3.png, results.json and summary.md.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from minigrad.cli import Parser, non_negative
from minigrad.lab import nielsen_speed as ns
from minigrad.lab.demo import output_folder
from minigrad.lab.plots import pyplot, save_figure

SEED_001 = "seeds/001_bbec8a0e1895d029.txt (Nielsen ch. 5, 消失的梯度问题)"
FULL = {"images": 1000, "draws": 50, "epochs": 500, "inits": 5}  # Nielsen: 1000 images, 500
QUICK = {"images": 200, "draws": 5, "epochs": 40, "inits": 2}


def bars(out: Path, x: np.ndarray, t: np.ndarray, budget: dict, seed: int) -> dict:
    r = ns.bars_at_init(x, t, budget["draws"], seed)
    plt = pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
    k = np.arange(1, 7)
    for j, (grads, colour) in enumerate(zip(r["bars"], ("C0", "C3"), strict=True)):
        ax1.bar(k + (j - 0.5) * 0.38, np.abs(grads), 0.38, color=colour,
                label=f"hidden layer {j + 1}: ||dC/db|| = {r['speed'][j]:.3f}")  # fmt: skip
    ax1.set(xlabel="neuron (the first six of 30)", ylabel="|dC/db| at initialisation",
            xticks=k, title="one initialisation (Nielsen's bar chart)")  # fmt: skip
    ax1.legend(fontsize=8)
    m = np.array(r["mean_abs"])
    ax2.loglog(m[:, 0], m[:, 1], "o", mfc="none")
    lim = [m.min() / 2, m.max() * 2]
    ax2.plot(lim, lim, "k--", lw=0.8, label="layer 2 = layer 1")
    ax2.set(xlabel="mean |dC/db|, hidden layer 1", ylabel="mean |dC/db|, hidden layer 2",
            title=f"{len(m)} initialisations: layer 1 smaller in "
            f"{100 * r['first_smaller_fraction']:.0f}%")  # fmt: skip
    ax2.legend(fontsize=8)
    save_figure(fig, out / "nielsen_bars_init.png")
    speeds = np.array(r["speeds"])
    return {**r, "speed_geometric_mean": np.exp(np.log(speeds).mean(axis=0)).tolist()}


def speeds(out: Path, depth: int, x: np.ndarray, t: np.ndarray, budget: dict, seed: int) -> dict:
    runs = [
        ns.speeds_over_training(depth, x, t, budget["epochs"], np.random.default_rng([seed, k]))
        for k in range(budget["inits"])
    ]
    plt = pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8), width_ratios=(1.6, 1))
    epochs = np.arange(1, budget["epochs"] + 1)
    for k, run in enumerate(runs):
        s = np.array(run["speeds"])
        for j in range(depth):
            label = f"hidden layer {j + 1}" if k == 0 else None
            ax1.plot(epochs, s[:, j], color=f"C{j}", lw=1.6 if k == 0 else 0.6, label=label)
            if k == 0:
                low = run["slowest_epoch"][j]
                ax1.plot(low, s[low - 1, j], "v", color=f"C{j}", ms=7)
        ax2.plot(epochs, 100 * np.array(run["accuracy"]), color="0.3", lw=1.6 if k == 0 else 0.6)
    ax1.set_yscale("log")
    ax1.set(xlabel="epoch of full-batch gradient descent", ylabel="||dC/db^l||",
            title=f"{depth} hidden layers: speed of learning (v = slowest epoch; "
            f"thin: {len(runs) - 1} more inits)")  # fmt: skip
    ax1.title.set_fontsize(9)
    ax1.legend(fontsize=8)
    ax2.set(xlabel="epoch", ylabel="training accuracy %", title="accuracy on the same images",
            ylim=(0, 100))  # fmt: skip
    save_figure(fig, out / f"nielsen_speed_{depth}.png")
    return {"runs": runs}


def _fmt(values) -> str:
    return " / ".join(f"{v:.3g}" for v in values)


def summary(r: dict) -> str:
    b, two, three = r["bars"], r["speed_2"]["runs"], r["speed_3"]["runs"]
    rows = []
    for depth, runs in ((2, two), (3, three)):
        for k, run in enumerate(runs):
            s = np.array(run["speeds"])
            rows.append(
                f"| {depth} | {k} | {_fmt(s[0])} | {_fmt(s.min(axis=0))} | "
                f"{_fmt(run['slowest_epoch'])} | {_fmt(s[-1])} | {_fmt(run['end_over_slowest'])} "
                f"| {run['end_last_over_first']:.3g} | {100 * run['accuracy'][-1]:.1f} |"
            )
    note = f"\n**Inputs: {r['data']['note']}**\n" if r["data"]["note"] else ""
    return f"""# Nielsen's bars and learning speeds (seed 001)

Source: {SEED_001}. Inputs: {r["data"]["source"]}, {r["budget"]["images"]} images; \
eta {ns.ETA}, lambda {ns.LAMBDA}, full batch, {r["budget"]["epochs"]} epochs.
{note}
## dC/db at initialisation, [784, 30, 30, 10]

| | hidden layer 1 | hidden layer 2 |
|---|---|---|
| first six dC/db (init 0) | {_fmt(b["bars"][0])} | {_fmt(b["bars"][1])} |
| \\|\\|dC/db\\|\\| (init 0) | {b["speed"][0]:.3g} | {b["speed"][1]:.3g} |
| \\|\\|dC/db\\|\\|, geometric mean of {len(b["speeds"])} inits | \
{b["speed_geometric_mean"][0]:.3g} | {b["speed_geometric_mean"][1]:.3g} |
| Nielsen (English chapter; lost in the seed's translation) | {b["nielsen"][0]} | \
{b["nielsen"][1]} |

Mean \\|dC/db\\| of layer 1 below layer 2's in {100 * b["first_smaller_fraction"]:.0f}% of \
{len(b["speeds"])} initialisations (the seed: 第二个隐藏层上的条基本上都要比第一个隐藏层上的条要大).

![bars](nielsen_bars_init.png)

## Learning speed over full-batch training

| hidden layers | init | epoch 1 | slowest | slowest epoch | last epoch | last / slowest | \
last layer / first, at the end | training accuracy % at the end |
|---|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

The seed: with 2 hidden layers both speeds fall quickly and bottom out, and at the end the first \
layer learns more slowly than the second; with 3, the earlier layers learn more slowly.

![2 hidden layers](nielsen_speed_2.png)
![3 hidden layers](nielsen_speed_3.png)
"""


def main(argv: list[str] | None = None) -> dict:
    parser = Parser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=output_folder, default=Path("out/nielsen_speed"))
    parser.add_argument("--quick", action="store_true", help="tiny budgets (for tests)")
    parser.add_argument("--seed", type=non_negative, default=0)
    parser.add_argument(
        "--data",
        choices=("auto", "mnist", "synthetic"),
        default="auto",
        help="MNIST if its files are found (auto), or synthetic inputs",
    )
    parser.add_argument("--mnist", type=Path, help="folder of the MNIST files")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    budget = QUICK if args.quick else FULL
    data = ns.inputs(budget["images"], args.data, np.random.default_rng(args.seed), args.mnist)
    x, t = data["x"], data["t"]
    results = {
        "budget": budget,
        "seed": args.seed,
        "data": {"source": data["source"], "note": data["note"]},
        "bars": bars(args.out, x, t, budget, args.seed),
        "speed_2": speeds(args.out, 2, x, t, budget, args.seed),
        "speed_3": speeds(args.out, 3, x, t, budget, args.seed),
    }
    (args.out / "results.json").write_text(json.dumps(results, indent=1))
    (args.out / "summary.md").write_text(summary(results))
    print(f"wrote {args.out}")
    return results


if __name__ == "__main__":
    main()
