"""Numerical, symbolic and automatic differentiation side by side (seed 004, section 5.4, fig. 5.7).

Run:  python demos/symbolic_vs_automatic.py [--out out/symbolic] [--quick] [--seed 0]
1. f(x; w, b) = sigmoid(w x + b) differentiated three ways: central differences, a gradient
   program derived symbolically and simplified (mg.make_program(f)(...).grad().simplify()),
   and reverse mode (mg.grad); their differences and the cost of each.
2. The seed's rewrite example 3x - x + 2x + 1 -> 4x + 1 (program.simplify() and its report).
3. Expression swell: the derivative of the logistic map x -> 4x(1 - x) iterated d times, as a
   formula (a tree) and as a program (a graph), d = 1..8.
4. Compile time vs per-call time vs eager: an SGD step of the MLP 784-30x4-10 under mg.compile.
5. The seed's "hard to debug": what a replayed program's errors and Python control flow say.
Writes three_ways.png, expression_swell.png, compile_vs_eager.png (gradient_program.png with
Graphviz), results.json and summary.md into the output folder.

The functions differentiated here live in this file on purpose: a program's errors name the
line of the user's code that created the failing instruction, and this file is that code.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import minigrad as mg
from minigrad import viz
from minigrad.cli import Parser, non_negative
from minigrad.lab import compiled, symbolic
from minigrad.lab.demo import output_folder

POINT = {"x": 1.0, "w": 0.0, "b": 0.0}  # the seed's point (eq. 5.66)
SIZES = [784, 30, 30, 30, 30, 10]  # benchmarks/bench_compiled.py's small MLP
BATCH, LR = 10, 0.1


def f(x, w, b):
    """Seed 004's f(x; w, b) = sigmoid(w x + b) (eq. 5.62)."""
    return mg.sigmoid(w * x + b)


def f_steps(x, w, b):
    """The same function as figure 5.8 decomposes it: 1 / (exp(-(w x + b)) + 1)."""
    return 1 / (mg.exp(-(w * x + b)) + 1)


def seed_expression(x):
    """Seed 004's example of symbolic simplification (eq. 5.60)."""
    return 3 * x - x + 2 * x + 1


def logistic_map(depth: int):
    """x -> 4 x (1 - x), applied `depth` times (the classic example of expression swell)."""

    def g(x):
        for _ in range(depth):
            x = 4 * x * (1 - x)
        return x

    return g


# NOTE: the MLP of minigrad.lab.compiled.mlp_loss, written out here so that part 5's errors
# name lines of this file.
def loss(params, x, y):
    """Cross-entropy of a sigmoid MLP (as benchmarks/bench_compiled.py)."""
    h = x
    for w, b in params[:-1]:
        h = mg.sigmoid(mg.linalg.linear(h, w, b))
    w, b = params[-1]
    return mg.nn.cross_entropy(mg.linalg.linear(h, w, b), y)


def sgd_step(params, x, y):
    """One SGD step: the loss and the updated parameters."""
    value, grads = mg.value_and_grad(loss)(params, x, y)
    return value, [
        (w - LR * gw, b - LR * gb) for (w, b), (gw, gb) in zip(params, grads, strict=True)
    ]


def branchy(x):
    """Python control flow on a value: a trace cannot replay it, mg.compile guards it."""
    if x.sum() > 0:
        return x * 2.0
    return -x


def mlp(rng: np.random.Generator):
    """Parameters (out, in) in float32, a batch of inputs and labels."""
    params = [
        (
            (rng.standard_normal((n_out, n_in)) / np.sqrt(n_in)).astype(np.float32),
            np.zeros(n_out, np.float32),
        )
        for n_in, n_out in zip(SIZES[:-1], SIZES[1:], strict=True)
    ]
    x = rng.random((BATCH, SIZES[0]), dtype=np.float32)
    return params, x, rng.integers(0, SIZES[-1], BATCH)


