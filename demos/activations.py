"""Every activation of seeds 004 and 003 and its derivative, computed by minigrad (table 5.1).

Run:  python demos/activations.py [--out out/activations] [--quick] [--seed 0]
For each activation (logistic, tanh, hard-logistic, hard-tanh, ReLU, leaky ReLU, PReLU, ELU,
softplus, softsign, SiLU/swish, GELU, maxout with k pieces) minigrad computes the derivative
elementwise, by reverse mode (mg.grad of the sum) and by forward mode (mg.jvp with a tangent of
ones), and both are compared with the closed form over a grid and random points that avoid the
kinks; at the kinks the value minigrad picks is reported next to the one-sided limits.
Writes figure_5_2.png, figure_5_3.png, figure_5_4.png, figure_5_9.png, figure_more.png,
all_activations.png, results.json and summary.md (with table 5.1) into the output folder.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

import minigrad as mg
from minigrad import nn
from minigrad.cli import Parser, non_negative
from minigrad.lab.demo import output_folder
from minigrad.lab.plots import pyplot as _pyplot

LEAK, PRELU_A, ELU_ALPHA = 0.01, 0.25, 1.0
# maxout example: k = 4 tangents of the convex x^2 / 4 at -3, -1, 1, 3 (slope p / 2, intercept
# -p^2 / 4); their max is a piecewise-linear approximation of it, with kinks at -2, 0, 2.
TOUCH = np.array([-3.0, -1.0, 1.0, 3.0])
SLOPES, INTERCEPTS = TOUCH / 2, -(TOUCH**2) / 4
GELU_C = math.sqrt(2 / math.pi)


def sig(x):
    return 1 / (1 + np.exp(-x))


def gelu_tanh_derivative(x):
    u = GELU_C * (x + 0.044715 * x**3)
    t = np.tanh(u)
    return 0.5 * (1 + t) + 0.5 * x * (1 - t**2) * GELU_C * (1 + 3 * 0.044715 * x**2)


def maxout_example(x) -> mg.Tensor:
    """A maxout unit of one input x: max_i (w_i x + b_i) over k = 4 pieces (eq. 5.23-5.25)."""
    x = x if isinstance(x, mg.Tensor) else mg.Tensor(np.asarray(x))
    z = mg.expand_dims(x, -1) * SLOPES + INTERCEPTS  # (..., k) net inputs
    return mg.squeeze(nn.maxout(z, pieces=len(SLOPES)), axis=-1)


@dataclass(frozen=True)
class Activation:
    name: str
    fn: Callable  # minigrad, elementwise
    df: Callable  # the closed-form derivative, NumPy
    formula: str
    derivative: str
    kinks: tuple[float, ...] = ()  # where the formula switches branch


ACTIVATIONS = [
    Activation("logistic", nn.sigmoid, lambda x: sig(x) * (1 - sig(x)), "1 / (1 + e^-x)",
               "f (1 - f)"),
    Activation("tanh", nn.tanh, lambda x: 1 - np.tanh(x) ** 2, "2 / (1 + e^-2x) - 1",
               "1 - f^2"),
    Activation("hard-logistic", nn.hard_sigmoid, lambda x: np.where(np.abs(x) < 2, 0.25, 0.0),
               "max(min(0.25 x + 0.5, 1), 0)", "0.25 for abs(x) < 2, else 0", (-2.0, 2.0)),
    Activation("hard-tanh", nn.hard_tanh, lambda x: np.where(np.abs(x) < 1, 1.0, 0.0),
               "max(min(x, 1), -1)", "1 for abs(x) < 1, else 0", (-1.0, 1.0)),
    Activation("ReLU", nn.relu, lambda x: np.where(x > 0, 1.0, 0.0), "max(0, x)",
               "1 for x > 0, 0 for x < 0", (0.0,)),
    Activation("leaky ReLU", lambda x: nn.leaky_relu(x, LEAK),
               lambda x: np.where(x > 0, 1.0, LEAK), f"max(0, x) + {LEAK} min(0, x)",
               f"1 for x > 0, {LEAK} for x < 0", (0.0,)),
    Activation("PReLU", lambda x: nn.prelu(x, mg.tensor(PRELU_A, dtype=np.float64)),
               lambda x: np.where(x > 0, 1.0, PRELU_A), f"max(0, x) + a min(0, x), a = {PRELU_A}",
               "1 for x > 0, a for x < 0 (and d/da = min(0, x))", (0.0,)),
    Activation("ELU", lambda x: nn.elu(x, ELU_ALPHA),
               lambda x: np.where(x > 0, 1.0, ELU_ALPHA * np.exp(np.minimum(x, 0))),
               f"x for x > 0, a (e^x - 1) otherwise, a = {ELU_ALPHA:g}",
               "1 for x > 0, a e^x otherwise", (0.0,)),
    Activation("softplus", nn.softplus, sig, "ln(1 + e^x)", "1 / (1 + e^-x)", (0.0,)),
    Activation("softsign", nn.softsign, lambda x: 1 / (1 + np.abs(x)) ** 2, "x / (1 + abs(x))",
               "1 / (1 + abs(x))^2", (0.0,)),
    Activation("SiLU / swish", nn.silu, lambda x: sig(x) * (1 + x * (1 - sig(x))),
               "x sigma(x)", "sigma(x) (1 + x (1 - sigma(x)))"),
    Activation("GELU (tanh form)", nn.gelu, gelu_tanh_derivative,
               "0.5 x (1 + tanh(c (x + 0.044715 x^3))), c = sqrt(2/pi)",
               "0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 0.134145 x^2), t = tanh(...)"),
    Activation("maxout, k = 4", maxout_example,
               lambda x: SLOPES[np.argmax(x[:, None] * SLOPES + INTERCEPTS, axis=1)],
               "max_i (w_i x + b_i), w = (-1.5, -0.5, 0.5, 1.5), b = (-2.25, -0.25, -0.25, -2.25)",
               "w_i of the largest piece", (-2.0, 0.0, 2.0)),
]  # fmt: skip
BY_NAME = {a.name: a for a in ACTIVATIONS}


def reverse_derivative(fn, x: np.ndarray) -> np.ndarray:
    """f'(x) elementwise by reverse mode: the gradient of sum(f(x))."""
    return mg.grad(lambda t: fn(t).sum())(x).numpy()


