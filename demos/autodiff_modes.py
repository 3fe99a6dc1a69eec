"""Forward and reverse mode on seed 004's f(x; w, b) = sigmoid(w x + b), and what each one costs.

Run:  python demos/autodiff_modes.py [--out out/autodiff_modes] [--quick] [--seed 0]
1. The elementary steps h1..h6 at x = 1, w = 0, b = 0 (seed 004, section 5.4, figure 5.8):
   forward mode with dual numbers (one sweep per input: dh/dw, then dh/db) and reverse mode
   (backward() with retain_grad: one sweep gives df/dh for every node), as a table, and the graph
   with the local partial derivative on each edge.
2. Automatic vs numerical derivatives: mg.grad against central differences, with the error.
3. The cost of the Jacobian of f: R^n -> R^m, f(x) = tanh(A sin x) with n m fixed: jacfwd takes
   n forward sweeps, jacrev m backward sweeps (both counted and timed).
Writes steps.md, graph.dot (and graph.svg, graph.png with Graphviz), numerical_vs_autodiff.png,
modes_cost.png, results.json and summary.md into the output folder.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

import minigrad as mg
from minigrad import viz
from minigrad.cli import Parser, non_negative
from minigrad.lab import sigmoid_steps
from minigrad.lab.demo import output_folder
from minigrad.numerical import central_jacobian
from minigrad.viz.graph import backward_values, collect, forward_values, local_derivatives

POINT = {"x": 1.0, "w": 0.0, "b": 0.0}  # the seed's point
OPS = ["x * w", "h1 + b", "-h2", "exp(h3)", "h4 + 1", "1 / h5"]
DIVISORS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]  # n in the full run; m = 1000 / n


def leaves(requires_grad: bool = True) -> tuple[mg.Tensor, mg.Tensor, mg.Tensor]:
    """x (a constant), w and b at the seed's point, in float64."""
    x = mg.tensor(POINT["x"], dtype=np.float64, name="x")
    w = mg.tensor(POINT["w"], dtype=np.float64, requires_grad=requires_grad, name="w")
    b = mg.tensor(POINT["b"], dtype=np.float64, requires_grad=requires_grad, name="b")
    return x, w, b


def decompose(x, w, b) -> list[mg.Tensor]:
    """The six elementary steps of figure 5.8, named h1..h6 (minigrad.lab.sigmoid_steps)."""
    return sigmoid_steps(x, w, b)


def forward_mode(wrt: str) -> list[float]:
    """One forward sweep with dual numbers: d h_k / d wrt for every step (wrt is "w" or "b")."""
    x, w, b = leaves(requires_grad=False)
    with mg.dual_level():
        if wrt == "w":
            w = mg.make_dual(w, 1.0)
        else:
            b = mg.make_dual(b, 1.0)
        tangents = [mg.unpack_dual(h).tangent for h in decompose(x, w, b)]
    return [0.0 if t is None else float(t.item()) + 0.0 for t in tangents]  # + 0.0: no -0


def reverse_mode() -> dict:
    """One backward sweep: df/dh_k for every step (retain_grad) and df/dw, df/db."""
    x, w, b = leaves()
    steps = decompose(x, w, b)
    for h in steps:
        h.retain_grad()
    steps[-1].backward()
    return {
        "values": [float(h.item()) + 0.0 for h in steps],
        "df_dh": [float(h.grad.item()) + 0.0 for h in steps],
        "df_dw": float(w.grad.item()),
        "df_db": float(b.grad.item()),
    }


def graph_and_locals(title: str):
    """Figure 5.8's drawing (edges: local partials; nodes: value, df/dh, dh/dw) and the local
    partials d h_k / d h_(k-1) along the path from w, read off the same graph."""
    x, w, b = leaves()
    steps = decompose(x, w, b)
    graph = collect([steps[-1]])
    backward_values(graph, steps[-1])
    forward_values(graph, {w: np.ones(())})
    local_derivatives(graph)
    path = [graph.node_of(t).index for t in [w, *steps]]
    by_pair = {(e.source, e.target): e.local for e in graph.edges}
    locals_ = [float(by_pair[pair]) + 0.0 for pair in zip(path[:-1], path[1:], strict=True)]
    dot = viz.draw_graph(
        graph, view="backward", edge_labels="local", color=False, rankdir="TB", title=title
    )
    dot.attr(dpi="130")
    return dot, locals_