def debugging(rng: np.random.Generator) -> dict:
    """Part 5: the messages a user reads."""
    params, x, y = mlp(rng)
    bad = y.copy()
    bad[3] = SIZES[-1]  # a label out of range, met only when the program runs
    step = mg.compile(sgd_step)
    step(params, x, y)
    return {
        "replay": compiled.error_message(step, params, x, bad),
        "eager": compiled.error_message(sgd_step, params, x, bad),
        "trace": compiled.error_message(mg.make_program(branchy), np.ones(3)),
        "guards": compiled.guards(branchy, [np.ones(3), -np.ones(3), np.full(3, 2.0)]),
    }


def run(quick: bool, seed: int, out: Path) -> dict:
    rng = np.random.default_rng(seed)
    timing = (3, 0.005) if quick else (7, 0.05)
    sweep = np.linspace(-6, 6, 25 if quick else 121)
    results = {"quick": quick, "seed": seed}
    results["three_ways"] = symbolic.three_ways(f, POINT, ("w", "b"), sweep, timing)
    steps = symbolic.symbolic_derivative(f_steps, list(POINT.values()), ("w", "b"))
    results["figure_5_8_steps"] = {k: v for k, v in steps.items() if k not in ("gradient",)}
    simplified = results["figure_5_8_steps"].pop("simplified")
    results["figure_5_8_steps"]["value_at_point"] = [float(v) for v in simplified(1.0, 0.0, 0.0)]
    results["rewrite"] = symbolic.rewrite(seed_expression, 2.0, rng.standard_normal(5))
    results["swell"] = symbolic.expression_swell(logistic_map, range(1, 9), 0.3)
    params, x, y = mlp(rng)
    results["compile"] = compiled.compile_cost(sgd_step, (params, x, y), timing, 2 if quick else 5)
    results["debugging"] = debugging(rng)
    symbolic.plot_three_ways(results["three_ways"], out / "three_ways.png")
    symbolic.plot_swell(results["swell"], out / "expression_swell.png")
    compiled.plot_compile(results["compile"], out / "compile_vs_eager.png")
    results["graph"] = None
    if viz.has_dot():
        program = mg.make_program(f)(*POINT.values()).grad(("w", "b")).simplify()
        dot = viz.draw(program, title="the simplified gradient program of sigmoid(w x + b)")
        results["graph"] = viz.render(dot, out / "gradient_program", format="png").name
    return results


def _code(text: str) -> list[str]:
    return ["```", text, "```"]


def _summary_three_ways(r: dict, steps: dict, graph: str | None) -> list[str]:
    s, sec, worst = r["symbolic"], r["seconds"], r["max_abs_difference"]
    ms = s["compile_ms"]
    n = len(r["sweep"]["values"])
    lines = [
        "## 1. One function, three ways (figure 5.7)",
        "",
        "f(x; w, b) = sigmoid(w x + b), differentiated with respect to w and b. Symbolic: "
        '`mg.make_program(f)(1.0, 0.0, 0.0)` traces f once into a program; `.grad(("w", '
        '"b"))` derives the gradient program from it by applying each primitive\'s own VJP '
        "rule to symbols (the example values fix only shapes and dtypes); `.simplify()` "
        "rewrites it. The traced program:",
        "",
        *_code(s["texts"]["program"]),
        "",
        f"Its gradient program ({s['instructions']['gradient']} instructions), simplified "
        f"({s['instructions']['simplified']}; report: "
        + ("; ".join(f"`{line}`" for line in s["report"]) or "no change")
        + "):",
        "",
        *_code(s["texts"]["simplified"]),
        "",
        "As formulas (`program.formula(k)`): "
        f"df/dw = `{s['formulas'][0]}`, df/db = `{s['formulas'][1]}`; in LaTeX "
        f"`{s['latex'][0]}`.",
        "",
        "| at x = 1, w = 0, b = 0 | df/dw | df/db | time per gradient |",
        "|---|---|---|---|",
    ]
    names = {"numerical": "numerical (central differences)", "symbolic": "symbolic (replay)",
             "automatic": "automatic (mg.grad, reverse mode)"}  # fmt: skip
    for m, name in names.items():
        dw, db = r["at_point"][m]
        lines.append(f"| {name} | {dw!r} | {db!r} | {sec[m] * 1e6:.1f} us |")
    total = sum(ms.values())
    lines += [
        f"| symbolic, once: trace + derive + simplify + generate the replay | | | "
        f"{ms['trace']:.2f} + {ms['derive']:.2f} + {ms['simplify']:.2f} + "
        f"{ms['first_replay']:.2f} = {total:.2f} ms |",
        "",
        f"At the seed's point and at {n} values of w in [-6, 6] (x = 1, b = 0) the largest "
        f"difference from mg.grad is {worst['symbolic']:.1e} for the simplified symbolic "
        f"derivative ({worst['symbolic_unsimplified']:.1e} unsimplified: the same rules on the "
        f"same values, in the same order) and {worst['numerical']:.1e} for central "
        "differences (their truncation and round-off error). The symbolic derivative's replay "
        f"is {sec['automatic'] / sec['symbolic']:.0f}x faster than mg.grad, which records the "
        f"graph again at every call, but compiling it once costs as much as about "
        f"{total * 1e-3 / sec['automatic']:.0f} calls of mg.grad.",
        "",
        "![three ways](three_ways.png)",
        "",
    ]
    if graph:
        lines += [f"The simplified gradient program drawn (`viz.draw(program)`): ![]({graph})", ""]
    lines += [
        "Written as figure 5.8 decomposes it, 1 / (exp(-(w x + b)) + 1), the gradient program "
        f"has {steps['instructions']['gradient']} instructions and simplify leaves "
        f"{steps['instructions']['simplified']} (report: {'; '.join(steps['report']) or 'none'}): "
        f"df/dw = `{steps['formulas'][0]}` ({steps['value_at_point']} at the seed's point). "
        "The -1 and the negation cancel, but a division and a product stand between them, "
        "and no pass moves signs or scalar factors through products.",
    ]
    return lines


