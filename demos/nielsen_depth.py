"""Why deep sigmoid networks are hard to train: Nielsen's depth experiments on MNIST (seed 001).

Run:  python demos/nielsen_depth.py [--out out/nielsen_depth] [--quick] [--seed 0] [--epochs 30]
                                    [--repeats 3] [--mnist PATH]
Sigmoid networks [784, 30 x k, 10], k = 1..4, trained as in the chapter (mini-batch SGD, batch
10, eta 0.1, L2 lambda 5.0, cross-entropy on sigmoid outputs, N(0, 1/n_in) weights, the first
50k training images): (1) test and validation accuracy per depth; (2) each hidden layer's
learning speed ||dC/db|| at initialisation; (3) the learning speeds over 500 epochs of
full-batch gradient descent on 1000 training images. Writes accuracy.png, init_speed.png,
training_speed_<k>_layers.png, results.json and summary.md into the output folder.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
from tqdm import tqdm

from minigrad import nn, optim
from minigrad.cli import Parser, count, non_negative
from minigrad.data import load_mnist
from minigrad.lab import learning_speed
from minigrad.lab.demo import output_folder
from minigrad.lab.nielsen_speed import network  # [784, 30 x depth, 10], Nielsen's init
from minigrad.lab.plots import curves
from minigrad.lab.plots import pyplot as _pyplot
from minigrad.tensor import Tensor
from minigrad.training import evaluate, fit

DTYPE = np.float64  # as Nielsen's network2.py; float32 would be about 15% faster
ETA, LAMBDA, BATCH = 0.1, 5.0, 10
# Seed 001 (and the table of seed 003): validation accuracy after 30 epochs, in percent.
SEED_ACCURACY = {1: 96.48, 2: 96.90, 3: 96.57, 4: 96.53}
# Learning speeds at initialisation from Nielsen's English chapter 5; seed 001 is a Chinese
# translation whose inline numbers were lost in extraction ("...，所以这就确认了...").
NIELSEN_INIT_SPEED = {2: [0.07, 0.31], 3: [0.012, 0.060, 0.283], 4: [0.003, 0.017, 0.070, 0.285]}


@dataclass(frozen=True)
class Budget:
    depths: tuple[int, ...] = (1, 2, 3, 4)
    epochs: int = 30
    repeats: int = 3  # training runs (seeds) per depth
    train_images: int = 50000
    eval_images: int = 10000  # of the validation and of the test set
    speed_images: int = 1000  # for the learning speeds, as the chapter
    gd_epochs: int = 500
    init_draws: int = 20  # initialisations averaged for the speed at initialisation


QUICK = Budget(epochs=1, repeats=1, train_images=3000, eval_images=2000, speed_images=300,
               gd_epochs=20, init_draws=5)  # fmt: skip


def penalty(n: int):
    """Nielsen's L2 term (lambda / 2n) sum w^2 for a training set of n images."""
    return lambda model: nn.l2_penalty(model) * (LAMBDA / n)


def hidden_speeds(model: nn.Module) -> list[float]:
    """||dC/db|| of each hidden layer, first to last (after a backward pass)."""
    return list(learning_speed(model).values())[:-1]  # the last bias is the output layer's


def gradient_speeds(model: nn.Module, x: np.ndarray, t: np.ndarray) -> list[float]:
    """The hidden layers' learning speeds for the mean cost over all of `x` (one batch)."""
    model.zero_grad()
    nn.sigmoid_cross_entropy(model(Tensor(x)), t).backward()
    return hidden_speeds(model)


def train_depth(depth: int, repeat: int, data: dict, budget: Budget, seed: int) -> dict:
    """One training run of the chapter's SGD; accuracies after every epoch."""
    rng = np.random.default_rng([seed, depth, repeat])
    model = network(depth, rng)
    opt = optim.SGD(model.parameters(), lr=ETA)
    x, t = data["train"]
    cost, l2 = nn.sigmoid_cross_entropy, penalty(len(x))
    run = {"train_loss": [], "validation": [], "test": [], "seconds": []}
    bar = tqdm(range(budget.epochs), desc=f"{depth} hidden, run {repeat + 1}", leave=False)
    for _ in bar:
        start = time.perf_counter()
        history = fit(
            model,
            opt,
            x,
            t,
            epochs=1,
            batch_size=BATCH,
            rng=rng,
            loss_fn=cost,
            penalty=l2,
            progress=False,
        )
        run["seconds"].append(time.perf_counter() - start)
        run["train_loss"].append(history[0]["train_loss"])
        for split in ("validation", "test"):
            metrics = evaluate(model, *data[split], loss_fn=cost)
            run[split].append(metrics["accuracy"])
        bar.set_postfix(validation=f"{run['validation'][-1]:.4f}", test=f"{run['test'][-1]:.4f}")
    return run


