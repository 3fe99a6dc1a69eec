"""Three small claims of the seeds, checked by computation (issue 15's "other gaps").

Run:  python demos/seed_checks.py [--out out/seed_checks] [--quick] [--seed 0]
1. Nielsen's problems (seed 001, ch. 5, "the vanishing gradient problem", problems): the width of
   {a : |w sigmoid'(w a + b)| >= 1} against |w| (closed form and a fine grid), its maximum, and
   the identity neuron.
2. Dropout as an ensemble of 2^n subnetworks (seed 004, 5.7.6): all 2^4 masks of a tiny network
   against the weight-scaled network, linear and nonlinear, and what nn.Dropout does.
3. BatchNorm recovering the identity (seed 004, 5.7.3, eq. 5.89) with nn.BatchNorm1d.
Writes nielsen_problems.png, dropout_ensemble.png, batchnorm_identity.png, results.json and
summary.md into the output folder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from minigrad.cli import Parser, non_negative
from minigrad.lab import seed_checks as sc
from minigrad.lab.demo import output_folder, write_results
from minigrad.lab.plots import pyplot, save_figure

SEED_001 = "seeds/001_bbec8a0e1895d029.txt (Nielsen ch. 5, vanishing gradient section, problems)"
SEED_004_DROPOUT = "seeds/004_d8bb18cf261f0e4e.txt (Qiu, 5.7.6 Dropout)"
SEED_004_BN = "seeds/004_d8bb18cf261f0e4e.txt (Qiu, 5.7.3 batch normalisation, eq. 5.89)"


def nielsen(out: Path, quick: bool) -> dict:
    best = sc.max_interval_width(n=20_001 if quick else 160_001)
    ws = np.linspace(4.05, 20, 25 if quick else 60)
    grid = [sc.interval_width_grid(w, b=0.7, n=40_001 if quick else 200_001) for w in ws]
    gap = float(np.abs(np.array(grid) - sc.interval_width(ws)).max())
    neurons = [sc.identity_neuron(w1) for w1 in (0.5, 1.0, 2.0, 4.0)]
    plt = pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
    wline = np.linspace(4, 20, 800)
    ax1.plot(wline, sc.interval_width(wline), "-", label="closed form")
    ax1.plot(ws, grid, "o", ms=4, mfc="none", label="fine grid of a (b = 0.7)")
    ax1.plot([best["w_max"]], [best["width_max"]], "r*", ms=12)
    ax1.annotate(
        f"max {best['width_max']:.4f} at |w| = {best['w_max']:.3f}",
        (best["w_max"], best["width_max"]),
        xytext=(9, 0.2),
        arrowprops={"arrowstyle": "->"},
    )
    ax1.set(xlabel="|w|", ylabel="width of the set of a", title="|w sigmoid'(w a + b)| >= 1")
    ax1.legend(fontsize=8, loc="lower right")
    for r in neurons:
        ax2.plot(r["x"], r["x_hat"] - r["x"], label=f"w1 = {r['w1']:g}")
    ax2.set(
        xlabel="x",
        ylabel="x_hat - x",
        title="identity neuron, b = -w1/2, w2 = 4/w1",
    )
    ax2.legend(fontsize=8)
    save_figure(fig, out / "nielsen_problems.png")
    return {
        **best,
        "grid_vs_closed_form_max_abs_diff": gap,
        "identity_neuron": [
            {k: r[k] for k in ("w1", "b", "w2", "max_error", "predicted")} for r in neurons
        ],
    }


def dropout(out: Path, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    net = sc.tiny_network(rng)
    x = rng.normal(0, 1, (8, 3))
    lin = sc.dropout_ensemble(net, x, keep=0.5, linear=True)
    non = sc.dropout_ensemble(net, x, keep=0.5, linear=False)
    layer = sc.minigrad_dropout(0.5, np.random.default_rng(seed))
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for ax, r, name in zip(
        axes, (lin, non), ("linear", "tanh hidden, sigmoid output"), strict=True
    ):
        idx = np.arange(len(x))
        ax.plot(idx, r["ensemble_mean"], "o", ms=8, mfc="none", label="mean of 16 subnetworks")
        ax.plot(idx, r["weight_scaled"], "x", ms=8, label="weight-scaled network (x 0.5)")
        ax.set(
            xlabel="input example",
            ylabel="output",
            title=f"{name}: max |diff| = {r['max_abs_diff']:.2g}",
        )
        ax.legend(fontsize=8)
    save_figure(fig, out / "dropout_ensemble.png")
    return {
        "n_subnetworks": lin["n_subnetworks"],
        "linear_max_abs_diff": lin["max_abs_diff"],
        "nonlinear_max_abs_diff": non["max_abs_diff"],
        "nonlinear_geometric_max_abs_diff": non["geometric_max_abs_diff"],
        "inverted_linear_max_abs_diff": sc.inverted_dropout_ensemble(net, x, 0.5, True),
        "nn_dropout": layer,
    }


def batchnorm(out: Path, seed: int, quick: bool) -> dict:
    x = sc.batch(np.random.default_rng(seed))
    exact = sc.batchnorm_identity(x)
    no_eps = sc.batchnorm_identity(x, with_eps=False)
    learned = sc.batchnorm_learns_identity(x, steps=100 if quick else 300)
    plt = pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
    ax1.semilogy(np.maximum(learned["losses"], 1e-32))
    ax1.set(xlabel="SGD step (lr 0.5)", ylabel="mse(BN(x), x)", title="training gamma, beta")
    k = np.arange(x.shape[1])
    ax2.bar(k - 0.2, learned["gamma_target"], 0.2, label="sqrt(var_B + eps)")
    ax2.bar(k, learned["gamma"], 0.2, label="learned gamma")
    ax2.plot(k - 0.2, learned["beta_target"], "k_", ms=20, mew=2, label="mu_B")
    ax2.plot(k, learned["beta"], "r_", ms=20, mew=2, label="learned beta")
    ax2.set(xticks=k, xlabel="feature", title="learned vs eq. 5.89")
    ax2.legend(fontsize=8)
    save_figure(fig, out / "batchnorm_identity.png")
    return {
        "set_max_abs_error": exact["max_abs_error"],
        "set_without_eps_max_abs_error": no_eps["max_abs_error"],
        "eps": exact["eps"],
        "learned_gamma_error": learned["gamma_error"],
        "learned_beta_error": learned["beta_error"],
        "final_loss": float(learned["losses"][-1]),
        "steps": len(learned["losses"]),
    }


def summary(r: dict) -> str:
    n, d, b = r["nielsen"], r["dropout"], r["batchnorm"]
    neuron = "; ".join(
        f"w1 = {x['w1']:g}: {x['max_error']:.2e} (w1^2/96 = {x['predicted']:.2e})"
        for x in n["identity_neuron"]
    )
    return f"""# Seed checks