def _summary_rewrite(r: dict) -> list[str]:
    return [
        "## 2. The seed's rewrite: 3x - x + 2x + 1 -> 4x + 1 (eq. 5.60, 5.61)",
        "",
        *_code(r["before"]),
        "",
        f"`simplify()` ({r['instructions'][0]} -> {r['instructions'][1]} instructions):",
        "",
        *_code(r["after"]),
        "",
        "Report: " + "; ".join(f"`{line}`" for line in r["report"]),
        "",
        f"As formulas: `{r['formula_before']}` -> `{r['formula_after']}`. Values differ by at "
        f"most {r['max_abs_difference']:.1e} on random inputs (like terms reassociate, so the "
        "rounding can differ).",
    ]


def _summary_swell(rows: list[dict]) -> list[str]:
    lines = [
        "## 3. Expression swell: the logistic map x -> 4x(1 - x), d times",
        "",
        "The derivative as a formula repeats every shared subexpression (`tree_size`); as a "
        "program each value is computed once (`graph_size`, nodes counting inputs and "
        "constants).",
        "",
        "| d | function: tree / graph | derivative: tree | graph | instructions "
        "| simplified: tree | graph | instructions | trace + derive | simplify |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['depth']} | {r['primal_tree']} / {r['primal_graph']} | {r['tree']:,} | "
            f"{r['graph']} | {r['instructions']} | {r['tree_simplified']:,} | "
            f"{r['graph_simplified']} | {r['instructions_simplified']} | "
            f"{r['trace_and_derive_ms']:.2f} ms | {r['simplify_ms']:.2f} ms |"
        )
    first, last = rows[0], rows[-1]
    steps = last["depth"] - first["depth"]
    tree_rate = (last["tree"] / first["tree"]) ** (1 / steps)
    graph_step = (last["graph"] - first["graph"]) / steps
    worst = max(r["max_abs_difference"] for r in rows)
    lines += [
        "",
        f"The tree grows about {tree_rate:.2f}x per iteration, the graph by {graph_step:g} "
        "nodes: the formula of the derivative at d = 8 has "
        f"{last['tree']:,} nodes, its program {last['graph']}. Simplifying removes the "
        f"multiplications by the seed 1 and collects like terms ({last['instructions']} -> "
        f"{last['instructions_simplified']} instructions at d = 8) but cannot stop the tree "
        "from swelling. Every derivative program agrees with mg.grad to "
        f"{worst:.1e}.",
        "",
        "![expression swell](expression_swell.png)",
    ]
    return lines


