"""Seed 004's figure 5.7 measured: derivatives by numerical, symbolic (static programs) and
automatic differentiation with their costs, the seed's rewrite example and expression swell
(demos/symbolic_vs_automatic.py, parts 1-3; parts 4-5 in lab/compiled.py)."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

import minigrad as mg
from minigrad import pytree
from minigrad.lab.plots import pyplot, save_figure
from minigrad.numerical import central_jacobian
from minigrad.program import formula, graph_size, tree_size


def seconds_per_call(fn: Callable[[], object], repeat: int = 5, min_time: float = 0.02) -> float:
    """The median over `repeat` runs of the mean time of one call of `fn`; each run loops it
    for about `min_time` seconds (the number of calls is fixed by one timed warm-up call)."""
    t0 = time.perf_counter()
    fn()
    number = max(1, math.ceil(min_time / max(time.perf_counter() - t0, 1e-9)))
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - t0) / number)
    return statistics.median(samples)


def _floats(out) -> list[float]:
    """The numbers of a derivative (a tuple of arrays or tensors, or one) as Python floats."""
    items = out if isinstance(out, tuple | list) else (out,)
    return [float(np.asarray(getattr(a, "data", a))) for a in items]


def array_leaves(tree) -> list[np.ndarray]:
    return [np.asarray(getattr(a, "data", a)) for a in pytree.flatten(tree, "lab")[0]]


# -- 1. one function, three ways -------------------------------------------------------------
def symbolic_derivative(
    f: Callable, args: Sequence[float], wrt: tuple[str, ...], repeat: int = 3
) -> dict:
    """Seed 004's symbolic differentiation, step by step, with the time of each (medians of
    `repeat` runs): trace `f` once into a program, derive its gradient program for the inputs
    `wrt`, simplify it, and generate the code of its first replay. The programs, the report
    and the formulas come back as text; the gradient programs under "gradient" and
    "simplified"."""
    args = [np.float64(a) for a in args]
    steps = ("trace", "derive", "simplify", "first_replay")
    times: dict[str, list[float]] = {s: [] for s in steps}
    for _ in range(repeat):
        clock = [time.perf_counter()]
        program = mg.make_program(f)(*args)
        clock.append(time.perf_counter())
        gradient = program.grad(wrt)
        clock.append(time.perf_counter())
        simplified = gradient.simplify()
        clock.append(time.perf_counter())
        simplified(*args)  # the first call writes the replay's Python code
        clock.append(time.perf_counter())
        for s, a, b in zip(steps, clock[:-1], clock[1:], strict=True):
            times[s].append((b - a) * 1e3)
    outputs = range(len(simplified.outputs))
    return {
        "gradient": gradient,
        "simplified": simplified,
        "texts": {
            "program": str(program),
            "gradient": str(gradient),
            "simplified": str(simplified),
        },
        "instructions": {
            "program": len(program),
            "gradient": len(gradient),
            "simplified": len(simplified),
        },
        "report": list(simplified.report),
        "formulas": [formula(simplified, k) for k in outputs],
        "formulas_unsimplified": [formula(gradient, k) for k in outputs],
        "latex": [formula(simplified, k, style="latex") for k in outputs],
        "compile_ms": {s: statistics.median(t) for s, t in times.items()},
    }


def three_ways(
    f: Callable, point: dict[str, float], wrt: tuple[str, ...], sweep: np.ndarray, timing: tuple
) -> dict:
    """The gradient of `f` with respect to the inputs `wrt` (names of `point`'s keys, which
    are f's arguments in order) numerically (central differences, minigrad.numerical),
    symbolically (a simplified gradient program, replayed) and automatically (mg.grad,
    reverse mode): at `point`, and with the first of `wrt` running through `sweep` (the rest
    at `point`); their largest differences from automatic; and the time per derivative at
    `point` (`timing` = (repeat, min_time) for `seconds_per_call`)."""
    names = list(point)
    positions = tuple(names.index(n) for n in wrt)
    symbolic = symbolic_derivative(f, [np.float64(v) for v in point.values()], wrt)
    program, unsimplified = symbolic["simplified"], symbolic["gradient"]

    def numerical(*xs):
        def g(*vs):
            full = list(xs)
            for k, v in zip(positions, vs, strict=True):
                full[k] = v
            return f(*full)

        return [float(j.item()) for j in central_jacobian(g, [xs[k] for k in positions])]

    methods = {
        "numerical": numerical,
        "symbolic": lambda *xs: _floats(program(*xs)),
        "automatic": lambda *xs: _floats(mg.grad(f, argnums=positions)(*xs)),
        "symbolic_unsimplified": lambda *xs: _floats(unsimplified(*xs)),
    }
    base = [np.float64(v) for v in point.values()]
    inputs = []
    for value in sweep:
        xs = list(base)
        xs[positions[0]] = np.float64(value)
        inputs.append(xs)
    curves = {m: np.array([fn(*xs) for xs in inputs]) for m, fn in methods.items()}
    at_point = {m: fn(*base) for m, fn in methods.items()}
    worst = {
        m: float(max(np.abs(curves[m] - curves["automatic"]).max(),
                     np.abs(np.subtract(at_point[m], at_point["automatic"])).max()))
        for m in methods if m != "automatic"
    }  # fmt: skip
    seconds = {
        m: seconds_per_call(lambda fn=fn: fn(*base), *timing)
        for m, fn in methods.items()
        if m != "symbolic_unsimplified"
    }
    symbolic = {k: v for k, v in symbolic.items() if k not in ("gradient", "simplified")}
    return {
        "point": point,
        "wrt": list(wrt),
        "symbolic": symbolic,
        "at_point": at_point,
        "sweep": {"name": wrt[0], "values": list(map(float, sweep))}
        | {m: curves[m].tolist() for m in methods},
        "max_abs_difference": worst,
        "seconds": seconds,
    }


def plot_three_ways(result: dict, path) -> Path:
    """Left: how far numerical and symbolic derivatives are from automatic ones along the
    sweep; right: the time per derivative, and the one-off cost of compiling the symbolic one."""
    plt = pyplot()
    s = result["sweep"]
    x, auto = np.array(s["values"]), np.array(s["automatic"])
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4), width_ratios=(1.2, 1))
    floor = 1e-19  # where an exact 0 is drawn on the log scale
    for k, name in enumerate(result["wrt"]):
        for method, marker, color in (("numerical", "o", "C0"), ("symbolic", "s", "C2")):
            diff = np.maximum(np.abs(np.array(s[method])[:, k] - auto[:, k]), floor)
            style = "-" if k == 0 else ":"
            label = f"{method}, d/d{name}"
            ax1.semilogy(x, diff, style, marker=marker, ms=3, color=color, label=label)
    ax1.axhline(floor, color="grey", lw=0.6)
    ax1.text(x[0], floor * 3, "exactly 0 (symbolic = automatic, bit for bit)", fontsize=8)
    ax1.set(
        xlabel=f"{s['name']} (other inputs at the seed's point)",
        ylabel="|derivative - automatic (mg.grad)|",
        title="Agreement with reverse mode",
        ylim=(floor / 10, 1e-6),
    )
    ax1.legend(fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 0.12), ncol=2)
    ax1.grid(True, which="major", alpha=0.3)
    compile_ms = sum(result["symbolic"]["compile_ms"].values())
    labels = [
        "numerical\n(central diff.)",
        "symbolic\n(replay)",
        "automatic\n(mg.grad)",
        "symbolic\n(compile, once)",
    ]
    sec = result["seconds"]
    values = [sec["numerical"] * 1e6, sec["symbolic"] * 1e6, sec["automatic"] * 1e6]
    values.append(compile_ms * 1e3)
    bars = ax2.bar(labels, values, color=["C0", "C2", "C1", "C7"])
    ax2.bar_label(bars, [f"{v:.3g} us" for v in values], fontsize=8)
    ax2.set_yscale("log")
    ax2.set(ylabel="time (microseconds, log scale)", title="Cost of one gradient")
    ax2.tick_params(axis="x", labelsize=8)
    fig.suptitle("f(x; w, b) = sigmoid(w x + b): numerical, symbolic and automatic derivatives")
    return save_figure(fig, path, dpi=120)


def rewrite(f: Callable, example: float, checks: Sequence[float]) -> dict:
    """A program of `f` before and after `simplify()`, the passes' report, its formula before
    and after, and the largest difference of their values at `checks`."""
    program = mg.make_program(f)(np.float64(example))
    simplified = program.simplify()
    diff = max(abs(float(program(c)) - float(simplified(c))) for c in checks)
    return {
        "before": str(program),
        "after": str(simplified),
        "report": list(simplified.report),
        "instructions": [len(program), len(simplified)],
        "formula_before": formula(program),
        "formula_after": formula(simplified),
        "max_abs_difference": diff,
    }


# -- expression swell ----------------------------------------------------------------------------
def expression_swell(make_f: Callable[[int], Callable], depths: Sequence[int], x0: float) -> list:
    """For each depth d, the program of `make_f(d)` and its gradient program (simplified and
    not): the formula's tree size, the graph size, the number of instructions, the time to
    trace and derive, and the largest difference of the derivatives from mg.grad at `x0`."""
    x = np.float64(x0)
    rows = []
    for d in depths:
        f = make_f(d)
        t0 = time.perf_counter()
        program = mg.make_program(f)(x)
        gradient = program.grad()
        t1 = time.perf_counter()
        simplified = gradient.simplify()
        t2 = time.perf_counter()
        automatic = float(mg.grad(f)(x).data)
        diff = max(abs(float(p(x)) - automatic) for p in (gradient, simplified))
        rows.append(
            {
                "depth": d,
                "primal_tree": tree_size(program),
                "primal_graph": graph_size(program),
                "tree": tree_size(gradient),
                "graph": graph_size(gradient),
                "instructions": len(gradient),
                "tree_simplified": tree_size(simplified),
                "graph_simplified": graph_size(simplified),
                "instructions_simplified": len(simplified),
                "trace_and_derive_ms": (t1 - t0) * 1e3,
                "simplify_ms": (t2 - t1) * 1e3,
                "max_abs_difference": diff,
            }
        )
    return rows


def plot_swell(rows: list[dict], path) -> Path:
    """Tree size (the formula written out) and graph size (the program) against depth, on a
    log scale, for the derivative (simplified and not) and the function itself."""
    plt = pyplot()
    d = [r["depth"] for r in rows]
    fig, ax = plt.subplots(figsize=(7.5, 4.6))
    series = [
        ("tree", "derivative as a formula (tree_size)", "C3", "o-"),
        ("tree_simplified", "derivative as a formula, simplified", "C3", "o--"),
        ("graph", "derivative as a program (graph_size)", "C0", "s-"),
        ("graph_simplified", "derivative as a program, simplified", "C0", "s--"),
        ("primal_tree", "function as a formula", "grey", "^:"),
        ("primal_graph", "function as a program", "grey", "v:"),
    ]
    for key, label, color, style in series:
        ax.semilogy(d, [r[key] for r in rows], style, color=color, ms=5, label=label)
    last = rows[-1]
    ax.annotate(
        f"{last['tree']:,}",
        (last["depth"], last["tree"]),
        fontsize=8,
        textcoords="offset points",
        xytext=(-30, 6),
    )
    ax.annotate(
        f"{last['graph']}",
        (last["depth"], last["graph"]),
        fontsize=8,
        textcoords="offset points",
        xytext=(-8, 8),
    )
    steps = last["depth"] - rows[0]["depth"]
    rate = (last["tree"] / rows[0]["tree"]) ** (1 / steps)
    added = (last["graph"] - rows[0]["graph"]) / steps
    middle = rows[len(rows) // 2]
    ax.annotate(
        f"x{rate:.1f} per iteration",
        (middle["depth"], middle["tree"]),
        fontsize=9,
        color="C3",
        textcoords="offset points",
        xytext=(-95, 4),
    )
    ax.annotate(
        f"+{added:g} nodes per iteration",
        (middle["depth"], middle["graph"]),
        fontsize=9,
        color="C0",
        textcoords="offset points",
        xytext=(-10, 12),
    )
    ax.set(
        xlabel="depth d: x -> 4x(1 - x) applied d times",
        ylabel="nodes (log scale)",
        title="Expression swell: the logistic map's derivative, tree vs graph",
    )
    ax.set_xticks(d)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8)
    return save_figure(fig, path, dpi=120)
