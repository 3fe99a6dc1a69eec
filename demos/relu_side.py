"""The ReLU side of seeds 003/004: the chain product, dying ReLU, sparse activations.

Run:  python demos/relu_side.py [--out out/relu_side] [--quick] [--seed 0] [--mnist PATH]
1. The chain product (seed 003, "ReLU"; seed 004, 5.5.3): each layer multiplies the
   back-propagated gradient by w f'(z); sigmoid' <= 1/4, relu' is 0 or 1. Per-layer gradient
   norms of a deep sigmoid and a deep ReLU net, both He-initialised, at initialisation.
2. Dying ReLU (seed 004, 5.1.2; seed 003): the fraction of hidden units that output 0 on every
   example of the training set after SGD, over a sweep of learning rates (MNIST subset, or
   synthetic blobs with --quick or without MNIST); then the same training with leaky ReLU
   (slope 0.01) and PReLU (a learned slope per unit) at the large learning rates: the fraction
   of units with zero gradient on every example, and of units that output <= 0 on every
   example (which a ReLU unit could not survive).
3. Sparse activations (seed 004, 5.1.2): the fraction of exact zeros per layer at
   initialisation (ReLU vs sigmoid and softplus) and over training.
Writes relu_chain.png, relu_dying.png, relu_sparsity.png, results.json and summary.md into the
output folder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from minigrad.data import MnistError, load_mnist
from minigrad.data.synthetic import blobs
from minigrad.lab import relu_side as rs
from minigrad.lab.demo import demo_parser, write_results
from minigrad.lab.plots import pyplot, save_figure

SEED_003 = "seeds/003_2c8a8dd9677738a6.txt (ReLU section)"
SEED_004 = "seeds/004_d8bb18cf261f0e4e.txt (Qiu)"


def chain(out: Path, seed: int, quick: bool) -> dict:
    depth, width = (10, 64) if quick else (20, 256)
    r = rs.chain_comparison(depth, width, np.random.default_rng(seed))
    z = np.linspace(-6, 6, 2001)[None]
    plt = pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    for act, style in (("sigmoid", "o-"), ("relu", "s-")):
        layers = np.arange(1, depth + 1)
        ax1.semilogy(layers, r[act]["delta_rms"][:-1], style, ms=4, label=f"{act}, He init")
        ax2.plot(layers[:-1], r[act]["factor"], style, ms=4, label=f"{act}")
    ax1.set(
        xlabel="hidden layer (1 = nearest the input)",
        ylabel="RMS of dL/dz",
        title=f"back-propagated gradient, depth {depth}, width {width}",
    )
    ax2.axhline(0.25, color="k", ls="--", lw=1, label="max sigmoid' = 1/4")
    ax2.axhline(1.0, color="gray", ls=":", lw=1)
    ax2.set(
        xlabel="hidden layer l",
        ylabel="RMS dL/dz_l / RMS dL/dz_(l+1)",
        title="per-layer factor of the chain product",
        ylim=(0, 1.3),
    )
    for ax in (ax1, ax2):
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(fontsize=8)
    save_figure(fig, out / "relu_chain.png")
    derivs = {a: rs.local_derivatives(a, z) for a in ("sigmoid", "relu")}
    return {
        "depth": depth,
        "width": width,
        "sigmoid_derivative_max": float(derivs["sigmoid"].max()),
        "relu_derivative_values": sorted(set(derivs["relu"].ravel().tolist())),
        **{f"{a}_mean_factor": r[a]["mean_factor"] for a in r},
        **{f"{a}_first_over_last": r[a]["first_over_last"] for a in r},
        **{f"{a}_delta_rms": r[a]["delta_rms"].tolist() for a in r},
    }


def dataset(mnist: Path | None, quick: bool, seed: int) -> tuple[str, np.ndarray, np.ndarray]:
    """An MNIST training subset, or synthetic blobs with --quick or when MNIST is absent."""
    if not quick:
        try:
            d = load_mnist(mnist, download=False)
            return (
                "MNIST, first 5,000 training images",
                d.train_images[:5000],
                d.train_labels[:5000],
            )
        except (MnistError, OSError) as err:
            print(f"MNIST not found ({err}); using synthetic blobs")
    x, y = blobs(600, np.random.default_rng(seed), centers=4, dim=20, spread=3.0)
    return "synthetic blobs (600 points, 20-d, 4 classes)", x, y


def dying(out: Path, seed: int, quick: bool, mnist: Path | None) -> dict:
    name, x, y = dataset(mnist, quick, seed)
    widths = (x.shape[1], 64, 64, 4) if x.shape[1] == 20 else (x.shape[1], 100, 100, 10)
    lrs = [0.01, 0.1, 0.45, 3.0] if quick else [0.01, 0.03, 0.1, 0.3, 0.5, 0.7, 1.0, 3.0]
    seeds = [seed, seed + 1] if quick else [seed, seed + 1, seed + 2]
    steps = 150 if quick else 1000
    r = rs.dying_sweep(lrs, (x.astype(np.float64), y), widths, steps, seeds)
    large = [0.1, 0.45, 3.0] if quick else [0.3, 0.5, 0.7, 1.0, 3.0]
    kept = {"relu": _compared(r, large)}
    for act in ("leaky_relu", "prelu"):
        other = rs.dying_sweep(large, (x.astype(np.float64), y), widths, steps, seeds, act)
        kept[act] = _compared(other, large)
    runs = {lr: r["runs"][lr][0] for lr in lrs}  # the first seed's
    result = {
        "data": name,
        "widths": list(widths),
        "steps": steps,
        "seeds": seeds,
        "lrs": lrs,
        "dead": _json(r["dead"]),
        "dead_mean": _json(r["dead_mean"]),
        "diverged": r["diverged"].tolist(),
        "dead_layers": {lr: runs[lr]["dead_layers"][-1].tolist() for lr in lrs},
        "final_loss": {lr: float(np.mean(runs[lr]["loss"][-50:])) for lr in lrs},
        "kept_gradient": {"lrs": large, **kept},
        "training": {
            "lr": 0.1,
            "steps": runs[0.1]["steps"],
            "sparsity": runs[0.1]["sparsity"].tolist(),
        },
    }
    during = {lr: (runs[lr]["steps"], runs[lr]["dead"]) for lr in lrs}
    plot_dying(out / "relu_dying.png", result, during)
    return {**result, "probe": x.astype(np.float64)[:500]}


def _compared(r: dict, lrs: list[float]) -> dict:
    """The no-gradient and nonpositive fractions (per seed and mean) at `lrs` of a sweep."""
    rows = [r["lrs"].index(lr) for lr in lrs]
    out = {key: _json(r[key][rows]) for key in ("no_gradient", "nonpositive", "diverged")}
    out |= {f"{k}_mean": _json(r[f"{k}_mean"][rows]) for k in ("no_gradient", "nonpositive")}
    return out


def _json(a: np.ndarray) -> list:
    """A float array as a list with None for NaN (a diverged run), valid JSON."""
    return a.tolist() if a.dtype == bool else np.where(np.isnan(a), None, a).tolist()


def plot_dying(path: Path, r: dict, during: dict) -> None:
    plt = pyplot()
    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(17, 4))
    for k, lr in enumerate(r["lrs"]):
        d = np.array(r["dead"][k], dtype=float)  # None (diverged) -> NaN
        ax1.plot([lr] * len(d), d, "o", mfc="none", color="gray", label="seeds" if k == 0 else None)
        if np.isnan(d).any():
            ax1.plot([lr], [1.0], "rx", label="a run diverged (NaN)")
        ax2.plot(*during[lr], "-", label=f"lr {lr:g}")
    ax1.semilogx(
        r["lrs"],
        np.array(r["dead_mean"], dtype=float),
        "k-",
        label=f"mean of {len(r['seeds'])} seeds",
    )
    ax1.set(xlabel="learning rate (SGD)", title=f"after {r['steps']} steps; {r['data']}")
    ax2.set(xlabel="SGD step", title=f"during training (seed {r['seeds'][0]}), net "
            f"{'-'.join(map(str, r['widths']))}")  # fmt: skip
    for ax in (ax1, ax2):
        ax.set(ylabel="fraction of dead hidden units", ylim=(-0.03, 1.05))
    ax1.legend(fontsize=8)
    ax2.legend(fontsize=8, loc=(0.8, 0.08))
    plot_kept(ax3, r["kept_gradient"], len(r["seeds"]))
    save_figure(fig, path)


def plot_kept(ax, kept: dict, n_seeds: int) -> None:
    """Per activation, the mean fraction of units with no gradient (solid) and of units that
    output <= 0 on every example (dashed) against the learning rate; x: every seed diverged."""
    lrs = np.array(kept["lrs"])
    marks = (("relu", "k", 1.0), ("leaky_relu", "tab:blue", 0.97), ("prelu", "tab:orange", 0.94))
    for act, color, top in marks:  # top: the height of the "diverged" crosses
        k = kept[act]
        no_grad = np.array(k["no_gradient_mean"], dtype=float)
        ax.semilogx(lrs, no_grad, "o-", color=color, label=f"{act}: no gradient on any example")
        if act != "relu":  # for relu the two fractions are the same units
            ax.semilogx(
                lrs,
                np.array(k["nonpositive_mean"], dtype=float),
                "s--",
                color=color,
                mfc="none",
                label=f"{act}: output <= 0 on every example",
            )
        gone = np.isnan(no_grad)
        ax.plot(
            lrs[gone],
            [top] * gone.sum(),
            "x",
            color=color,
            ms=9,
            label=f"{act}: all {n_seeds} seeds diverged" if gone.any() else None,
        )
    ax.set(
        xlabel="learning rate (SGD)",
        ylabel="fraction of hidden units",
        ylim=(-0.03, 1.45),  # room for the legend above the data
        yticks=np.linspace(0, 1, 6),
        title=f"same training, mean of {n_seeds} seeds (non-diverged runs)",
    )
    ax.set_xticks(lrs, [f"{lr:g}" for lr in lrs])
    ax.minorticks_off()
    ax.legend(fontsize=7, loc="upper center", ncol=2)


def sparse(out: Path, seed: int, quick: bool, dying_result: dict) -> dict:
    x = dying_result.pop("probe")
    widths = [x.shape[1]] + [64 if quick else 256] * 5 + [10]
    init = rs.sparsity_at_init(widths, x, np.random.default_rng(seed))
    gauss = np.random.default_rng(seed).normal(0, 1, x.shape)
    init_gauss = rs.sparsity_at_init(widths, gauss, np.random.default_rng(seed))
    train = dying_result["training"]
    plt = pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    layers = np.arange(1, len(widths) - 1)
    ax1.bar(layers - 0.15, init["relu"], 0.3, label="relu, the data's inputs")
    ax1.bar(layers + 0.15, init_gauss["relu"], 0.3, label="relu, N(0, 1) inputs")
    other = max(max(init["sigmoid"]), max(init["softplus"]))
    ax1.text(0.5, 0.9, f"sigmoid, softplus: {other:.2f} in every layer", fontsize=9)
    ax1.axhline(0.5, color="k", ls="--", lw=1)
    ax1.set(
        xlabel="hidden layer",
        ylabel="fraction of activations exactly 0",
        ylim=(0, 1),
        title="at initialisation (He for relu, Xavier otherwise)",
    )
    for k, col in enumerate(np.array(train["sparsity"]).T):
        ax2.plot(train["steps"], col, "-", label=f"hidden layer {k + 1}")
    ax2.axhline(0.5, color="k", ls="--", lw=1)
    ax2.set(
        xlabel="SGD step",
        ylabel="fraction of activations exactly 0",
        ylim=(0, 1),
        title=f"relu net during training, lr {train['lr']:g}",
    )
    ax1.legend(fontsize=8)
    ax2.legend(fontsize=8)
    save_figure(fig, out / "relu_sparsity.png")
    return {
        "widths": widths,
        "at_init": {a: v.tolist() for a, v in init.items()},
        "at_init_gaussian_inputs": {a: v.tolist() for a, v in init_gauss.items()},
        "training_lr": train["lr"],
        "training_first": train["sparsity"][0],
        "training_last": train["sparsity"][-1],
    }


def summary(r: dict) -> str:
    c, d, s = r["chain"], r["dying"], r["sparsity"]
    dead = ", ".join(
        f"lr {lr:g}: "
        + ("n/a" if m is None else f"{m:.2f}")
        + (f" ({int(sum(v))} diverged)" if any(v) else "")
        for lr, m, v in zip(d["lrs"], d["dead_mean"], d["diverged"], strict=True)
    )
    kept = d["kept_gradient"]
    kept_text = "; ".join(
        f"lr {lr:g}: "
        + ", ".join(
            f"{act} {_frac(kept[act]['no_gradient_mean'][i])} no gradient"
            + ("" if act == "relu" else f" / {_frac(kept[act]['nonpositive_mean'][i])} <= 0")
            + (
                f" ({sum(kept[act]['diverged'][i])} diverged)"
                if any(kept[act]["diverged"][i])
                else ""
            )
            for act in ("relu", "leaky_relu", "prelu")
        )
        for i, lr in enumerate(kept["lrs"])
    )
    relu0 = ", ".join(f"{v:.2f}" for v in s["at_init"]["relu"])
    gauss0 = ", ".join(f"{v:.2f}" for v in s["at_init_gaussian_inputs"]["relu"])
    last = ", ".join(f"{v:.2f}" for v in s["training_last"])
    return f"""# The ReLU side of seeds 003/004