def _summary_compile(c: dict) -> list[str]:
    pays = c["break_even_steps"]
    return [
        "## 4. Compile time vs per-call time vs eager",
        "",
        "`mg.compile(sgd_step)`: the first call traces the step (forward, `mg.value_and_grad` "
        "derived symbolically inside the trace, the SGD update) into one program of "
        f"{c['instructions']} instructions and runs it; later calls replay it on NumPy arrays. "
        "The MLP 784-30x4-10 at batch 10, float32, the same inputs every call:",
        "",
        "| | ms |",
        "|---|---|",
        f"| first call (median of fresh compiles) | {c['first_call'] * 1e3:.2f} |",
        f"| of which trace + derive | {c['trace_and_derive'] * 1e3:.2f} |",
        f"| of which generating the replay and running it once | {c['first_replay'] * 1e3:.2f} |",
        f"| later call (replay) | {c['later_call'] * 1e3:.3f} |",
        f"| eager call (records the graph, backward) | {c['eager_call'] * 1e3:.3f} |",
        f"| the program called directly, `program(params, x, y)` | {c['program_call'] * 1e3:.3f} |",
        f"| the same, simplified ({c['instructions']} -> {c['instructions_simplified']} "
        f"instructions; simplify took {c['simplify'] * 1e3:.1f} ms) | "
        f"{c['simplified_call'] * 1e3:.3f} |",
        "",
        "A program called directly flattens and checks its arguments on every call; the "
        "compiled function has checked them already (they matched a known signature). "
        f"A replay takes {c['later_call'] / c['eager_call']:.2f} of an eager step; compiling "
        + (f"pays for itself after {pays} steps." if pays else "does not pay off here.")
        + f" Compiled and eager results differ by at most {c['max_abs_difference']:.1e}. "
        "(The eager step here is the same function under `mg.value_and_grad`; the README's "
        "`nn.Sequential` step with `optim.SGD` is faster, see docs/programs.md.)",
        "",
        "![compile vs eager](compile_vs_eager.png)",
    ]


def _summary_debugging(d: dict) -> list[str]:
    g = d["guards"]
    lines = [
        "## 5. Hard to debug? What the errors say",
        "",
        "A label out of range (10 classes, label 10) reaches the compiled training step only "
        "when the program runs. The replay's error names the instruction and the line of this "
        "file that created it:",
        "",
        *_code(d["replay"]),
        "",
        "(eager mode says: `" + d["eager"] + "`, with the line in its traceback.) Python "
        "control flow on a traced value, `if x.sum() > 0:`, cannot be replayed; "
        "`mg.make_program` refuses it and names the line:",
        "",
        *_code(d["trace"]),
        "",
        f"`mg.compile` turns it into a guard instead: called on 1, -1 and 2 (three elements "
        f"each) it traced {len(g['programs'])} programs, returned {g['compiled']} (eager: "
        f"{g['eager']}); each program checks its guard right after computing the value:",
        "",
    ]
    for p in g["programs"]:
        lines += _code(p["program"] + "\n  guard: " + "; ".join(p["guards"]))
    return lines


def summary(results: dict) -> str:
    lines = ["# Numerical, symbolic and automatic differentiation (seed 004, figure 5.7)", ""]
    lines += _summary_three_ways(
        results["three_ways"], results["figure_5_8_steps"], results["graph"]
    )
    for part in (
        _summary_rewrite(results["rewrite"]),
        _summary_swell(results["swell"]),
        _summary_compile(results["compile"]),
        _summary_debugging(results["debugging"]),
    ):
        lines += ["", *part]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict:
    parser = Parser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=output_folder, default=Path("out/symbolic"))
    parser.add_argument("--quick", action="store_true", help="shorter timings (for tests)")
    parser.add_argument("--seed", type=non_negative, default=0)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    results = run(args.quick, args.seed, args.out)
    (args.out / "results.json").write_text(json.dumps(results, indent=1))
    text = summary(results)
    (args.out / "summary.md").write_text(text)
    print(text)
    print(f"wrote {args.out}")
    return results


if __name__ == "__main__":
    main()
