"""Nielsen's chain of one sigmoid neuron per layer: why gradients vanish or explode (seed 001).

Run:  python demos/vanishing_chain.py [--out out/vanishing_chain] [--quick] [--seed 0]
      [--layers 4]
a_0 = x, z_j = w_j a_(j-1) + b_j, a_j = sigmoid(z_j) for j = 1..L, cost C = (a_L - y)^2 / 2.
Backprop gives dC/db_j = sigmoid'(z_j) w_(j+1) sigmoid'(z_(j+1)) ... w_L sigmoid'(z_L) dC/da_L:
minigrad computes it by backward() and the demo checks it against that explicit product, in two
regimes: (a) standard weights and biases N(0, 1) over many random draws: each factor
|w sigmoid'(z)| is usually below 1/4, so the gradient vanishes towards the first layer;
(b) w = 100 with biases chosen so that every z_j = 0, sigmoid'(z) = 1/4: each factor is 25 and
the gradient explodes. Writes per_layer_gradients.png, gradient_histograms.png, factors.png,
results.json and summary.md into the output folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

import minigrad as mg
from minigrad.cli import Parser, count, non_negative
from minigrad.lab import plots
from minigrad.lab.demo import output_folder
from minigrad.lab.plots import pyplot as _pyplot

TARGET = 0.0  # y: the cost is (a_L - y)^2 / 2, so dC/da_L = a_L - y


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function in NumPy, accurate for both signs: exp(-log(1 + exp(-z)))."""
    return np.exp(-np.logaddexp(0.0, -z))


def sigmoid_prime(z: np.ndarray) -> np.ndarray:
    """sigmoid(z) sigmoid(-z): no cancellation in 1 - sigmoid(z) for large z."""
    return sigmoid(z) * sigmoid(-z)


