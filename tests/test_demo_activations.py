"""demos/activations.py in its quick form: every activation's derivative, by minigrad in both
modes, against its closed form, and the values minigrad picks at the kinks."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parent.parent / "demos" / "activations.py"
NAMES = [
    "logistic", "tanh", "hard-logistic", "hard-tanh", "ReLU", "leaky ReLU", "PReLU", "ELU",
    "softplus", "softsign", "SiLU / swish", "GELU (tanh form)", "maxout, k = 4",
]  # fmt: skip


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("activations")
    results = runpy.run_path(str(DEMO))["main"](["--quick", "--out", str(out)])
    return out, results


def _kinks(results, name):
    return {k["x"]: k for k in results["activations"][name]["kinks"]}


def test_files_are_written(run):
    out, results = run
    for name in ("figure_5_2", "figure_5_3", "figure_5_4", "figure_5_9", "figure_more",
                 "maxout", "all_activations"):  # fmt: skip
        assert (out / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({name}.png)" in (out / "summary.md").read_text()
    assert json.loads((out / "results.json").read_text())["n_points"] == results["n_points"]


def test_table_5_1_lists_every_activation(run):
    out, results = run
    assert list(results["activations"]) == NAMES
    summary = (out / "summary.md").read_text()
    for name in NAMES:
        assert f"| {name} | `" in summary


def test_derivatives_match_closed_forms(run):
    results = run[1]
    assert results["n_points"] > 3000
    for name, r in results["activations"].items():
        assert r["max_error_reverse"] < 1e-12, name
        assert r["max_error_forward"] < 1e-12, name
    assert results["prelu_da_max_error"] < 1e-12
    assert 1e-5 < results["gelu_tanh_vs_exact_max"] < 1e-3  # an approximation, a close one


def test_values_at_the_kinks(run):
    results = run[1]
    assert _kinks(results, "ReLU")[0.0]["minigrad"] == 0.0  # relu'(0) := 0, as PyTorch
    assert _kinks(results, "hard-tanh")[1.0]["minigrad"] == 1.0  # clip: 1 at the bounds
    assert _kinks(results, "maxout, k = 4")[0.0]["minigrad"] == 0.0  # tie: mean of -0.5, 0.5
    for name in ("softplus", "softsign"):  # smooth there, and minigrad gets it right
        kink = _kinks(results, name)[0.0]
        assert kink["smooth"] and not kink["wrong"]
    relu = _kinks(results, "ReLU")[0.0]
    assert (relu["left"], relu["right"], relu["smooth"]) == (0.0, 1.0, False)