def accuracy_table(data: dict, budget: Budget, seed: int) -> dict:
    table = {}
    for depth in tqdm(budget.depths, desc="accuracy per depth"):
        runs = [train_depth(depth, r, data, budget, seed) for r in range(budget.repeats)]
        test = [run["test"][-1] for run in runs]
        table[depth] = {
            "test": test,
            "test_mean": float(np.mean(test)),
            "validation": [run["validation"][-1] for run in runs],
            "validation_best": [max(run["validation"]) for run in runs],
            "seconds_per_epoch": float(np.mean([np.mean(run["seconds"]) for run in runs])),
            "curves": runs,
            "seed": SEED_ACCURACY[depth],
        }
    return table


def init_speeds(x: np.ndarray, t: np.ndarray, budget: Budget, seed: int) -> dict:
    """Learning speed of each hidden layer at initialisation, for `init_draws` initialisations."""
    out = {}
    for depth in tqdm(budget.depths, desc="speed at initialisation"):
        draws = [
            gradient_speeds(network(depth, np.random.default_rng([seed, depth, 1000 + k])), x, t)
            for k in range(budget.init_draws)
        ]
        out[depth] = {
            "draws": draws,
            "geometric_mean": np.exp(np.log(draws).mean(axis=0)).tolist(),
            "nielsen": NIELSEN_INIT_SPEED.get(depth),
        }
    return out


def full_batch_speeds(x: np.ndarray, t: np.ndarray, budget: Budget, seed: int) -> dict:
    """Learning speeds before each of `gd_epochs` full-batch gradient-descent steps on (x, t)
    (eta 0.1, lambda 5.0 with n = len(x)), as Nielsen's generate_gradient.py; also the cost
    and the training accuracy before each step."""
    out = {}
    for depth in budget.depths:
        model = network(depth, np.random.default_rng([seed, depth, 2000]))
        opt = optim.SGD(model.parameters(), lr=ETA)
        run = {"speeds": [], "cost": [], "accuracy": []}
        for _ in tqdm(range(budget.gd_epochs), desc=f"full batch, {depth} hidden", leave=False):
            logits = model(Tensor(x))
            cost = nn.sigmoid_cross_entropy(logits, t)
            opt.zero_grad()
            (cost + penalty(len(x))(model)).backward()
            run["speeds"].append(hidden_speeds(model))  # biases carry no L2 term: this is dC/db
            run["cost"].append(float(cost.item()))
            run["accuracy"].append(float(np.mean(logits.data.argmax(1) == t.argmax(1))))
            opt.step()
        s = np.array(run["speeds"])
        out[depth] = {**run, "final_ratio_last_to_first": float(s[-1, -1] / s[-1, 0])}
    return out


# --- figures -------------------------------------------------------------------------------------


def plot_accuracy(table: dict, path: Path) -> None:
    plt = _pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
    for k, (depth, row) in enumerate(table.items()):
        curve = 100 * np.mean([run["validation"] for run in row["curves"]], axis=0)
        epochs = np.arange(1, len(curve) + 1)
        ax1.plot(epochs, curve, "o-", ms=3, color=f"C{k}", label=f"{depth} hidden")
        ax1.plot(epochs[-1], row["seed"], "*", ms=10, color=f"C{k}")
    ax1.set(title="validation accuracy (mean of runs); * = seed", xlabel="epoch", ylabel="%")
    finals = [100 * np.mean(row["validation"]) for row in table.values()]
    ax1.set_ylim(min(*finals, *SEED_ACCURACY.values()) - 2, max(*finals, 97.5) + 0.5)  # zoom
    ax1.grid(alpha=0.3)
    ax1.legend(fontsize=8)
    pos, w = np.arange(len(table)), 0.27
    bars = {
        "ours: test": [100 * np.array(row["test"]) for row in table.values()],
        "ours: validation": [100 * np.array(row["validation"]) for row in table.values()],
        "seed: validation": [np.array([row["seed"]]) for row in table.values()],
    }
    for k, (label, values) in enumerate(bars.items()):
        heights, spread = [v.mean() for v in values], [v.std() for v in values]
        grey = ("0.3", "0.6", "0.9")[k]  # not the depth colours of the left panel
        ax2.bar(pos + (k - 1) * w, heights, w, yerr=spread, label=label, color=grey, ec="k")
    low = min(min(v.mean() for v in bars["ours: test"]), 96.0) - 1
    ax2.set(title="after the last epoch (bars: std over runs)", xlabel="hidden layers",
            ylabel="accuracy %", xticks=pos, xticklabels=list(table), ylim=(low, 98))  # fmt: skip
    ax2.legend(fontsize=8, loc="lower right")
    _save(fig, path)