def forward_derivative(fn, x: np.ndarray) -> np.ndarray:
    """f'(x) elementwise by forward mode: one sweep with the tangent 1 on every element."""
    return mg.jvp(fn, (x,), (np.ones_like(x),))[1].numpy()


def check_points(rng: np.random.Generator, n: int) -> np.ndarray:
    """A grid of [-8, 8] and as many uniform random points, minus the kinks' neighbourhoods."""
    x = np.concatenate([np.linspace(-8, 8, n), rng.uniform(-8, 8, n)])
    kinks = np.array(sorted({k for a in ACTIVATIONS for k in a.kinks}))
    return x[np.abs(x[:, None] - kinks).min(axis=1) > 1e-6]


def at_kinks(act: Activation) -> list[dict]:
    """minigrad's derivative where the formula switches, with the one-sided limits there."""
    rows = []
    for k in act.kinks:
        value = float(reverse_derivative(act.fn, np.array([k]))[0])
        left, right = (float(act.df(np.array([k + s]))[0]) for s in (-1e-9, 1e-9))
        smooth = math.isclose(left, right, abs_tol=1e-6)  # differentiable there
        rows.append(
            {"x": k, "minigrad": value, "left": left, "right": right, "smooth": smooth,
             "wrong": smooth and not math.isclose(value, left, abs_tol=1e-6)}
        )  # fmt: skip
    return rows


