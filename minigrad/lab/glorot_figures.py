"""The figures and table 1 of Glorot and Bengio (2010), drawn from the runs `glorot.best_runs`
picked: each function takes those runs of one data set ({(activation, init, depth): row}) and
writes one PNG laid out as the paper's figure (top and bottom panels where the paper has them)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from minigrad.lab.glorot import CURVE_EXAMPLES, PAPER_SINGULAR, PAPER_TABLE_1, majority_error
from minigrad.lab.plots import pyplot, save_figure

OUTSIDE = {"fontsize": 7, "loc": "upper left", "bbox_to_anchor": (1.01, 1.0)}  # legend placement


def runs_of(best: dict, dataset: str) -> dict:
    """{(activation, init, depth): row} of one data set, from `best_runs`' dict."""
    return {(a, i, d): row for (ds, a, i, d, *_), row in best.items() if ds == dataset}


def pick(runs: dict, activation: str, init: str, depth: int | None = None) -> dict | None:
    """The run of (activation, init) at `depth` (default: the deepest there is)."""
    found = [(d, r) for (a, i, d), r in runs.items() if (a, i) == (activation, init)]
    if depth is not None:
        found = [(d, r) for d, r in found if d == depth]
    return max(found, key=lambda f: f[0])[1] if found else None


def _label(row: dict) -> str:
    return f"{row['activation']} {row['init']}, depth {row['depth']}, lr {row['lr']:g}"


def _panels(n: int, height: float = 3.0):
    plt = pyplot()
    fig, axes = plt.subplots(n, 1, figsize=(8.5, height * n), squeeze=False)
    return fig, list(axes[:, 0])


def _missing(ax, what: str) -> None:
    ax.text(0.5, 0.5, f"no run of {what} in the results", ha="center", transform=ax.transAxes)
    ax.set_axis_off()


def mean_std_panel(ax, row: dict) -> None:
    """Figure 2's panel: per layer, the mean activation over training and a +-std bar."""
    for k, (name, s) in enumerate(row["layers"].items()):
        steps, mean, std = (np.array(s[f]) for f in ("steps", "mean", "std"))
        shift = 0.06 * k * (steps[1] - steps[0]) if len(steps) > 1 else 0  # bars side by side
        ax.errorbar(steps + shift, mean, yerr=std, color=f"C{k}", label=name, capsize=2, lw=1)
    ax.set(title=_label(row), xlabel="SGD updates (mini-batches of 10)", ylabel="activation")
    ax.legend(**OUTSIDE)


def percentile_panel(ax, row: dict) -> None:
    """Figures 3 and 10's panel: per layer, the 98th percentile (markers alone) and the
    standard deviation (line with markers) of the activations over training."""
    for k, (name, s) in enumerate(row["layers"].items()):
        ax.plot(s["steps"], s["p98"], "o", ms=3, color=f"C{k}", label=f"{name} 98th pct.")
        ax.plot(s["steps"], s["std"], "-+", color=f"C{k}", lw=1)
    ax.set(title=_label(row) + "  (markers: 98th percentile; lines: std)", ylim=(0, 1.05))
    ax.set(xlabel="SGD updates (mini-batches of 10)")
    ax.legend(**OUTSIDE)


def histogram_panel(ax, row: dict, kind: str, log: bool = False) -> None:
    """One normalised histogram per layer (figures 4, 6, 7 and 8)."""
    h = row["histograms"].get(kind)
    if h is None:
        return _missing(ax, kind)
    edges = np.array(h["edges"])
    centres = (edges[:-1] + edges[1:]) / 2
    for k, (name, counts) in enumerate(h["layers"].items()):
        counts = np.array(counts, dtype=float)
        ax.plot(centres, counts / max(counts.sum(), 1), color=f"C{k}", label=name, lw=1.2)
    if log:
        ax.set_yscale("log")
    ax.set(title=_label(row), ylabel="fraction")
    ax.legend(**OUTSIDE)


def weight_gradient_panel(ax, row: dict) -> None:
    """Figure 9's panel: per layer, the standard deviation of the weight gradient over
    training (on the probe examples)."""
    for k, (name, s) in enumerate(row["layers"].items()):
        ax.plot(s["steps"], s["weight_grad_std"], "-o", ms=2, color=f"C{k}", label=name, lw=1)
    ax.set_yscale("log")
    ax.set(title=_label(row), xlabel="SGD updates", ylabel="std of dC/dW")
    ax.legend(**OUTSIDE)