def plot_init_speeds(speeds: dict, path: Path) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for k, (depth, row) in enumerate(speeds.items()):
        layers = np.arange(1, depth + 1) + (k - 1.5) * 0.06  # a small offset per depth
        draws = np.array(row["draws"])
        ax.plot(layers, row["geometric_mean"], "o-", color=f"C{k}", label=f"{depth} hidden")
        ax.vlines(layers, draws.min(axis=0), draws.max(axis=0), color=f"C{k}", alpha=0.5)
        if row["nielsen"]:
            ax.plot(layers, row["nielsen"], "x--", color=f"C{k}", ms=8, lw=0.8)
    ax.set_yscale("log")
    ax.set(xlabel="hidden layer", ylabel="||dC/db|| at initialisation", xticks=[1, 2, 3, 4])
    ax.set_title("learning speed at initialisation: o ours (geometric mean, min-max bar),\n"
                 "x Nielsen's chapter (one initialisation)", fontsize=9)  # fmt: skip
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    _save(fig, path)


def _save(fig, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    _pyplot().close(fig)


def plot_training_speeds(gd: dict, out: Path) -> list[Path]:
    paths = []
    for depth, row in gd.items():
        s = np.array(row["speeds"])
        series = {f"hidden layer {j + 1}": s[:, j] for j in range(depth)}
        title = f"speed of learning: {depth} hidden layer{'s' * (depth > 1)}, full batch"
        paths.append(
            curves(series, out / f"training_speed_{depth}_layers.png", title=title,
                   xlabel="epoch of full-batch gradient descent", ylabel="||dC/db||", logy=True)
        )  # fmt: skip
    return paths


# --- summary -------------------------------------------------------------------------------------


def _fmt(values) -> str:
    return " / ".join(f"{v:.3g}" for v in values)


def summary(results: dict) -> str:
    acc, init, gd, b = results["accuracy"], results["init_speed"], results["full_batch"], results
    budget = b["budget"]
    lines = [
        "# Nielsen, chapter 5: deeper sigmoid networks on MNIST",
        "",
        f"{budget['epochs']} epochs, batch {BATCH}, eta {ETA}, lambda {LAMBDA}, "
        f"{budget['train_images']} training images, {budget['repeats']} run(s) per depth; "
        f"accuracies on {budget['eval_images']} images.",
        "",
        "| hidden layers | ours: test % (runs) | ours: validation %, last / best epoch | seed: "
        "validation % | ours (val, last) - seed |",
        "|---|---|---|---|---|",
    ]
    for d, r in acc.items():
        val, best = 100 * np.mean(r["validation"]), 100 * np.mean(r["validation_best"])
        runs = " / ".join(f"{100 * v:.2f}" for v in r["test"])
        lines.append(
            f"| {d} | {100 * r['test_mean']:.2f} ({runs}) | "
            f"{val:.2f} / {best:.2f} | {r['seed']:.2f} | {val - r['seed']:+.2f} |"
        )
    lines += ["", "![accuracy](accuracy.png)", "", *_accuracy_notes(acc), ""]
    lines += [
        "## Learning speed ||dC/db|| per hidden layer at initialisation",
        "",
        f"Gradient of the mean cost over the first {budget['speed_images']} training images; "
        f"ours: geometric mean over {budget['init_draws']} initialisations (and the first one). "
        "Nielsen's values are from the English original of seed 001, whose translation lost its "
        "inline numbers.",
        "",
        "| hidden layers | ours, geometric mean | ours, first init | Nielsen | first / last "
        "(ours) |",
        "|---|---|---|---|---|",
    ]
    for d, r in init.items():
        g = r["geometric_mean"]
        nielsen = _fmt(r["nielsen"]) if r["nielsen"] else "-"
        lines.append(
            f"| {d} | {_fmt(g)} | {_fmt(r['draws'][0])} | {nielsen} | {g[0] / g[-1]:.3g} |"
        )
    lines += ["", "![speed at initialisation](init_speed.png)", "", *_init_notes(init), ""]
    lines += [
        f"## Learning speed during {budget['gd_epochs']} epochs of full-batch gradient descent",
        "",
        "| hidden layers | speeds at epoch 1 | speeds at the last epoch | last / first layer, "
        "at the end |",
        "|---|---|---|---|",
    ]
    for d, r in gd.items():
        s = np.array(r["speeds"])
        lines.append(
            f"| {d} | {_fmt(s[0])} | {_fmt(s[-1])} | {r['final_ratio_last_to_first']:.3g} |"
        )
    lines += ["", *_gd_notes(gd), ""]
    lines += [f"![{d} hidden](training_speed_{d}_layers.png)" for d in gd]
    lines += ["", f"Run time: {b['seconds']['total']:.0f} s ({_times(b['seconds'])})."]
    return "\n".join(lines) + "\n"


def _times(seconds: dict) -> str:
    return ", ".join(f"{name} {s:.0f} s" for name, s in seconds.items() if name != "total")


def _first_epoch(curve: list[float], level: float) -> str:
    """The first epoch (from 1) at which `curve` reaches `level`, or "never"."""
    reached = np.flatnonzero(np.array(curve) >= level)
    return str(reached[0] + 1) if reached.size else "never"


def _accuracy_notes(acc: dict) -> list[str]:
    val = {d: 100 * np.mean(r["validation"]) for d, r in acc.items()}
    spread = np.mean([100 * np.std(r["test"]) for r in acc.values()])
    first = {
        d: 100 * np.mean([run["validation"][0] for run in r["curves"]]) for d, r in acc.items()
    }
    stuck = {d: sum(v < 0.5 for v in r["validation"]) for d, r in acc.items()}
    escape = {d: [_first_epoch(c["validation"], 0.5) for c in r["curves"]] for d, r in acc.items()}
    seed_span = max(SEED_ACCURACY.values()) - min(SEED_ACCURACY.values())
    notes = [
        f"Best depth (validation, last epoch): ours {max(val, key=val.get)} hidden layer(s), the "
        f"seed's {max(SEED_ACCURACY, key=SEED_ACCURACY.get)}. Our depths span "
        f"{max(val.values()) - min(val.values()):.2f} points; runs of one depth differ by "
        f"{spread:.2f} points (std of test accuracy, averaged over depths); the seed's four "
        f"numbers, one run each, span {seed_span:.2f} points.",
        "Deeper nets start more slowly: validation accuracy after the first epoch "
        + ", ".join(f"{first[d]:.1f}% ({d} hidden)" for d in first)
        + "; first epoch at 50% or more, per run: "
        + ", ".join(f"{' / '.join(escape[d])} ({d} hidden)" for d in escape)
        + ".",
    ]
    if any(stuck.values()):
        notes.append(
            "Runs still below 50% after the last epoch (stuck): "
            + ", ".join(
                f"{n} of {len(acc[d]['test'])} with {d} hidden" for d, n in stuck.items() if n
            )
            + "."
        )
    return notes + [
        "Why the numbers differ: the seed reports one run per depth on the *validation* set "
        "(`evaluation_data=validation_data`), without saying whether from the last or the best "
        "epoch, and its random streams (Python's `random.shuffle`, NumPy's global seed) are not "
        "ours; gaps of the size of the run-to-run spread are noise, not an effect of depth.",
    ]


def _init_notes(init: dict) -> list[str]:
    notes, inside = [], []
    for d, r in init.items():
        if r["nielsen"]:
            draws, nielsen = np.array(r["draws"]), np.array(r["nielsen"])
            ratio = np.array(r["geometric_mean"]) / nielsen
            notes.append(f"{d} hidden: ours / Nielsen's per layer = {_fmt(ratio)}.")
            inside += list((draws.min(axis=0) <= nielsen) & (nielsen <= draws.max(axis=0)))
    per_layer = lambda speeds: np.exp(np.mean(np.diff(np.log(speeds))))
    ours = np.mean(
        [per_layer(r["geometric_mean"]) for r in init.values() if len(r["draws"][0]) > 1]
    )
    theirs = np.mean([per_layer(v) for v in NIELSEN_INIT_SPEED.values()])
    draws = [np.array(r["draws"]) for r in init.values()]
    factor = np.median(np.concatenate([d.max(axis=0) / d.min(axis=0) for d in draws]))
    return notes + [
        f"Both grow from the first hidden layer to the last, by {ours:.1f}x per layer for us and "
        f"{theirs:.1f}x for Nielsen (a factor sigma'(z) <= 1/4 times weights of size about 1 "
        "per layer in the chain rule). Nielsen's numbers come from one initialisation; ours vary "
        f"by a factor of {factor:.1f} (median of max / min over {len(draws[0])} "
        f"initialisations), and {sum(inside)} of Nielsen's {len(inside)} values lie within the "
        "range of ours.",
    ]


def _gd_notes(gd: dict) -> list[str]:
    notes = []
    for d, r in gd.items():
        if d == 1:
            continue
        s = np.array(r["speeds"])
        bottom = s.argmin(axis=0) + 1
        rebound = s[-1] / s.min(axis=0)
        slowest = np.mean(s[:, 0] <= s.min(axis=1))
        notes.append(
            f"{d} hidden: slowest epoch per layer {_fmt(bottom)}, speed at the end / at the "
            f"slowest {_fmt(rebound)}; the first layer is the slowest in {100 * slowest:.0f}% of "
            f"epochs; at the end the last layer learns {r['final_ratio_last_to_first']:.3g}x "
            f"faster than the first. Cost {r['cost'][0]:.2f} -> {r['cost'][-1]:.2f}, training "
            f"accuracy {100 * r['accuracy'][-1]:.1f}% at the end."
        )
    plateau = [str(d) for d, r in gd.items() if r["accuracy"][-1] < 0.2]
    notes.append(
        "The seed: with 2 hidden layers both speeds fall quickly, bottom out, and at the end the "
        "first layer is slower than the second; with 3 and 4 the earlier layers are slower, and "
        "with 4 the first is two orders of magnitude (两个数量级) slower than the fourth."
    )
    if plateau:
        notes.append(
            f"The nets with {' and '.join(plateau)} hidden layers end near chance (training "
            "accuracy below 20%): they are still on the plateau that also holds the "
            "4-hidden-layer nets at chance through their first epoch of mini-batch training, so "
            "their speeds are still sinking and have not rebounded."
        )
    return notes


# --- main ----------------------------------------------------------------------------------------


def load(mnist: Path | None, budget: Budget) -> dict:
    data = load_mnist(mnist, split="nielsen", dtype=DTYPE)
    n, m = budget.train_images, budget.eval_images
    one_hot = lambda labels: nn.one_hot(labels, 10, dtype=DTYPE)  # targets of the sigmoid outputs
    return {
        "train": (data.train_images[:n], one_hot(data.train_labels[:n])),
        "validation": (data.validation_images[:m], one_hot(data.validation_labels[:m])),
        "test": (data.test_images[:m], one_hot(data.test_labels[:m])),
        "folder": str(data.folder),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = Parser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=output_folder, default=Path("out/nielsen_depth"))
    parser.add_argument("--quick", action="store_true", help="tiny budgets (for tests)")
    parser.add_argument("--seed", type=non_negative, default=0)
    parser.add_argument("--epochs", type=count, help="training epochs (default 30, quick 1)")
    parser.add_argument("--repeats", type=count, help="runs per depth (default 3, quick 1)")
    parser.add_argument("--mnist", type=Path, help="folder of the MNIST files")
    args = parser.parse_args(argv)
    budget = QUICK if args.quick else Budget()
    budget = replace(budget, epochs=args.epochs or budget.epochs)
    budget = replace(budget, repeats=args.repeats or budget.repeats)
    args.out.mkdir(parents=True, exist_ok=True)

    data = load(args.mnist, budget)
    x, t = (a[: budget.speed_images] for a in data["train"])
    seconds = {}
    start = time.perf_counter()
    init = init_speeds(x, t, budget, args.seed)
    seconds["initialisation"] = time.perf_counter() - start
    gd = full_batch_speeds(x, t, budget, args.seed)
    seconds["full batch"] = time.perf_counter() - start - seconds["initialisation"]
    acc = accuracy_table(data, budget, args.seed)
    seconds["training"] = time.perf_counter() - start - sum(seconds.values())
    seconds["total"] = time.perf_counter() - start
    results = {
        "budget": asdict(budget),
        "seed": args.seed,
        "mnist": data["folder"],
        "accuracy": acc,
        "init_speed": init,
        "full_batch": gd,
        "seconds": seconds,
    }
    (args.out / "results.json").write_text(json.dumps(results, indent=1))
    plot_accuracy(acc, args.out / "accuracy.png")
    plot_init_speeds(init, args.out / "init_speed.png")
    plot_training_speeds(gd, args.out)
    text = summary(results)
    (args.out / "summary.md").write_text(text)
    print(text)
    return results


if __name__ == "__main__":
    main()
