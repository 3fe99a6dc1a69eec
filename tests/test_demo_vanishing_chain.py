"""demos/vanishing_chain.py in its quick form: minigrad's dC/db_j equals the explicit product of
the w_j sigmoid'(z_j) factors; it vanishes with N(0, 1) weights and explodes with w = 100."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import numpy as np
import pytest

DEMO = Path(__file__).resolve().parent.parent / "demos" / "vanishing_chain.py"


@pytest.fixture(scope="module")
def demo():
    return runpy.run_path(str(DEMO))


@pytest.fixture(scope="module")
def run(demo, tmp_path_factory):
    out = tmp_path_factory.mktemp("vanishing_chain")
    return out, demo["main"](["--quick", "--out", str(out)])


def test_files_are_written(run):
    out, results = run
    for name in ("per_layer_gradients", "gradient_histograms", "factors"):
        assert (out / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({name}.png)" in (out / "summary.md").read_text()
    assert json.loads((out / "results.json").read_text())["layers"] == 4


def test_backward_equals_the_explicit_product(run):
    results = run[1]
    for regime in ("a", "b"):
        assert results[regime]["error_own_activations"] < 1e-12
        assert results[regime]["error_independent"] < 1e-9


def test_standard_weights_vanish(run):
    a = run[1]["a"]
    assert a["draws"] == 2000
    assert np.all(np.diff(a["median_abs_grad"]) > 0)  # larger towards the output
    assert a["median_ratio_first_to_last"] < 1 / 16  # three factors, typically each < 1/4
    assert a["fraction_first_below_last"] > 0.95
    assert a["fraction_factors_below_quarter"] > 0.7
    assert a["median_factor"] < 0.25


def test_large_weights_explode(run):
    b, grads = run[1]["b"], np.array(run[1]["exploding_abs_grad"])
    assert b["max_abs_z"] == 0.0
    assert b["median_factor"] == pytest.approx(25, rel=1e-12)
    np.testing.assert_allclose(grads[:-1] / grads[1:], 25, rtol=1e-12)
    assert grads[-1] == pytest.approx(0.25 * 0.5)  # sigmoid'(0) dC/da_L, with a_L = 1/2


def test_exploding_factor_for_five_layers(demo):
    r = demo["exploding_regime"](np.random.default_rng(1), 5, 3, 100.0)
    g = r["abs_grad"]
    np.testing.assert_allclose(g[0] / g[-1], 25.0**4, rtol=1e-12)
    assert r["error_own_activations"] < 1e-12