def seed_example(out: Path) -> dict:
    """Part 1: the table of h1..h6 in both modes, and the rendered graph."""
    fwd_w, fwd_b = forward_mode("w"), forward_mode("b")
    rev = reverse_mode()
    title = (
        "f(x; w, b) = sigmoid(w x + b) at x = 1, w = 0, b = 0\n"
        "edges: local partials d = dh_(k+1)/dh_k\n"
        "nodes: grad = df/dh (reverse), tangent = dh/dw (forward)"
    )
    dot, locals_ = graph_and_locals(title)
    written = [viz.render(dot, out / "graph", format="dot")]
    if viz.has_dot():
        written += [viz.render(dot, out / "graph", format=fmt) for fmt in ("svg", "png")]
    rows = [
        {
            "node": f"h{k + 1}",
            "op": OPS[k],
            "value": rev["values"][k],
            "local": locals_[k],
            "dh_dw": fwd_w[k],
            "dh_db": fwd_b[k],
            "df_dh": rev["df_dh"][k],
        }
        for k in range(6)
    ]
    return {
        "rows": rows,
        "df_dw_forward": fwd_w[-1],
        "df_db_forward": fwd_b[-1],
        "df_dw_reverse": rev["df_dw"],
        "df_db_reverse": rev["df_db"],
        "chain_rule_product": float(np.prod(locals_)),
        "graph_files": [p.name for p in written],
    }


