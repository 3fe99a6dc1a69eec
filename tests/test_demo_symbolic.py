"""demos/symbolic_vs_automatic.py in its quick form: the three derivatives agree, seed 004's
3x - x + 2x + 1 becomes two instructions, the derivative swells as a formula but not as a
program, a compiled training step gives the eager step's numbers, and errors name the demo's
lines. No timing is asserted."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pytest

from minigrad import viz

DEMO = Path(__file__).resolve().parent.parent / "demos" / "symbolic_vs_automatic.py"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("symbolic")
    results = runpy.run_path(str(DEMO))["main"](["--quick", "--out", str(out)])
    return out, results


def _line(text: str) -> str:
    """`symbolic_vs_automatic.py:<n>` of the one line of the demo containing `text`."""
    numbers = [
        k
        for k, line in enumerate(DEMO.read_text().splitlines(), 1)
        if line.strip().startswith(text)
    ]
    assert len(numbers) == 1, (text, numbers)
    return f"symbolic_vs_automatic.py:{numbers[0]}"


def test_files_are_written(run):
    out, results = run
    summary = (out / "summary.md").read_text()
    for name in ("three_ways", "expression_swell", "compile_vs_eager"):
        assert (out / f"{name}.png").read_bytes()[:8] == PNG
        assert f"]({name}.png)" in summary
    if viz.has_dot():
        assert (out / "gradient_program.png").read_bytes()[:8] == PNG
        assert "](gradient_program.png)" in summary
    saved = json.loads((out / "results.json").read_text())
    assert saved["rewrite"]["instructions"] == results["rewrite"]["instructions"]


def test_numerical_symbolic_and_automatic_derivatives_agree(run):
    r = run[1]["three_ways"]
    assert r["at_point"]["automatic"] == [0.25, 0.25]  # seed 004, eq. 5.68
    assert r["at_point"]["symbolic"] == [0.25, 0.25]
    worst = r["max_abs_difference"]
    assert worst["symbolic"] <= 1e-15 and worst["symbolic_unsimplified"] <= 1e-15
    assert 0 < worst["numerical"] < 1e-8  # central differences are close, not exact
    assert len(r["sweep"]["values"]) == 25 and len(r["sweep"]["numerical"]) == 25
    s = r["symbolic"]
    assert s["instructions"] == {"program": 3, "gradient": 7, "simplified": 6}
    assert s["report"] == ["identities: v3 = multiply(1.0, v2) -> v2"]
    assert s["formulas"][0] == "sigmoid(w*x + b)*(1 - sigmoid(w*x + b))*x"
    assert "v2: float64[] = sigmoid(v1)" in s["texts"]["simplified"]
    assert set(r["seconds"]) == {"numerical", "symbolic", "automatic"}
    assert min(r["seconds"].values()) > 0
    assert run[1]["figure_5_8_steps"]["value_at_point"] == [0.25, 0.25]


def test_the_seed_rewrite_gives_two_instructions(run):
    r = run[1]["rewrite"]
    assert r["instructions"] == [5, 2]
    assert r["report"] == ["like_terms: v4 = add(v3, 1) is 4*x + 1 (5 instructions -> 2)"]
    assert (r["formula_before"], r["formula_after"]) == ("3*x - x + 2*x + 1", "x*4 + 1")
    assert "v0: float64[] = multiply(x, 4.0)" in r["after"]
    assert r["max_abs_difference"] < 1e-14


def test_the_formula_swells_and_the_program_does_not(run):
    rows = run[1]["swell"]
    assert [r["depth"] for r in rows] == list(range(1, 9))
    trees, graphs = [r["tree"] for r in rows], [r["graph"] for r in rows]
    assert trees == [14, 64, 260, 1036, 4124, 16444, 65660, 262396]  # about 4x an iteration
    assert graphs == [11, 19, 27, 35, 43, 51, 59, 67]  # 8 nodes an iteration
    for a, b in zip(rows, rows[1:], strict=False):
        assert b["tree"] / a["tree"] > b["graph"] / a["graph"]
        assert b["tree_simplified"] / a["tree_simplified"] > 3.5
        assert (
            b["tree_simplified"] / a["tree_simplified"]
            > b["graph_simplified"] / a["graph_simplified"]
        )
    for r in rows:
        assert r["tree_simplified"] <= r["tree"] and r["graph_simplified"] <= r["graph"]
        assert r["instructions_simplified"] < r["instructions"]
        assert r["max_abs_difference"] < 1e-12


def test_the_compiled_step_gives_the_eager_numbers(run):
    c = run[1]["compile"]
    assert c["max_abs_difference"] < 1e-6
    assert c["instructions"] > 50 and c["instructions_simplified"] <= c["instructions"]
    for key in ("first_call", "later_call", "eager_call", "program_call", "simplified_call"):
        assert c[key] > 0
    assert c["break_even_steps"] is None or c["break_even_steps"] >= 1


def test_errors_name_the_lines_of_the_demo(run):
    d = run[1]["debugging"]
    assert d["replay"].startswith("ValueError: program: ")
    assert f"(created at {_line('return mg.nn.cross_entropy(')})" in d["replay"]
    assert "class labels must be in [0, 10)" in d["replay"]
    assert "class labels must be in [0, 10)" in d["eager"]
    branch = _line("if x.sum() > 0:")
    assert d["trace"].startswith("RuntimeError: a traced function")
    assert f"at {branch};" in d["trace"]
    g = d["guards"]
    assert g["compiled"] == g["eager"] == [[2.0] * 3, [1.0] * 3, [4.0] * 3]
    assert [p["guards"] for p in g["programs"]] == [
        [f"bool(v1) == True  at {branch}"],
        [f"bool(v1) == False  at {branch}"],
    ]
