"""Numerical differentiation and its step size: the truncation / round-off V (seed 004, 5.4.1).

Run:  python demos/numerical_diff.py [--out out/numerical_diff] [--quick]
For a few smooth functions it measures the error of forward differences (f(x+h) - f(x)) / h
and central differences (f(x+h) - f(x-h)) / 2h against the exact derivative (from forward
mode) for h from 1e-1 to 1e-12. Large h: truncation error, O(h) and O(h^2); small h: round-off,
about 1e-16 / h. Writes eps_sweep.png, eps_sweep.json and summary.md into the output folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

import minigrad as mg
from minigrad.cli import Parser
from minigrad.lab.demo import output_folder
from minigrad.numerical import eps_sweep

FUNCTIONS = {
    "sin(x) at x = 1": (mg.sin, np.sin, 1.0),
    "exp(x) at x = 1": (mg.exp, np.exp, 1.0),
    "sigmoid(x) at x = 0.5": (mg.sigmoid, lambda x: 1 / (1 + np.exp(-x)), 0.5),
    "x^3 at x = 2": (lambda x: x**3, lambda x: x**3, 2.0),
}


def sweep_all(points: int) -> dict:
    """The sweep for every function: eps, both errors, and the best eps of each method."""
    eps = np.logspace(-1, -12, points)
    results = {}
    for name, (mg_f, np_f, x0) in tqdm(FUNCTIONS.items(), desc="eps sweep"):
        x = np.array([x0])
        exact = mg.jvp(mg_f, (x,), (np.ones(1),))[1].data
        sweep = eps_sweep(np_f, x, exact, eps)
        results[name] = {
            "eps": sweep.eps.tolist(),
            "forward_error": sweep.forward_error.tolist(),
            "central_error": sweep.central_error.tolist(),
            "best_eps_central": sweep.best_eps,
            "best_eps_forward": sweep.best_forward_eps,
        }
    return results


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(4 * len(results), 3.6), sharey=True)
    for ax, (name, r) in zip(np.atleast_1d(axes), results.items(), strict=True):
        ax.loglog(r["eps"], r["forward_error"], "o-", ms=3, label="forward difference")
        ax.loglog(r["eps"], r["central_error"], "s-", ms=3, label="central difference")
        ax.axvline(r["best_eps_central"], color="C1", ls=":", lw=1)
        ax.set_title(name)
        ax.set_xlabel("step h")
        ax.invert_xaxis()
        ax.grid(True, which="major", alpha=0.3)
    np.atleast_1d(axes)[0].set_ylabel("relative error of the derivative")
    np.atleast_1d(axes)[0].legend(loc="upper center", fontsize=8)
    fig.suptitle("Truncation (left) and round-off (right): the V of finite differences")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def summary(results: dict) -> str:
    lines = [
        "# Numerical differentiation: error vs step size",
        "",
        "| function | best h, central | error there | best h, forward | error there |",
        "|---|---|---|---|---|",
    ]
    for name, r in results.items():
        c = int(np.argmin(r["central_error"]))
        f = int(np.argmin(r["forward_error"]))
        lines.append(
            f"| {name} | {r['eps'][c]:.1e} | {r['central_error'][c]:.1e} | "
            f"{r['eps'][f]:.1e} | {r['forward_error'][f]:.1e} |"
        )
    best = lambda key: float(np.exp(np.mean([np.log(r[key]) for r in results.values()])))
    lines += [
        "",
        f"Central differences are best near h = {best('best_eps_central'):.0e}, forward "
        f"differences near h = {best('best_eps_forward'):.0e} (geometric means over the "
        "functions). minigrad's gradcheck uses central differences with "
        "h = 1e-6 * max(1, |x|).",
        "",
        "![eps sweep](eps_sweep.png)",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict:
    parser = Parser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=output_folder, default=Path("out/numerical_diff"))
    parser.add_argument("--quick", action="store_true", help="fewer step sizes (for tests)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    results = sweep_all(12 if args.quick else 45)
    (args.out / "eps_sweep.json").write_text(json.dumps(results, indent=1))
    plot(results, args.out / "eps_sweep.png")
    (args.out / "summary.md").write_text(summary(results))
    print(summary(results))
    return results


if __name__ == "__main__":
    main()
