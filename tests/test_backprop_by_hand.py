"""Algorithm 5.1 by hand (minigrad.lab.backprop_by_hand) against minigrad's autodiff and central
differences, its argument checks, and demos/backprop_by_hand.py quick."""

from __future__ import annotations

import json
import runpy
import time
from pathlib import Path

import numpy as np
import pytest

from minigrad.lab import backprop_by_hand as bh

DEMO = Path(__file__).resolve().parent.parent / "demos" / "backprop_by_hand.py"


@pytest.fixture
def problem():
    """(params, x, y): a [3, 5, 6, 4] network and 12 examples labelled by a linear rule."""
    rng = np.random.default_rng(4)
    x = rng.normal(0, 1, (12, 3))
    y = np.argmax(x @ rng.normal(0, 1, (3, 4)), axis=1)
    return bh.init_params([3, 5, 6, 4], rng), x, y


def test_explicit_deltas_equal_autodiff(problem):
    gaps = bh.gradient_gaps(*problem)
    assert np.array(gaps["max_abs_diff"]).shape == (3, 2)
    assert np.max(gaps["max_abs_diff"]) < 1e-12
    assert gaps["max_abs_grad"] > 1e-2  # the gradients compared are not all ~0


def test_explicit_deltas_equal_central_differences(problem):
    """Independent of minigrad: eqs. 5.49, 5.56, 5.57 against (L(w + h) - L(w - h)) / 2h."""
    params, x, y = problem
    grads = bh.backward(params, *bh.forward(params, x[0]), int(y[0]))
    h = 1e-6
    for k, (w, b) in enumerate(params):
        for j, p in enumerate((w, b)):
            idx = (0,) * p.ndim
            old = p[idx]
            p[idx] = old + h
            up = bh.loss(params, x[:1], y[:1])
            p[idx] = old - h
            down = bh.loss(params, x[:1], y[:1])
            p[idx] = old
            assert grads[k][j][idx] == pytest.approx((up - down) / (2 * h), abs=1e-8)


def test_a_wrong_delta_is_caught(problem, monkeypatch):
    """The comparison can fail: a planted factor 2 in layer 1's dL/dW shows up in the gaps."""
    real = bh.backward

    def wrong(params, zs, activations, y):
        grads = real(params, zs, activations, y)
        return [(2 * dw, db) if k == 0 else (dw, db) for k, (dw, db) in enumerate(grads)]

    monkeypatch.setattr(bh, "backward", wrong)
    gaps = np.array(bh.gradient_gaps(*problem)["max_abs_diff"])
    assert gaps[0, 0] > 1e-4 and gaps[1:].max() < 1e-12


def test_same_parameters_after_sgd(problem):
    params, x, y = problem
    orders = [np.arange(len(x))] * 4
    by_hand, hand_loss = bh.algorithm_5_1(params, x, y, 0.3, 1e-3, orders)
    autodiff, auto_loss = bh.sgd_autodiff(params, x, y, 0.3, 1e-3, orders)
    assert bh.max_param_diff(by_hand, autodiff) < 1e-12
    assert bh.max_param_diff(by_hand, params) > 1e-2  # they did move
    np.testing.assert_allclose(hand_loss, auto_loss, rtol=1e-12)
    assert hand_loss[-1] < bh.loss(params, x, y)  # and learned
    slower, _ = bh.algorithm_5_1(params, x, y, 0.3, 0.0, orders)
    assert bh.max_param_diff(by_hand, slower) > 1e-6  # lambda is not ignored


def test_side_by_side_tracks_every_epoch(problem):
    run = bh.side_by_side(*problem, alpha=0.2, lam=0.0, epochs=3)
    assert len(run["loss_by_hand"]) == len(run["max_param_diff"]) == 3
    assert max(run["max_param_diff"]) < 1e-12 and 0 <= run["accuracy"] <= 1


@pytest.mark.parametrize(
    "change, error, message",
    [
        (lambda x, y, p: (x[:, :2], y, p), ValueError, r"params\[0\] = \(W\^\(1\), b\^\(1\)\)"),
        (
            lambda x, y, p: (x[:0], y[:0], p),
            ValueError,
            r"x must be \(N, n_0\) .* N >= 1; got \(0, 3\), \(0,\)",
        ),
        (lambda x, y, p: (x, y[:5], p), ValueError, r"x must be \(N, n_0\) and y \(N,\)"),
        (lambda x, y, p: (np.where(x > 1, np.nan, x), y, p), ValueError, "x holds NaN"),
        (lambda x, y, p: (x, y + 4, p), ValueError, r"y must be labels in \[0, 4\), got 4\.\."),
        (lambda x, y, p: (x.tolist(), y, p), TypeError, "x must be a float np.ndarray, got list"),
        (
            lambda x, y, p: (x, y.astype(float), p),
            TypeError,
            "y must be an integer np.ndarray, got float64",
        ),
    ],
)
def test_bad_inputs_are_refused_with_their_name(problem, change, error, message):
    params, x, y = problem
    x, y, params = change(x, y, params)
    for where, call in (
        ("gradient_gaps", lambda: bh.gradient_gaps(params, x, y)),
        ("algorithm_5_1", lambda: bh.algorithm_5_1(params, x, y, 0.1, 0.0, [range(2)])),
        ("sgd_autodiff", lambda: bh.sgd_autodiff(params, x, y, 0.1, 0.0, [range(2)])),
    ):
        with pytest.raises(error, match=f"{where}: {message}"):
            call()


def test_bad_settings_are_refused(problem):
    params, x, y = problem
    with pytest.raises(ValueError, match=r"algorithm_5_1: alpha must be in \(0, inf\)"):
        bh.algorithm_5_1(params, x, y, 0.0, 0.0, [range(2)])
    with pytest.raises(ValueError, match="algorithm_5_1: lam must be finite, got nan"):
        bh.algorithm_5_1(params, x, y, 0.1, float("nan"), [range(2)])
    with pytest.raises(ValueError, match="side_by_side: epochs must be at least 1"):
        bh.side_by_side(params, x, y, 0.1, 0.0, 0)
    with pytest.raises(ValueError, match="init_params: sizes needs at least 2"):
        bh.init_params([3], np.random.default_rng(0))
    with pytest.raises(TypeError, match="init_params: rng must be a np.random.Generator"):
        bh.init_params([3, 2], 0)


def test_demo_quick(tmp_path):
    start = time.perf_counter()
    main = runpy.run_path(str(DEMO))["main"]
    results = main(["--quick", "--out", str(tmp_path)])
    assert time.perf_counter() - start < 10
    assert (tmp_path / "backprop_by_hand_vs_autodiff.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = (tmp_path / "summary.md").read_text()
    assert "](backprop_by_hand_vs_autodiff.png)" in summary and "Algorithm 5.1" in summary
    assert "004_d8bb18cf261f0e4e" in summary
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["max_gradient_gap"] == results["max_gradient_gap"] < 1e-12
    assert max(results["training"]["max_param_diff"]) < 1e-12
    assert results["steps"] == 90