| claim | seed passage | ours |
|---|---|---|
| sigmoid' <= 1/4, relu' is 0 or 1 | {SEED_003}; {SEED_004}, eq. 5.81 | computed by \
backward: max sigmoid' = {c["sigmoid_derivative_max"]:.6f}; relu' takes the values \
{c["relu_derivative_values"]} |
| with sigmoid the gradient shrinks layer after layer; with ReLU it stays about constant | \
{SEED_003}; {SEED_004}, 5.5.3 | depth {c["depth"]}, width {c["width"]}, He init: per-layer factor \
(geometric mean) sigmoid {c["sigmoid_mean_factor"]:.3f}, relu {c["relu_mean_factor"]:.3f}; \
RMS dL/dz layer 1 / layer {c["depth"]}: sigmoid {c["sigmoid_first_over_last"]:.2e}, relu \
{c["relu_first_over_last"]:.2f} |
| with too large a learning rate ReLU units die (0 on all training data, gradient 0 forever) | \
{SEED_004}, 5.1.2; {SEED_003} | {d["data"]}, net {"-".join(map(str, d["widths"]))}, \
{d["steps"]} SGD steps, seeds {d["seeds"]}: dead fraction {dead} |
| PReLU (and leaky ReLU) keep a gradient where ReLU units die | {SEED_004}, eqs. 5.18-5.21; \
{SEED_003} | same nets and training; mean fraction of units whose derivative is 0 on every \
example / that output <= 0 on every example (mean over the runs that did not diverge): \
{kept_text} |
| ReLU activations are sparse (about half the units at 0 at random init); sigmoid and \
softplus are not | {SEED_004}, 5.1.2 | fraction of exact zeros per layer at init: relu {relu0} \
(N(0, 1) inputs: {gauss0}); sigmoid and softplus \
{max(max(s["at_init"]["sigmoid"]), max(s["at_init"]["softplus"])):.0f}; after training at lr \
{s["training_lr"]:g}: {last} |

![chain product](relu_chain.png)
![dying ReLU](relu_dying.png)
![sparsity](relu_sparsity.png)
"""


def _frac(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.2f}"


def main(argv: list[str] | None = None) -> dict:
    parser = demo_parser("relu_side", __doc__.splitlines()[0])
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    dying_result = dying(args.out, args.seed, args.quick, args.mnist)
    results = {
        "chain": chain(args.out, args.seed, args.quick),
        "dying": dying_result,
        "sparsity": sparse(args.out, args.seed, args.quick, dying_result),
    }
    return write_results(args.out, results, summary(results))


if __name__ == "__main__":
    main()