def steps_table(seed: dict) -> str:
    lines = [
        "| node | op | value | local partial (from w) | dh/dw (forward, sweep 1) "
        "| dh/db (forward, sweep 2) | df/dh (reverse, one sweep) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in seed["rows"]:
        lines.append(
            f"| {r['node']} | `{r['op']}` | {r['value']:.4f} | {r['local']:.4f} | "
            f"{r['dh_dw']:.4f} | {r['dh_db']:.4f} | {r['df_dh']:.4f} |"
        )
    return "\n".join(lines)


def sigmoid_np(x, w, b):
    return 1 / (1 + np.exp(-(w * x + b)))


def sigmoid_mg(x, w, b):
    return decompose(x, w, b)[-1]


def numerical_check(rng: np.random.Generator, n_points: int, n_grid: int) -> dict:
    """Part 2: mg.grad vs central differences at the seed's point, at random points, and along
    w in [-6, 6] (x = 1, b = 0)."""
    points = [(1.0, 0.0, 0.0)] + [tuple(rng.uniform(-3, 3, 3)) for _ in range(n_points)]
    table = []
    for x, w, b in points:
        auto = mg.grad(sigmoid_mg, argnums=(1, 2))(np.float64(x), np.float64(w), np.float64(b))
        num = central_jacobian(lambda w, b, x=x: sigmoid_np(x, w, b), [w, b])
        auto = [float(g.item()) for g in auto]
        num = [float(j.item()) for j in num]
        errors = [abs(a - c) for a, c in zip(auto, num, strict=True)]
        table.append({"x": x, "w": w, "b": b, "auto": auto, "central": num, "abs_error": errors})
    grid = np.linspace(-6, 6, n_grid)
    auto = mg.grad(lambda w: sigmoid_mg(1.0, w, 0.0).sum())(grid).numpy()
    central = np.diagonal(central_jacobian(lambda w: sigmoid_np(1.0, w, 0.0), [grid])[0])
    curve = {"w": grid.tolist(), "auto": auto.tolist(), "central": central.tolist()}
    curve["max_abs_error"] = float(np.abs(auto - central).max())
    return {"points": table, "curve": curve}


def plot_numerical(check: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    c = {k: np.asarray(v) for k, v in check["curve"].items()}
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
    ax1.plot(c["w"], c["auto"], "-", lw=2, label="mg.grad (reverse mode)")
    k = max(1, len(c["w"]) // 40)  # every k-th point, so that the line stays visible
    ax1.plot(c["w"][::k], c["central"][::k], "o", ms=4, mfc="none", label="central differences")
    ax1.set(xlabel="w", ylabel="df/dw", title="df/dw of sigmoid(w x + b), x = 1, b = 0")
    ax1.legend(fontsize=8)
    ax2.semilogy(c["w"], np.maximum(np.abs(c["auto"] - c["central"]), 1e-18), "k.-", ms=3)
    ax2.set(xlabel="w", ylabel="|mg.grad - central difference|", title="their difference")
    ax2.grid(True, which="major", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def median_seconds(fn, repeat: int) -> float:
    """Median wall time of fn() over `repeat` runs (after the warm-up the caller did)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def cost_of(n: int, m: int, rng: np.random.Generator, repeat: int) -> dict:
    """Jacobian of f(x) = tanh(A sin x), A of shape (m, n), by both modes: check that they
    agree, count the sweeps (calls of f under jacfwd, gradients reaching sin x under jacrev)
    and time them."""
    a = mg.Tensor(rng.standard_normal((m, n)) / np.sqrt(n))
    x = rng.standard_normal(n)
    counts = {"f": 0, "backward": 0}

    def f(v):
        counts["f"] += 1
        s = mg.sin(v)
        if s.requires_grad:
            s.register_hook(lambda g: counts.__setitem__("backward", counts["backward"] + 1))
        return mg.tanh(a @ s)

    fwd = mg.jacfwd(f, chunk_size=1)(x)  # one direction per sweep, as the seed counts them
    forward_sweeps, counts["f"] = counts["f"], 0
    rev = mg.jacrev(f, chunk_size=1)(x)  # one row per sweep
    disagreement = float(np.abs(fwd.numpy() - rev.numpy()).max())
    return {
        "n": n,
        "m": m,
        "forward_sweeps": forward_sweeps,
        "reverse_sweeps": counts["backward"],
        "max_abs_difference": disagreement,
        "jacfwd_seconds": median_seconds(lambda: mg.jacfwd(f, chunk_size=1)(x), repeat),
        "jacrev_seconds": median_seconds(lambda: mg.jacrev(f, chunk_size=1)(x), repeat),
    }


def cost_sweep(total: int, ns: list[int], rng: np.random.Generator, repeat: int) -> list[dict]:
    """Part 3: for each n, m = total / n (the matrix A always has `total` entries)."""
    return [cost_of(n, total // n, rng, repeat) for n in tqdm(ns, desc="jacfwd vs jacrev")]


def plot_cost(rows: list[dict], total: int, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FormatStrFormatter

    n = np.array([r["n"] for r in rows], dtype=float)
    m = np.array([r["m"] for r in rows], dtype=float)
    t_fwd = np.array([r["jacfwd_seconds"] for r in rows]) * 1e3
    t_rev = np.array([r["jacrev_seconds"] for r in rows]) * 1e3
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    ax1.loglog(n, t_fwd, "o-", color="C0", label="jacfwd: n forward sweeps")
    ax1.loglog(n, t_rev, "s-", color="C3", label="jacrev: m backward sweeps")
    per_fwd, per_rev = np.median(t_fwd / n), np.median(t_rev / m)  # typical cost of a sweep
    ax1.loglog(n, per_fwd * n, "--", color="C0", lw=1, alpha=0.6, label="median sweep x n")
    ax1.loglog(n, per_rev * m, "--", color="C3", lw=1, alpha=0.6, label="median sweep x m")
    ax1.set(xlabel=f"n = inputs   (m = {total} / n outputs)", ylabel="time for the Jacobian (ms)")
    ax1.set_title(f"Jacobian of f: R^n -> R^m, n m = {total}")
    ax1.grid(True, which="major", alpha=0.3)
    ax1.legend(fontsize=8)
    flip = lambda v: total / np.maximum(v, 1e-9)  # m = total / n, and back
    top = ax1.secondary_xaxis("top", functions=(flip, flip))
    top.set_xlabel("m = outputs")
    ax2.loglog(n, t_fwd / n, "o-", color="C0", label="jacfwd time / n")
    ax2.loglog(n, t_rev / m, "s-", color="C3", label="jacrev time / m")
    ax2.set(xlabel="n = inputs", ylabel="time per sweep (ms)", title="cost of one sweep")
    ax2.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax2.yaxis.set_minor_formatter(FormatStrFormatter("%g"))
    ax2.grid(True, which="major", alpha=0.3)
    ax2.legend(fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def cost_table(rows: list[dict]) -> str:
    lines = [
        "| n | m | forward sweeps | reverse sweeps | jacfwd (ms) | jacrev (ms) | jacfwd / jacrev |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        f, b = r["jacfwd_seconds"] * 1e3, r["jacrev_seconds"] * 1e3
        lines.append(
            f"| {r['n']} | {r['m']} | {r['forward_sweeps']} | {r['reverse_sweeps']} | "
            f"{f:.3g} | {b:.3g} | {f / b:.3g} |"
        )
    return "\n".join(lines)


def _summary_steps(seed: dict) -> list[str]:
    graph = "graph.png" if "graph.png" in seed["graph_files"] else None
    return [
        "## 1. The elementary steps at x = 1, w = 0, b = 0",
        "",
        steps_table(seed),
        "",
        f"- forward mode (dual numbers): df/dw = dh6/dw = {seed['df_dw_forward']:.4f}, "
        f"df/db = {seed['df_db_forward']:.4f}: two forward sweeps, one per input.",
        f"- reverse mode (backward()): df/dw = {seed['df_dw_reverse']:.4f}, "
        f"df/db = {seed['df_db_reverse']:.4f}: one backward sweep for both (seed 004: 0.25).",
        f"- chain rule (eq. 5.64): the product of the local partials along the path from w is "
        f"{seed['chain_rule_product']:.4f}.",
        "",
        f"![the graph of f with local partials]({graph})"
        if graph
        else "Graph: graph.dot (install Graphviz to render it).",
    ]


def _summary_numerical(check: dict) -> list[str]:
    worst = max(max(p["abs_error"]) for p in check["points"])
    return [
        "## 2. Automatic vs numerical derivatives",
        "",
        f"mg.grad against central differences (h = 1e-6 max(1, |x|)) at the seed's point and "
        f"{len(check['points']) - 1} random points: largest difference {worst:.1e}; along "
        f"w in [-6, 6]: {check['curve']['max_abs_error']:.1e}. The difference is the error of "
        "the central differences (truncation and round-off); mg.grad is exact to rounding.",
        "",
        "![numerical vs automatic](numerical_vs_autodiff.png)",
    ]


def _summary_cost(cost: dict) -> list[str]:
    rows = cost["rows"]
    fwd = [r["n"] for r in rows if r["jacfwd_seconds"] <= r["jacrev_seconds"]]
    rev = [r["n"] for r in rows if r["jacfwd_seconds"] > r["jacrev_seconds"]]
    per_fwd = statistics.median(r["jacfwd_seconds"] * 1e3 / r["n"] for r in rows)
    per_rev = statistics.median(r["jacrev_seconds"] * 1e3 / r["m"] for r in rows)
    return [
        f"## 3. The cost: f: R^n -> R^m with n m = {cost['total']}, f(x) = tanh(A sin x)",
        "",
        "Forward mode needs one sweep per input, n in all; reverse mode one sweep per output, m "
        "in all (the counts below are measured: calls of f under jacfwd, gradients reaching "
        "sin x under jacrev). For a loss, m = 1: one backward sweep gives the whole gradient, "
        "which is why training uses reverse mode. Here jacfwd was faster for n in "
        f"{fwd} and jacrev for n in {rev}.",
        "",
        cost_table(rows),
        "",
        f"Timings: median of {cost['repeat']} runs each. Both Jacobians agree to "
        f"{max(r['max_abs_difference'] for r in rows):.1e}. A forward sweep costs about "
        f"{per_fwd:.3f} ms, a backward sweep about {per_rev:.3f} ms (medians): the totals "
        "follow the number of sweeps. jacrev's time / m rises for small m because it also "
        "includes the one forward pass that records the graph. (Here both run with "
        "chunk_size=1, one direction or row per sweep, as the seed counts them; by default "
        "`mg.jacfwd` pushes all n tangents through one sweep and `mg.jacrev` pulls all m "
        "cotangents back through one, with a leading batch axis as JAX's vmap does: fewer "
        "Python steps, but the arithmetic still grows with n and m.)",
        "",
        "![forward vs reverse mode cost](modes_cost.png)",
    ]


def summary(results: dict) -> str:
    lines = ["# Forward and reverse mode: seed 004's sigmoid(w x + b)", ""]
    lines += _summary_steps(results["seed_example"]) + [""]
    lines += _summary_numerical(results["numerical"]) + [""]
    lines += _summary_cost(results["cost"])
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict:
    parser = Parser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=output_folder, default=Path("out/autodiff_modes"))
    parser.add_argument("--quick", action="store_true", help="a small sweep (for tests)")
    parser.add_argument("--seed", type=non_negative, default=0)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    total, ns, repeat = (100, [1, 10, 100], 2) if args.quick else (1000, DIVISORS, 7)
    seed = seed_example(args.out)
    (args.out / "steps.md").write_text(steps_table(seed) + "\n")
    print(steps_table(seed))
    check = numerical_check(rng, 3 if args.quick else 10, 41 if args.quick else 241)
    plot_numerical(check, args.out / "numerical_vs_autodiff.png")
    rows = cost_sweep(total, ns, rng, repeat)
    plot_cost(rows, total, args.out / "modes_cost.png")
    cost = {"total": total, "repeat": repeat, "rows": rows}
    results = {"seed": args.seed, "seed_example": seed, "numerical": check, "cost": cost}
    (args.out / "results.json").write_text(json.dumps(results, indent=1))
    (args.out / "summary.md").write_text(summary(results))
    print(cost_table(rows))
    print(f"wrote {args.out}")
    return results


if __name__ == "__main__":
    main()
