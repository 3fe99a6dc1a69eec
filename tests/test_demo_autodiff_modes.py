"""demos/autodiff_modes.py in its quick form: seed 004's numbers in both modes, numerical vs
automatic derivatives, and the sweep counts of jacfwd (n) and jacrev (m)."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pytest

from minigrad import viz

DEMO = Path(__file__).resolve().parent.parent / "demos" / "autodiff_modes.py"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("autodiff_modes")
    results = runpy.run_path(str(DEMO))["main"](["--quick", "--out", str(out)])
    return out, results


def test_files_are_written(run):
    out, results = run
    for name in ("summary.md", "results.json", "steps.md", "graph.dot"):
        assert (out / name).stat().st_size > 0
    for name in ("numerical_vs_autodiff.png", "modes_cost.png"):
        assert (out / name).read_bytes()[:8] == PNG
    if viz.has_dot():
        assert (out / "graph.png").read_bytes()[:8] == PNG
        assert (
            "![the graph of f with local partials](graph.png)" in (out / "summary.md").read_text()
        )
    assert json.loads((out / "results.json").read_text())["seed_example"]["df_dw_reverse"] == 0.25


def test_seed_004_numbers_in_both_modes(run):
    seed = run[1]["seed_example"]
    rows = seed["rows"]
    assert [r["value"] for r in rows] == [0.0, 0.0, 0.0, 1.0, 2.0, 0.5]
    assert [r["local"] for r in rows] == [1.0, 1.0, -1.0, 1.0, 1.0, -0.25]  # eq. 5.67
    assert [r["dh_dw"] for r in rows] == [1.0, 1.0, -1.0, -1.0, -1.0, 0.25]  # eq. 5.69-5.73
    assert [r["dh_db"] for r in rows] == [0.0, 1.0, -1.0, -1.0, -1.0, 0.25]
    assert [r["df_dh"] for r in rows] == [0.25, 0.25, -0.25, -0.25, -0.25, 1.0]  # eq. 5.75-5.79
    for key in ("df_dw_forward", "df_dw_reverse", "df_db_forward", "df_db_reverse"):
        assert seed[key] == 0.25
    assert seed["chain_rule_product"] == 0.25


def test_automatic_matches_central_differences(run):
    check = run[1]["numerical"]
    assert len(check["points"]) == 4
    for p in check["points"]:
        assert max(p["abs_error"]) < 1e-8
    assert 0 < check["curve"]["max_abs_error"] < 1e-8  # central differences are not exact


def test_forward_takes_n_sweeps_and_reverse_m(run):
    rows = run[1]["cost"]["rows"]
    assert [(r["n"], r["m"]) for r in rows] == [(1, 100), (10, 10), (100, 1)]
    for r in rows:
        assert r["forward_sweeps"] == r["n"]
        assert r["reverse_sweeps"] == r["m"]
        assert r["max_abs_difference"] < 1e-12
        assert r["jacfwd_seconds"] > 0 and r["jacrev_seconds"] > 0
    # the extremes are far apart whatever the machine: 100 sweeps against 1
    assert rows[0]["jacfwd_seconds"] < rows[0]["jacrev_seconds"]
    assert rows[-1]["jacrev_seconds"] < rows[-1]["jacfwd_seconds"]
