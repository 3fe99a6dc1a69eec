"""minigrad.lab.preprocessing (seed 004, 5.7.2, figure 5.10) and demos/preprocessing.py quick."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import numpy as np
import pytest

from minigrad.lab import preprocessing as pp

DEMO = Path(__file__).resolve().parent.parent / "demos" / "preprocessing.py"


@pytest.fixture(scope="module")
def data():
    return pp.neuron_data(300, np.random.default_rng(3))


def test_inputs_follow_the_seed(data):
    x, y = data
    assert 0 <= x[:, 0].min() and x[:, 0].max() <= 10 and x[:, 0].max() > 9
    assert 0 <= x[:, 1].min() and x[:, 1].max() <= 1 and x[:, 1].max() > 0.9
    assert np.abs(y).max() < np.tanh(1.0) + 1e-12  # teacher's w.x + b stays in [-1, 1]


def test_minimum_is_the_teacher_and_moves_with_the_scaling(data):
    x, y = data
    np.testing.assert_allclose(pp.minimum(x, y), pp.TEACHER, atol=1e-9)
    theta = pp.minimum(pp.scaled(x, "z-score"), y)
    mean, std = x.mean(0), x.std(0)
    np.testing.assert_allclose(theta[:2], np.array(pp.TEACHER[:2]) * std, atol=1e-9)
    np.testing.assert_allclose(theta[2], pp.TEACHER[2] + np.dot(pp.TEACHER[:2], mean), atol=1e-9)


def test_hessian_at_the_minimum_is_gauss_newton(data):
    # noise-free teacher: zero residuals, so H = 2 E[tanh'(z)^2 (x, 1)(x, 1)^T] exactly
    x, y = data
    design = np.column_stack([x, np.ones(len(x))])
    slope = 1 - y**2
    expected = 2 * (design * slope[:, None] ** 2).T @ design / len(x)
    np.testing.assert_allclose(pp.hessian_at(pp.TEACHER, x, y), expected, rtol=1e-10)


def test_standardised_inputs_are_well_conditioned_and_fast():
    r = pp.study(200, np.random.default_rng(0), steps=1000, tol=1e-6, n_lrs=8)
    for part in ("w", "wb"):
        assert r["raw"][part]["condition"] > 100
        assert r["z-score"][part]["condition"] < 3
        assert r["PCA whitening"][part]["condition"] < 3
        raw, z = r["raw"][part]["best_steps"], r["z-score"][part]["best_steps"]
        assert z is not None and z <= 10
        assert raw is None or raw > 50 * z
    assert r["min-max"]["wb"]["condition"] > 10  # scaled but not centred: b and w stay coupled


def test_descend_reports_divergence_as_not_reached(data):
    x, y = data
    theta = pp.minimum(x, y)
    top = np.linalg.eigvalsh(pp.hessian_at(theta, x, y))[-1]
    r = pp.descend(
        x, y, theta, np.array([0.5, 1.5]) * 2 / top, train_bias=True, steps=300, tol=1e-6
    )
    assert r["steps_to_tol"][1] is None  # beyond 2 / lambda_max descent does not converge
    assert r["path"].shape[1] == 3


def test_bad_arguments():
    with pytest.raises(ValueError, match="scaling"):
        pp.scaled(np.zeros((3, 2)), "log")
    with pytest.raises(ValueError, match="n"):
        pp.neuron_data(1, np.random.default_rng(0))
    with pytest.raises(TypeError, match="Generator"):
        pp.neuron_data(10, 0)


def test_demo_quick(tmp_path):
    main = runpy.run_path(str(DEMO))["main"]
    results = main(["--quick", "--out", str(tmp_path)])
    names = ("preprocessing_contours", "preprocessing_descent", "augment_examples")
    for name in (*names, "augment_curves"):
        assert (tmp_path / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({name}.png)" in (tmp_path / "summary.md").read_text()
    saved = json.loads((tmp_path / "results.json").read_text())
    p = saved["preprocessing"]
    assert p["raw"]["wb"]["condition"] > 100 > 3 > p["z-score"]["wb"]["condition"]
    assert p["PCA whitening"]["input_condition"] == pytest.approx(1.0, abs=1e-3)  # eps 1e-5
    assert p["raw"]["w"]["best_steps"] > 50 * p["z-score"]["w"]["best_steps"]
    glyphs = results["augmentation"]["glyphs"]
    assert list(results["augmentation"]) == ["glyphs"]  # quick mode never needs MNIST
    assert glyphs["augmented"]["mean_gap"] < glyphs["plain"]["mean_gap"] - 0.1
    assert glyphs["augmented"]["mean_test_error"] < glyphs["plain"]["mean_test_error"]
    assert "5.7.2" in (tmp_path / "summary.md").read_text()