def two_panels(runs: dict, pairs: list, draw, path: Path, title: str, **kw) -> Path | None:
    """A figure with one panel per (activation, init, depth) of `pairs` that the runs have,
    drawn by `draw`, top to bottom; the title names those missing. None (no file) when the
    runs have none of them."""
    found = [(pair, pick(runs, *pair)) for pair in pairs]
    present = [(pair, row) for pair, row in found if row is not None]
    if not present:
        return None
    missing = [_name(*pair) for pair, row in found if row is None]
    fig, axes = _panels(len(present))
    for ax, (_, row) in zip(axes, present, strict=True):
        draw(ax, row, **kw)
    if missing:
        title += f"\n(not in these runs: {', '.join(missing)})"
    fig.suptitle(title, fontsize=10)
    return save_figure(fig, path)


def _name(activation: str, init: str, depth: int | None) -> str:
    return f"{activation} {init}" + (f", depth {depth}" if depth else "")


def error_curves(runs: dict, path: Path, title: str, chance: float | None = None) -> Path:
    """Figure 11 (and 12): test error during training, one curve per configuration, the
    legend ordered from the highest final error to the lowest as in the paper."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(9, 4.2))
    rows = sorted(runs.values(), key=lambda r: -(r["test_error"] or 1.0))
    for row in rows:
        c = row["curve"]
        name = f"{row['activation']}{' N' if row['init'] == 'normalized' else ''}"
        ax.plot(c["steps"], 100 * np.array(c["test"]), label=f"{name} ({row['depth']} layers)")
    if chance is not None:
        ax.axhline(100 * chance, color="grey", ls=":", label="always the most frequent class")
    ax.set(title=title, xlabel="SGD updates (mini-batches of 10)", ylabel="test error %")
    ax.legend(**OUTSIDE)
    return save_figure(fig, path)


def figure_5(surfaces: dict, path: Path) -> Path:
    """Figure 5: both costs over (w1, w2) as surfaces (cross-entropy black on top, quadratic
    red, each scaled to [0, 1]), and where each one has plateaus."""
    from minigrad.lab.cost_surface import COSTS, plateau_fraction

    plt = pyplot()
    fig = plt.figure(figsize=(11, 4.2))
    ax = fig.add_subplot(1, 2, 1, projection="3d")
    w1, w2 = np.meshgrid(surfaces["axis"], surfaces["axis"], indexing="ij")
    for kind, colour in zip(COSTS, ("k", "r"), strict=True):
        c = surfaces[kind]
        ax.plot_wireframe(
            w1,
            w2,
            (c - c.min()) / np.ptp(c),
            color=colour,
            lw=0.4,
            rstride=6,
            cstride=6,
            label=kind.replace("_", "-"),
        )
    ax.set(xlabel="w1 (layer 1)", ylabel="w2 (layer 2)", zlabel="cost (scaled)")
    ax.legend(fontsize=8)
    ax2 = fig.add_subplot(1, 2, 2)
    for kind, colour in zip(COSTS, ("k", "r"), strict=True):
        c, g = surfaces[kind], surfaces[kind + "_grad"]
        plateau = (c > np.median(c)) & (g < 0.05 * g.max())
        share = plateau_fraction(c, g)
        ax2.contourf(w1, w2, plateau, levels=[0.5, 1.5], colors=[colour], alpha=0.35)
        ax2.plot(
            [],
            [],
            "s",
            color=colour,
            alpha=0.5,
            label=f"{kind.replace('_', '-')}: plateau {100 * share:.1f}% of the grid",
        )
    ax2.set(
        xlabel="w1",
        ylabel="w2",
        title="plateaus: cost above its median, |gradient| < 5% of its max",
        aspect="equal",
    )
    ax2.legend(fontsize=8, loc="lower right")
    fig.suptitle("Figure 5: cross-entropy vs quadratic cost of a two-layer network")
    return save_figure(fig, path)


SIGMOID_4_5 = [("sigmoid", "standard", 4), ("sigmoid", "standard", 5)]
STANDARD = [("tanh", "standard", None), ("softsign", "standard", None)]
TANH_INITS = [("tanh", "standard", None), ("tanh", "normalized", None)]
# (figure, caption, panels top to bottom, panel drawer, its options): the Shapeset-3x2 figures
FIGURES = [
    (
        2,
        "sigmoid activations, mean and std per layer, depth 4 (top) and 5 (bottom)",
        SIGMOID_4_5,
        mean_std_panel,
        {},
    ),
    (
        3,
        "98th percentile and std of the activations during training, tanh (top) and softsign "
        "(bottom), standard init",
        STANDARD,
        percentile_panel,
        {},
    ),
    (
        4,
        "activation histograms at the end of training, tanh (top) and softsign (bottom)",
        STANDARD,
        histogram_panel,
        {"kind": "activations_end"},
    ),
    (
        6,
        "activation values at initialisation, tanh, standard (top) and normalized (bottom) init",
        TANH_INITS,
        histogram_panel,
        {"kind": "activations_init"},
    ),
    (
        7,
        "back-propagated gradients dC/dh at initialisation, tanh, standard (top) and normalized "
        "(bottom)",
        TANH_INITS,
        histogram_panel,
        {"kind": "gradients_init", "log": True},
    ),
    (
        8,
        "weight gradients dC/dW at initialisation, tanh, standard (top) and normalized (bottom)",
        TANH_INITS,
        histogram_panel,
        {"kind": "weight_gradients_init", "log": True},
    ),
    (
        9,
        "std of the weight gradients per layer during training, tanh, standard (top) and "
        "normalized (bottom)",
        TANH_INITS,
        weight_gradient_panel,
        {},
    ),
    (
        10,
        "98th percentile and std of the activations during training, tanh, normalized init",
        [("tanh", "normalized", None)],
        percentile_panel,
        {},
    ),
]
CURVES = [
    ("shapeset", 11, "Figure 11: test error on Shapeset-3x2 (fresh images every step)"),
    ("mnist", 12, "Figure 12 (left): test error on MNIST during training"),
]


def paper_figures(best: dict, out: Path) -> list[tuple[str, str]]:
    """Every figure of the paper the runs allow, written into `out`, as (file, caption)."""
    out, files = Path(out), []
    shapeset = runs_of(best, "shapeset")
    for number, caption, panels, draw, options in FIGURES:
        name, caption = f"figure_{number}.png", f"Figure {number}: {caption}"
        if two_panels(shapeset, panels, draw, out / name, caption, **options):
            files.append((name, caption))
    mnist = runs_of(best, "mnist")
    caption = "Figure 2 on MNIST: the 4-layer sigmoid network, mean and std per layer"
    if two_panels(mnist, SIGMOID_4_5[:1], mean_std_panel, out / "figure_2_mnist.png", caption):
        files.append(("figure_2_mnist.png", caption))
    for dataset, number, caption in CURVES:
        name = f"figure_{number}.png"
        runs = runs_of(best, dataset)
        if runs:
            error_curves(runs, out / name, caption, majority_error(dataset, CURVE_EXAMPLES))
            files.append((name, caption))
    return files


def table_1(best: dict) -> list[str]:
    """Table 1 as markdown: test error % per configuration, ours beside the paper's, the
    learning rate validation chose, and the mean Jacobian singular value at initialisation."""
    lines = [
        "| units, init, depth | Shapeset-3x2 test error %: ours / paper | MNIST: ours / paper "
        "| lr chosen (Shapeset, MNIST) | mean Jacobian singular value (paper) |",
        "|---|---|---|---|---|",
    ]
    s, m = runs_of(best, "shapeset"), runs_of(best, "mnist")
    for activation, init, depth in sorted(set(s) | set(m), key=_table_order):
        paper = PAPER_TABLE_1[(activation, init)]
        if activation == "sigmoid" and depth != 4:
            paper = ("- (table 1 has depth 4)",) * 2
        cells, rates = [], []
        for runs, reported in ((s, paper[0]), (m, paper[1])):
            row = runs.get((activation, init, depth))
            cells.append(f"{_percent(row)} / {reported}" if row else f"not run / {reported}")
            rates.append(f"{row['lr']:g}" if row else "-")
        row = s.get((activation, init, depth)) or m.get((activation, init, depth))
        singular = f"{row['jacobian']['mean']:.2f}"
        if activation != "sigmoid":
            singular += f" ({PAPER_SINGULAR[init]})"
        lines.append(
            f"| {activation} {init}, {depth} | {' | '.join(cells)} | "
            f"{', '.join(rates)} | {singular} |"
        )
    return lines


def _table_order(config: tuple) -> tuple:
    order = {"sigmoid": 0, "tanh": 1, "softsign": 2}
    return (order[config[0]], config[1] == "normalized", config[2])


def _percent(row: dict) -> str:
    error = row["test_error"]
    return "diverged" if error is None else f"{100 * error:.2f}"


def learning_rate_lines(best: dict) -> list[str]:
    """One line per configuration: the learning rates tried and their validation errors."""
    lines = []
    for (dataset, activation, init, depth, *_), row in sorted(best.items()):
        tried = ", ".join(
            f"{lr:g}: {'diverged' if e is None else f'{100 * e:.1f}%'}" for lr, e in row["tried"]
        )
        lines.append(f"- {dataset}, {activation} {init}, depth {depth}: {tried}")
    return lines
