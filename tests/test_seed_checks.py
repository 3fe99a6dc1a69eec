"""minigrad.lab.seed_checks against the seeds' statements, and demos/seed_checks.py quick."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import numpy as np
import pytest

from minigrad.lab import seed_checks as sc

DEMO = Path(__file__).resolve().parent.parent / "demos" / "seed_checks.py"


def test_interval_width_maximum_is_045_near_69():
    best = sc.max_interval_width()
    assert round(best["width_max"], 2) == 0.45  # Nielsen: about 0.45
    assert best["w_max"] == pytest.approx(6.9, abs=0.02)  # Nielsen: at |w| ~ 6.9
    assert sc.interval_width(3.9) == 0  # the set is empty for |w| < 4


@pytest.mark.parametrize("w, b", [(4.5, 0.0), (6.9, 0.7), (-12.0, -2.0)])
def test_interval_width_closed_form_matches_grid(w, b):
    assert sc.interval_width_grid(w, b) == pytest.approx(float(sc.interval_width(w)), abs=1e-4)


def test_identity_neuron_error_is_w1_squared_over_96():
    for w1 in (0.1, 0.5):
        r = sc.identity_neuron(w1)
        assert r["max_error"] == pytest.approx(w1**2 / 96, rel=0.01)
    assert sc.identity_neuron(0.1)["max_error"] < 2e-4


def test_dropout_ensemble_linear_exact_nonlinear_approximate():
    rng = np.random.default_rng(1)
    net = sc.tiny_network(rng)
    x = rng.normal(0, 1, (6, 3))
    for keep in (0.5, 0.8):
        lin = sc.dropout_ensemble(net, x, keep, linear=True)
        assert lin["n_subnetworks"] == 16
        np.testing.assert_allclose(lin["ensemble_mean"], lin["weight_scaled"], rtol=0, atol=1e-13)
        assert sc.inverted_dropout_ensemble(net, x, 1 - keep, linear=True) < 1e-13
    non = sc.dropout_ensemble(net, x, 0.5, linear=False)
    assert 1e-4 < non["max_abs_diff"] < 0.1  # only an approximation
    assert non["geometric_max_abs_diff"] < 1e-13  # exact for the geometric mean


def test_nn_dropout_is_inverted():
    r = sc.minigrad_dropout(0.5, np.random.default_rng(0))
    assert r["train_values"] == [0.0, 2.0]  # kept units scaled by 1/(1 - p)
    assert r["train_mean"] == pytest.approx(1.0, abs=0.03)
    assert r["eval_is_identity"]


def test_batchnorm_recovers_identity():
    x = sc.batch(np.random.default_rng(0))
    assert sc.batchnorm_identity(x)["max_abs_error"] < 1e-12
    assert 1e-7 < sc.batchnorm_identity(x, with_eps=False)["max_abs_error"] < 1e-3
    learned = sc.batchnorm_learns_identity(x, steps=150)
    assert learned["gamma_error"] < 1e-8
    assert learned["beta_error"] < 1e-8


def test_demo_quick(tmp_path):
    main = runpy.run_path(str(DEMO))["main"]
    results = main(["--quick", "--out", str(tmp_path)])
    for name in ("nielsen_problems", "dropout_ensemble", "batchnorm_identity"):
        assert (tmp_path / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({name}.png)" in (tmp_path / "summary.md").read_text()
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["nielsen"]["width_max"] == results["nielsen"]["width_max"]
    assert round(results["nielsen"]["width_max"], 2) == 0.45
    assert results["dropout"]["linear_max_abs_diff"] < 1e-13
    assert results["batchnorm"]["learned_gamma_error"] < 1e-8
    summary = (tmp_path / "summary.md").read_text()
    assert "5.7.6" in summary and "5.89" in summary and "001_bbec8a0e1895d029" in summary