| claim | seed passage | ours |
|---|---|---|
| the set of a with \\|w sigmoid'(wa+b)\\| >= 1 is at most ~0.45 wide | {SEED_001} | \
max width {n["width_max"]:.4f} at \\|w\\| = {n["w_max"]:.3f}; fine grid vs closed form \
differ by <= {n["grid_vs_closed_form_max_abs_diff"]:.1e} |
| identity neuron: w2 sigmoid(w1 x + b) ~ x on [0, 1] for small w1 | {SEED_001} | b = -w1/2, \
w2 = 4/w1, plus 1/2 - w2/2; max error {neuron} |
| n units give 2^n subnetworks; the final net approximates their ensemble | {SEED_004_DROPOUT} \
| {d["n_subnetworks"]} subnetworks; linear: mean vs weight-scaled differ by \
{d["linear_max_abs_diff"]:.1e} (exact up to rounding); tanh/sigmoid: \
{d["nonlinear_max_abs_diff"]:.2e} (an approximation); normalised geometric mean: \
{d["nonlinear_geometric_max_abs_diff"]:.1e} |
| test time: multiply by the keep rate (seed) vs nn.Dropout's inverted scaling | \
{SEED_004_DROPOUT} | nn.Dropout(0.5) outputs {d["nn_dropout"]["train_values"]} in training, \
mean {d["nn_dropout"]["train_mean"]:.3f}, identity in eval: {d["nn_dropout"]["eval_is_identity"]}; \
inverted masks average to the unscaled linear net within {d["inverted_linear_max_abs_diff"]:.1e} |
| gamma = sqrt(var), beta = mu gives back x | {SEED_004_BN} | nn.BatchNorm1d with gamma = \
sqrt(var_B + eps): max \\|y - x\\| = {b["set_max_abs_error"]:.1e}; without eps (the seed's \
form, eps = {b["eps"]:g}): {b["set_without_eps_max_abs_error"]:.1e} |
| ... and gradient descent finds them | {SEED_004_BN} | {b["steps"]} SGD steps from 1, 0: \
\\|gamma - target\\| <= {b["learned_gamma_error"]:.1e}, \\|beta - target\\| <= \
{b["learned_beta_error"]:.1e} |

![Nielsen's problems](nielsen_problems.png)
![dropout ensemble](dropout_ensemble.png)
![BatchNorm identity](batchnorm_identity.png)
"""


def main(argv: list[str] | None = None) -> dict:
    parser = Parser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=output_folder, default=Path("out/seed_checks"))
    parser.add_argument("--quick", action="store_true", help="coarser grids (for tests)")
    parser.add_argument("--seed", type=non_negative, default=0)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    results = {
        "nielsen": nielsen(args.out, args.quick),
        "dropout": dropout(args.out, args.seed),
        "batchnorm": batchnorm(args.out, args.seed, args.quick),
    }
    return write_results(args.out, results, summary(results))


if __name__ == "__main__":
    main()