def numpy_chain(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> dict:
    """The forward pass again, independently, in NumPy: every z_j and the output a_L."""
    a, zs = x, []
    for w_j, b_j in zip(w, b, strict=True):
        zs.append(w_j * a + b_j)
        a = sigmoid(zs[-1])
    return {"z": np.stack(zs), "dC_da": a - TARGET}


def backprop(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> dict:
    """Run the chain in minigrad for a batch of independent chains (w, b of shape (L, D), one
    column per chain; x of shape (D,)) and backward() the summed cost: since the chains share
    nothing, each column of the bias gradients is that chain's dC/db_j."""
    a = mg.tensor(x, dtype=np.float64)
    biases, acts = [], []
    for j in range(w.shape[0]):
        b_j = mg.tensor(b[j], dtype=np.float64, requires_grad=True, name=f"b{j + 1}")
        a = mg.sigmoid(w[j] * a + b_j)
        biases.append(b_j)
        acts.append(a.numpy())
    cost = ((a - TARGET) ** 2 / 2).sum()
    cost.backward()
    return {"grad_b": np.stack([b_j.grad.numpy() for b_j in biases]), "a": np.stack(acts)}


def check_product(x: np.ndarray, w: np.ndarray, b: np.ndarray, grad_b, a) -> dict:
    """minigrad's dC/db_j against the explicit product, with sigmoid'(z_j) taken (1) from
    minigrad's own forward pass, a_j (1 - a_j): this checks the chain rule alone; (2) from an
    independent NumPy forward pass, sigmoid(z) sigmoid(-z): this adds the rounding of
    minigrad's sigmoid."""
    own = explicit_product(w, a * (1 - a), a[-1] - TARGET)
    ref = numpy_chain(x, w, b)
    exact = explicit_product(w, sigmoid_prime(ref["z"]), ref["dC_da"])
    return {
        "own_activations": relative_error(grad_b, own),
        "independent": relative_error(grad_b, exact),
        "factors": np.abs(w[1:] * sigmoid_prime(ref["z"][1:])),
        "max_abs_z": float(np.abs(ref["z"]).max()),
    }


def explicit_product(w: np.ndarray, sp: np.ndarray, dc_da: np.ndarray) -> np.ndarray:
    """dC/db_j = sigmoid'(z_j) * prod_(i > j) (w_i sigmoid'(z_i)) * dC/da_L, written out, from
    sp[j] = sigmoid'(z_j) (NumPy)."""
    factors = w * sp  # row i: w_i sigmoid'(z_i); row 0 (w_1) is never used
    return np.stack([sp[j] * np.prod(factors[j + 1 :], axis=0) * dc_da for j in range(len(w))])


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def standard_regime(rng: np.random.Generator, layers: int, draws: int, batches: int) -> dict:
    """(a) Weights, biases and the input drawn from N(0, 1), `draws` chains in `batches`."""
    grads, checks = [], []
    for _ in tqdm(range(batches), desc="standard N(0, 1) chains"):
        size = draws // batches
        x = rng.standard_normal(size)
        w, b = rng.standard_normal((layers, size)), rng.standard_normal((layers, size))
        r = backprop(x, w, b)
        checks.append(check_product(x, w, b, r["grad_b"], r["a"]))
        grads.append(np.abs(r["grad_b"]))
    return {
        "abs_grad": np.concatenate(grads, axis=1),
        "factors": np.concatenate([c["factors"] for c in checks], axis=1),
        "error_own_activations": max(c["own_activations"] for c in checks),
        "error_independent": max(c["independent"] for c in checks),
        "max_abs_z": max(c["max_abs_z"] for c in checks),
    }


def exploding_regime(rng: np.random.Generator, layers: int, n: int, weight: float) -> dict:
    """(b) Every w_j = `weight`, and b_j = -w_j a_(j-1) so that z_j = 0 and sigmoid'(z_j) = 1/4,
    for `n` random inputs (the biases of layer 1 depend on the input, the others do not)."""
    x = rng.standard_normal(n)
    w = np.full((layers, n), weight)
    b = np.empty((layers, n))
    a = x
    for j in range(layers):  # choose b_j from the activation that reaches layer j
        b[j] = -w[j] * a
        a = 1 / (1 + np.exp(-(w[j] * a + b[j])))
    r = backprop(x, w, b)
    c = check_product(x, w, b, r["grad_b"], r["a"])
    return {
        "abs_grad": np.abs(r["grad_b"]),
        "factors": c["factors"],
        "error_own_activations": c["own_activations"],
        "error_independent": c["independent"],
        "max_abs_z": c["max_abs_z"],
    }


def describe(regime: dict) -> dict:
    """Per-layer statistics of |dC/db_j| and of the factors |w_j sigmoid'(z_j)|."""
    g, f = regime["abs_grad"], regime["factors"]
    return {
        "median_abs_grad": np.median(g, axis=1).tolist(),
        "p10_abs_grad": np.percentile(g, 10, axis=1).tolist(),
        "p90_abs_grad": np.percentile(g, 90, axis=1).tolist(),
        "median_ratio_first_to_last": float(np.median(g[0] / g[-1])),
        "fraction_first_below_last": float(np.mean(g[0] < g[-1])),
        "median_factor": float(np.median(f)),
        "geometric_mean_factor": float(np.exp(np.mean(np.log(f)))),
        "fraction_factors_below_quarter": float(np.mean(f < 0.25)),
        "fraction_factors_below_one": float(np.mean(f < 1)),
        "error_own_activations": regime["error_own_activations"],
        "error_independent": regime["error_independent"],
        "max_abs_z": regime["max_abs_z"],
        "draws": int(g.shape[1]),
    }


def plot_per_layer(standard: dict, exploding: dict, stats: dict, path: Path) -> None:
    """|dC/db_j| per layer, log scale: (a) median, 10-90% band and some draws; (b) w = 100."""
    plt = _pyplot()
    g = standard["abs_grad"]
    layers = np.arange(1, g.shape[0] + 1)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    ax1.semilogy(layers, g[:, :40], color="#bbbbbb", lw=0.6)
    ax1.fill_between(layers, stats["a"]["p10_abs_grad"], stats["a"]["p90_abs_grad"],
                     color="C0", alpha=0.2, label="10% to 90% of the draws")  # fmt: skip
    ax1.semilogy(layers, stats["a"]["median_abs_grad"], "o-", color="C0", lw=2, label="median")
    ax1.plot([], [], color="#bbbbbb", lw=0.6, label="40 single draws")
    ax1.set_title(f"(a) w, b ~ N(0, 1), {g.shape[1]} draws: vanishing", fontsize=10)
    ax1.legend(fontsize=8, loc="lower right")
    e = exploding["abs_grad"][:, 0]
    ax2.semilogy(layers, e, "s-", color="C3", lw=2)
    for j in range(len(e) - 1):
        ratio = e[j] / e[j + 1]
        ax2.annotate(f"x {ratio:.0f}", ((layers[j] + layers[j + 1]) / 2, np.sqrt(e[j] * e[j + 1])),
                     textcoords="offset points", xytext=(8, 6), fontsize=9, color="C3")  # fmt: skip
    ax2.set_title("(b) w = 100, b_j chosen so that z_j = 0: exploding", fontsize=10)
    for ax in (ax1, ax2):
        ax.set(xlabel="layer j  (backprop runs from right to left)", ylabel="|dC/db_j|")
        ax.set_xticks(layers)
        ax.grid(True, which="major", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_factors(standard: dict, stats: dict, path: Path) -> None:
    """The distribution of one factor |w_j sigmoid'(z_j)| under (a), against 1/4, 1 and 25."""
    plt = _pyplot()
    f = np.log10(standard["factors"].reshape(-1))
    fig, ax = plt.subplots(figsize=(7, 3.8))
    ax.hist(f, bins=80, range=(max(f.min(), -5), 2.4), color="C0", alpha=0.75)
    marks = [
        (np.log10(0.25), " 1/4", "C2", "left"),
        (0.0, " 1", "k", "left"),
        (np.log10(25), " 25 = (b)", "C3", "left"),
    ]
    for value, label, color, ha in marks:
        ax.axvline(value, color=color, ls="--", lw=1.2)
        ax.text(value, ax.get_ylim()[1] * 0.95, label, color=color, fontsize=9, va="top", ha=ha)
    a = stats["a"]
    ax.set_title(
        f"(a) N(0, 1): |w sigmoid'(z)| < 1/4 in {a['fraction_factors_below_quarter']:.0%}, "
        f"< 1 in {a['fraction_factors_below_one']:.0%} of the factors",
        fontsize=10,
    )
    ax.set(xlabel="log10 |w_j sigmoid'(z_j)|   (one factor of the product per layer)",
           ylabel="count")  # fmt: skip
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def layer_table(stats: dict, exploding: dict) -> str:
    a = stats["a"]
    e = exploding["abs_grad"][:, 0]
    lines = [
        "| layer j | (a) median abs(dC/db_j) | (a) 10% .. 90% | (b) abs(dC/db_j) |",
        "|---|---|---|---|",
    ]
    for j, (med, lo, hi) in enumerate(
        zip(a["median_abs_grad"], a["p10_abs_grad"], a["p90_abs_grad"], strict=True)
    ):
        lines.append(f"| {j + 1} | {med:.3e} | {lo:.1e} .. {hi:.1e} | {e[j]:.6g} |")
    return "\n".join(lines)


def summary(stats: dict, exploding: dict, layers: int) -> str:
    a, b = stats["a"], stats["b"]
    own = max(a["error_own_activations"], b["error_own_activations"])
    return "\n".join([
        f"# Vanishing and exploding gradients in a chain of {layers} sigmoid neurons (seed 001)",
        "",
        "a_0 = x, z_j = w_j a_(j-1) + b_j, a_j = sigmoid(z_j), C = (a_L - y)^2 / 2 with y = 0. "
        "minigrad's backward() gives dC/db_j. It equals the explicit product "
        "sigmoid'(z_j) w_(j+1) sigmoid'(z_(j+1)) ... w_L sigmoid'(z_L) dC/da_L to a relative "
        f"error of {own:.1e} when sigmoid'(z_j) = a_j (1 - a_j) is taken from minigrad's forward "
        "pass, and to "
        f"{max(a['error_independent'], b['error_independent']):.1e} against an independent "
        "NumPy forward pass with sigmoid'(z) = sigmoid(z) sigmoid(-z) (the rest is the rounding "
        f"of minigrad's sigmoid; the largest |z_j| in (a) was {a['max_abs_z']:.1f}).",
        "",
        layer_table(stats, exploding),
        "",
        f"**(a) standard weights and biases N(0, 1)**, input x ~ N(0, 1), {a['draws']} draws: "
        f"the factor per layer |w_j sigmoid'(z_j)| has median {a['median_factor']:.3f} "
        f"(geometric mean {a['geometric_mean_factor']:.3f}); it is below 1/4 in "
        f"{a['fraction_factors_below_quarter']:.0%} of the factors and below 1 in "
        f"{a['fraction_factors_below_one']:.2%}. Median |dC/db_1| / |dC/db_{layers}| = "
        f"{a['median_ratio_first_to_last']:.2e}, and |dC/db_1| < |dC/db_{layers}| in "
        f"{a['fraction_first_below_last']:.2%} of the draws: the gradient vanishes on its way "
        "back, and the first layer learns slowest.",
        "",
        f"**(b) w_j = 100, b_j = -100 a_(j-1)**, so every z_j = 0 (largest |z_j|: "
        f"{b['max_abs_z']:g}) and sigmoid'(z_j) = 1/4: every factor is "
        f"{b['median_factor']:g}, and |dC/db_1| / |dC/db_{layers}| = "
        f"{b['median_ratio_first_to_last']:g} = {b['median_factor']:g}^{layers - 1}: the "
        "gradient explodes on its way back.",
        "",
        "![per-layer gradient magnitudes](per_layer_gradients.png)",
        "",
        "![distribution of |dC/db_j| per layer](gradient_histograms.png)",
        "",
        "![distribution of the factors](factors.png)",
    ]) + "\n"  # fmt: skip


def main(argv: list[str] | None = None) -> dict:
    parser = Parser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=output_folder, default=Path("out/vanishing_chain"))
    parser.add_argument("--quick", action="store_true", help="fewer draws (for tests)")
    parser.add_argument("--seed", type=non_negative, default=0)
    parser.add_argument("--layers", type=count, default=4)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    draws, batches = (2_000, 2) if args.quick else (200_000, 20)
    standard = standard_regime(rng, args.layers, draws, batches)
    exploding = exploding_regime(rng, args.layers, 5, weight=100.0)
    stats = {"a": describe(standard), "b": describe(exploding)}
    plot_per_layer(standard, exploding, stats, args.out / "per_layer_gradients.png")
    logs = {f"layer {j + 1}": np.log10(g) for j, g in enumerate(standard["abs_grad"])}
    title = f"(a) N(0, 1): log10 |dC/db_j| over {draws} draws"
    plots.histograms(logs, args.out / "gradient_histograms.png", title=title)
    plot_factors(standard, stats, args.out / "factors.png")
    e = exploding["abs_grad"][:, 0]
    results = {"seed": args.seed, "layers": args.layers, **stats, "exploding_abs_grad": e.tolist()}
    (args.out / "results.json").write_text(json.dumps(results, indent=1))
    text = summary(stats, exploding, args.layers)
    (args.out / "summary.md").write_text(text)
    print(text)
    return results


if __name__ == "__main__":
    main()
