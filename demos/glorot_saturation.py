"""Glorot and Bengio (2010): saturation, gradients and initialisation, as the paper ran it.

Run:  python demos/glorot_saturation.py [--out out/glorot_saturation] [--quick]
          [--budget 20000] [--mnist-budget N] [--width 1000] [--datasets shapeset mnist]
          [--n-jobs 2] [--backend loky|dask] [--scheduler ADDRESS] [--results FILE] [--no-train]
1,000 units per hidden layer, 5 hidden layers (4 and 5 for the sigmoid), biases 0, softmax
output, SGD on mini-batches of 10; Shapeset-3x2 as an online stream (fresh images every step) and
MNIST (50k/10k/10k). Every configuration of table 1 is trained at each learning rate of a small
grid through `minigrad.lab.sweep` (joblib, or a Dask cluster); validation error picks one.
Statistics and histograms come from 300 fixed test examples. Writes figures 2-12,
summary.md (table 1 beside the paper's, the learning rates tried, the cost of the paper's budget)
into the output folder; the runs stream to --results, so a stopped run resumes and a finished
one only redraws.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from minigrad.cli import Parser, count, jobs, non_negative
from minigrad.lab import cost_surface, glorot, glorot_figures, sweep
from minigrad.lab.demo import output_folder

QUICK = {"width": 16, "budget": 40, "record_every": 20}


def grids(args) -> list[dict]:
    """One sweep grid per (data set, activation family): the configurations of table 1 times
    the learning rates of that activation. Options left at `glorot.train`'s defaults stay out
    of the grid, so results files from the command line and from this demo are the same."""
    out = []
    for dataset in args.datasets:
        for activation in ("sigmoid", "tanh", "softsign"):
            configs = [c for c in glorot.CONFIGS if c[0] == activation]
            if dataset == "mnist":
                configs = [c for c in configs if c[0] != "sigmoid" or c[2] == 4]
            grid = {
                "dataset": [dataset],
                "activation": [activation],
                "init": sorted({c[1] for c in configs}),
                "depth": sorted({c[2] for c in configs}),
                "lr": glorot.LEARNING_RATES[activation],
                "steps": [budget(args, dataset)],
            }
            extra = {"width": args.width, "record_every": args.record_every, "small": args.quick}
            grid |= {k: [v] for k, v in extra.items() if v != glorot.DEFAULTS[k]}
            out.append(grid)
    return out


def budget(args, dataset: str) -> int:
    """Updates per run on `dataset`."""
    return args.mnist_budget if dataset == "mnist" and args.mnist_budget else args.budget


def cluster_command(dataset: str, activation: str, updates: int) -> str:
    """The `minigrad sweep` command of one grid at `updates` per run, for a Dask cluster."""
    inits = "standard" if activation == "sigmoid" else "standard,normalized"
    depth = (
        "4,5"
        if activation == "sigmoid" and dataset == "shapeset"
        else ("4" if activation == "sigmoid" else "5")
    )
    rates = ",".join(f"{r:g}" for r in glorot.LEARNING_RATES[activation])
    return (
        f"minigrad sweep minigrad.lab.glorot:train --grid dataset={dataset} "
        f"activation={activation} init={inits} depth={depth} lr={rates} steps={updates} "
        "--backend dask --scheduler tcp://SCHEDULER:8786 --out glorot_paper.jsonl"
    )


def _percent(fraction: float | None) -> str:
    return "unknown (no MNIST files here)" if fraction is None else f"{100 * fraction:.2f}%"


def summary(best: dict, args, figures: list, rows: list[dict], plateaus: dict) -> str:
    seconds = sorted(r["seconds_per_step"] for r in rows if r.get("seconds_per_step"))
    per_step = seconds[len(seconds) // 2] if seconds else float("nan")
    runs = len(rows)
    hours = runs * glorot.PAPER_UPDATES * per_step / 3600
    lines = [
        "# Glorot and Bengio (2010): saturation, gradients and initialisation",
        "",
        f"Budget: **{args.budget:,} updates** of mini-batches of 10 per run on Shapeset-3x2, "
        f"**{budget(args, 'mnist'):,}** on MNIST (the paper chose its "
        f"learning rates after {glorot.PAPER_UPDATES:,}), {args.width} units per hidden layer, "
        f"{runs} runs (every configuration at each learning rate of its grid), "
        f"{per_step * 1e3:.1f} ms per update (median over the runs, one core each).",
        "",
        *glorot_figures.table_1(best),
        "",
        "Chance (always the most frequent class of the test set): "
        + ", ".join(
            f"{d} {_percent(glorot.majority_error(d))}"
            for d in args.datasets
            if any(r["dataset"] == d for r in rows)
        )
        + ".",
        "",
        "Learning rates tried (final validation error; the lowest is kept):",
        "",
        *glorot_figures.learning_rate_lines(best),
        "",
        "Figure 5: over the grid of (w1, w2), plateaus (cost above its median, gradient below "
        f"5% of its largest) cover {100 * plateaus['quadratic']:.1f}% of the quadratic cost's "
        f"surface and {100 * plateaus['cross_entropy']:.1f}% of the cross-entropy's.",
        "",
        f"The paper's budget: {runs} runs x {glorot.PAPER_UPDATES:,} updates x "
        f"{per_step * 1e3:.1f} ms = about **{hours:,.0f} core-hours** at this width; on a Dask "
        "cluster (`pip install -e '.[sweep]'`, `dask scheduler` and `dask worker` processes with "
        "`OMP_NUM_THREADS=1`), one command per grid:",
        "",
        "```",
        *[
            cluster_command(g["dataset"][0], g["activation"][0], glorot.PAPER_UPDATES)
            for g in grids(args)
        ],
        "```",
        "",
        "then `python demos/glorot_saturation.py --no-train --results glorot_paper.jsonl "
        f"--budget {glorot.PAPER_UPDATES}` draws the figures from those results.",
        "",
        *[f"![{caption}]({name})" for name, caption in figures],
    ]
    return "\n".join(lines) + "\n"


def parse(argv: list[str] | None):
    parser = Parser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=output_folder, default=Path("out/glorot_saturation"))
    parser.add_argument("--quick", action="store_true", help="tiny networks (tests)")
    parser.add_argument("--budget", type=count, default=20_000, help="SGD updates per run")
    parser.add_argument(
        "--mnist-budget", type=count, help="SGD updates per MNIST run (default: --budget)"
    )
    parser.add_argument("--width", type=count, default=1000, help="units per hidden layer")
    parser.add_argument("--record-every", type=count, default=500)
    parser.add_argument(
        "--datasets", nargs="+", choices=glorot.DATASETS, default=list(glorot.DATASETS)
    )
    parser.add_argument("--seed", type=non_negative, default=0)
    parser.add_argument("--n-jobs", type=jobs, default=1, help="local processes (-1: all cores)")
    parser.add_argument("--backend", choices=sweep.BACKENDS, default="loky")
    parser.add_argument("--scheduler", metavar="ADDRESS", help="a Dask scheduler (tcp://...)")
    parser.add_argument(
        "--results", type=Path, help="the runs' JSON-lines file (default: OUT/runs.jsonl)"
    )
    parser.add_argument(
        "--no-train",
        action="store_true",
        help="only draw the runs of --results at --budget (e.g. a cluster's), train nothing",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.width, args.budget, args.record_every = (QUICK[k] for k in QUICK)
        args.mnist_budget = None
    args.results = args.results or args.out / "runs.jsonl"
    if args.no_train and not args.results.is_file():
        parser.error(f"--no-train: there is no results file {args.results}; give it with --results")
    return args


def runs(args) -> list[dict]:
    """Every run of the grids, trained (or resumed) through the sweep, or with --no-train
    those of the results file at this budget."""
    if args.no_train:
        rows = sweep.table(args.results)
        return [
            r
            for r in rows
            if r["dataset"] in args.datasets and r["steps"] == budget(args, r["dataset"])
        ]
    rows = []
    for grid in grids(args):
        rows += sweep.sweep(
            glorot.train,
            grid,
            seeds=[args.seed],
            path=args.results,
            n_jobs=args.n_jobs,
            backend=args.backend,
            scheduler=args.scheduler,
        )
    return rows


def numbers_of(best: dict, plateaus: dict) -> dict:
    numbers = {
        " ".join(str(v) for v in config[:4]): {
            "lr": row["lr"],
            "validation_error": row["validation_error"],
            "test_error": row["test_error"],
            "tried": row["tried"],
            "mean_jacobian_singular_value": row["jacobian"]["mean"],
        }
        for config, row in best.items()
    }
    return numbers | {"figure 5 plateau fraction": plateaus}


def main(argv: list[str] | None = None) -> dict:
    args = parse(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    rows = runs(args)
    best = glorot.best_runs(rows)
    surfaces = cost_surface.surfaces(*cost_surface.two_class_data(200, np.random.default_rng(0)))
    glorot_figures.figure_5(surfaces, args.out / "figure_5.png")
    plateaus = {
        k: cost_surface.plateau_fraction(surfaces[k], surfaces[k + "_grad"])
        for k in cost_surface.COSTS
    }
    figures = [("figure_5.png", "Figure 5: cross-entropy and quadratic cost over two weights")]
    figures += glorot_figures.paper_figures(best, args.out)
    text = summary(best, args, figures, rows, plateaus)
    (args.out / "summary.md").write_text(text)
    numbers = numbers_of(best, plateaus)
    (args.out / "results.json").write_text(json.dumps(numbers, indent=1))
    print(text.split("\n\n![")[0])
    return numbers


if __name__ == "__main__":
    main()