def check(act: Activation, x: np.ndarray) -> dict:
    exact = act.df(x)
    return {
        "formula": act.formula,
        "derivative": act.derivative,
        "max_error_reverse": float(np.abs(reverse_derivative(act.fn, x) - exact).max()),
        "max_error_forward": float(np.abs(forward_derivative(act.fn, x) - exact).max()),
        "kinks": at_kinks(act),
    }


def extra_checks(x: np.ndarray) -> dict:
    """PReLU's learnable slope (d/da = min(0, x)) and how far the tanh GELU is from x Phi(x)."""
    a = np.full_like(x, PRELU_A)  # one slope per element, so the gradient is elementwise
    da = mg.grad(lambda t, a: nn.prelu(t, a).sum(), argnums=1)(x, a).numpy()
    erf = np.vectorize(math.erf)
    exact_gelu = 0.5 * x * (1 + erf(x / math.sqrt(2)))
    exact_dgelu = 0.5 * (1 + erf(x / math.sqrt(2))) + x * np.exp(-(x**2) / 2) / math.sqrt(
        2 * math.pi
    )
    return {
        "prelu_da_max_error": float(np.abs(da - np.minimum(x, 0)).max()),
        "gelu_tanh_vs_exact_max": float(np.abs(nn.gelu(x).numpy() - exact_gelu).max()),
        "gelu_tanh_vs_exact_derivative_max": float(
            np.abs(reverse_derivative(nn.gelu, x) - exact_dgelu).max()
        ),
    }


def _style(ax, title: str, ylabel: str) -> None:
    ax.axhline(0, color="#999999", lw=0.6)
    ax.axvline(0, color="#999999", lw=0.6)
    ax.grid(True, alpha=0.3)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("x")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)


def function_and_derivative(
    panels: list[tuple[str, list[str]]],
    x: np.ndarray,
    path: Path,
    title: str,
    derivs: bool = True,
    notes: tuple = (),
) -> None:
    """One column per panel: the functions on top and minigrad's derivatives below; `notes`
    are (row, column, x, y, text, arrow tip) annotations."""
    plt = _pyplot()
    rows = 2 if derivs else 1
    fig, axes = plt.subplots(rows, len(panels), figsize=(4.6 * len(panels), 3.4 * rows),
                             squeeze=False)  # fmt: skip
    for col, (panel_title, names) in enumerate(panels):
        for k, name in enumerate(names):
            fn = BY_NAME[name].fn
            style = {"color": f"C{k}", "lw": 2, "ls": ["-", "--", "-.", ":"][k % 4]}
            axes[0, col].plot(x, fn(x).numpy(), label=name, **style)
            if derivs:
                axes[1, col].plot(x, reverse_derivative(fn, x), label=f"{name}'", **style)
        _style(axes[0, col], panel_title, "f(x)")
        if derivs:
            _style(axes[1, col], "derivatives (by mg.grad)", "f'(x)")
    for row, col, nx, ny, text, tip in notes:
        axes[row, col].annotate(
            text, tip, (nx, ny), fontsize=8, color="C1", arrowprops={"arrowstyle": "->"}
        )
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def figure_5_9(x: np.ndarray, path: Path) -> None:
    """Seed 004's figure 5.9: the derivatives of the logistic and tanh, at most 1/4 and 1."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.8))
    for k, name in enumerate(["logistic", "tanh"]):
        ax.plot(x, reverse_derivative(BY_NAME[name].fn, x), color=f"C{k}", lw=2, label=f"{name}'")
    ax.axhline(0.25, color="C0", ls=":", lw=1)
    ax.axhline(1.0, color="C1", ls=":", lw=1)
    ax.text(x[0], 0.26, "max 1/4", color="C0", fontsize=9, va="bottom")
    ax.text(x[0], 1.01, "max 1", color="C1", fontsize=9, va="bottom")
    ax.set_ylim(-0.03, 1.12)
    _style(ax, "figure 5.9: derivatives of the sigmoid-type activations", "f'(x)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def all_activations(x: np.ndarray, path: Path) -> None:
    """Every activation: f, minigrad's f' and the closed-form f' (dots), one panel each."""
    plt = _pyplot()
    cols = 5
    rows = -(-len(ACTIVATIONS) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.3 * cols, 2.8 * rows))
    sparse = x[:: max(1, len(x) // 25)]
    for ax, act in zip(axes.flat, ACTIVATIONS, strict=False):
        ax.plot(x, act.fn(x).numpy(), "C0", lw=2, label="f")
        ax.plot(x, reverse_derivative(act.fn, x), "C3--", lw=1.6, label="f' (minigrad)")
        ax.plot(sparse, act.df(sparse), "k.", ms=4, label="f' (closed form)")
        ax.set_title(act.name, fontsize=10)
        ax.grid(True, alpha=0.3)
        ax.set_ylim(-1.6, 2.6)
    for ax in axes.flat[len(ACTIVATIONS) :]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def maxout_panel(x: np.ndarray, path: Path) -> None:
    """The maxout example: its k pieces, their max, the convex x^2/4 it approximates, and f'."""
    plt = _pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9.5, 3.6))
    for i, (w, b) in enumerate(zip(SLOPES, INTERCEPTS, strict=True)):
        ax1.plot(
            x,
            w * x + b,
            color="#999999",
            ls=":",
            lw=1,
            label="pieces w_i x + b_i" if not i else None,
        )
    ax1.plot(x, x**2 / 4, color="C2", lw=1, label="x^2 / 4")
    ax1.plot(x, maxout_example(x).numpy(), "C0", lw=2, label="maxout")
    ax1.set_ylim(-1, 5)
    _style(ax1, "maxout with k = 4 pieces (tangents of x^2 / 4)", "f(x)")
    ax2.plot(x, reverse_derivative(maxout_example, x), "C0", lw=2, label="maxout' (mg.grad)")
    _style(ax2, "derivative: the slope of the winning piece", "f'(x)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def kink_text(kinks: list[dict]) -> str:
    parts = []
    for k in kinks:
        limits = f"{k['left']:g}" if k["smooth"] else f"{k['left']:g} / {k['right']:g}"
        flag = " **(not the derivative)**" if k["wrong"] else ""
        parts.append(f"x = {k['x']:g}: {k['minigrad']:g} (limits {limits}){flag}")
    return "; ".join(parts) or "none"


def table_5_1(results: dict) -> str:
    lines = [
        "| activation | f(x) | f'(x) | max abs error, mg.grad | max abs error, mg.jvp "
        "| at the kinks: minigrad's f' (left / right limits of f') |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | `{r['formula']}` | `{r['derivative']}` | {r['max_error_reverse']:.1e} "
            f"| {r['max_error_forward']:.1e} | {kink_text(r['kinks'])} |"
        )
    return "\n".join(lines)


def summary(results: dict, extra: dict, n_points: int) -> str:
    worst = max(max(r["max_error_reverse"], r["max_error_forward"]) for r in results.values())
    wrong = [n for n, r in results.items() if any(k["wrong"] for k in r["kinks"])]
    lines = [
        "# Activation functions and their derivatives (seed 004, section 5.1.2, table 5.1)",
        "",
        f"Each derivative is computed by minigrad, elementwise, in reverse mode (`mg.grad` of "
        f"`f(x).sum()`) and in forward mode (`mg.jvp` with a tangent of ones), and compared with "
        f"the closed form on {n_points} points of [-8, 8] (a grid and uniform random points, "
        f"kinks excluded). Largest error over all activations: {worst:.1e}.",
        "",
        table_5_1(results),
        "",
        f"PReLU's slope is learnable: d PReLU / da = min(0, x), by mg.grad, within "
        f"{extra['prelu_da_max_error']:.1e}. minigrad's GELU is the tanh form: it is within "
        f"{extra['gelu_tanh_vs_exact_max']:.1e} of x Phi(x) (derivative within "
        f"{extra['gelu_tanh_vs_exact_derivative_max']:.1e}).",
        "",
        "At a kink, minigrad returns the derivative of the branch `where` picks, 1 at the bounds "
        "of `clip`, and the mean of both sides at ties of `maximum`/`minimum`.",
    ]
    for name in wrong:
        k = next(k for k in results[name]["kinks"] if k["wrong"])
        lines += [
            "",
            f"**{name} at x = {k['x']:g}**: the function is differentiable there (both one-sided "
            f"derivatives are {k['left']:g}), but minigrad returns {k['minigrad']:g}: a tie of "
            "`maximum`/`minimum` inside the composite splits the derivative in half.",
        ]
    lines += ["", "## Figures", ""]
    for f, t in FIGURES:
        lines += [f"![{t}]({f})", ""]
    return "\n".join(lines) + "\n"


FIGURES = [
    ("figure_5_2.png", "figure 5.2: logistic and tanh"),
    ("figure_5_3.png", "figure 5.3: hard-logistic and hard-tanh"),
    ("figure_5_4.png", "figure 5.4: the ReLU family and softplus"),
    ("figure_5_9.png", "figure 5.9: derivatives of logistic and tanh"),
    ("figure_more.png", "softsign, SiLU, GELU"),
    ("maxout.png", "maxout with 4 pieces"),
    ("all_activations.png", "every activation with minigrad's and the closed-form derivative"),
]


def draw_figures(out: Path, n: int) -> None:
    x = np.linspace(-6, 6, n)
    function_and_derivative(
        [("logistic and tanh", ["logistic", "tanh"])], x, out / "figure_5_2.png",
        "figure 5.2: sigmoid-type activations", derivs=False,
    )  # fmt: skip
    function_and_derivative(
        [("(a) logistic", ["logistic", "hard-logistic"]), ("(b) tanh", ["tanh", "hard-tanh"])],
        x, out / "figure_5_3.png", "figure 5.3: piecewise-linear approximations",
    )  # fmt: skip
    x4 = np.linspace(-3, 3, n)
    family = ["ReLU", "leaky ReLU", "PReLU", "ELU"]
    function_and_derivative(
        [("ReLU family", family), ("softplus vs ReLU", ["ReLU", "softplus"])],
        x4, out / "figure_5_4.png", "figure 5.4: ReLU, leaky ReLU, PReLU, ELU, softplus",
        notes=[(1, 0, -2.9, 0.55, f"leaky ReLU' = {LEAK}", (-2.5, 0.012))],
    )  # fmt: skip
    figure_5_9(x, out / "figure_5_9.png")
    function_and_derivative(
        [("softsign vs tanh", ["softsign", "tanh"]), ("SiLU and GELU", ["SiLU / swish",
         "GELU (tanh form)", "ReLU"])],
        x4, out / "figure_more.png", "smooth alternatives: softsign, SiLU / swish, GELU",
    )  # fmt: skip
    maxout_panel(np.linspace(-4, 4, n), out / "maxout.png")
    all_activations(np.linspace(-4, 4, n), out / "all_activations.png")


def main(argv: list[str] | None = None) -> dict:
    parser = Parser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=output_folder, default=Path("out/activations"))
    parser.add_argument("--quick", action="store_true", help="fewer check points (for tests)")
    parser.add_argument("--seed", type=non_negative, default=0)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    x = check_points(np.random.default_rng(args.seed), 2_000 if args.quick else 200_000)
    results = {a.name: check(a, x) for a in tqdm(ACTIVATIONS, desc="derivatives")}
    extra = extra_checks(x)
    draw_figures(args.out, 401 if args.quick else 1201)
    payload = {"seed": args.seed, "n_points": int(x.size), "activations": results, **extra}
    (args.out / "results.json").write_text(json.dumps(payload, indent=1))
    text = summary(results, extra, int(x.size))
    (args.out / "summary.md").write_text(text)
    print(text)
    return payload


if __name__ == "__main__":
    main()
