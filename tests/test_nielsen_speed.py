"""minigrad.lab.nielsen_speed against seed 001's claims (first-layer bars smaller; speeds fall,
bottom out and the 2-layer net rebounds), its argument checks, and demos/nielsen_speed.py quick."""

from __future__ import annotations

import json
import os
import runpy
import time
from pathlib import Path

import numpy as np
import pytest

from minigrad.data.mnist import FILES
from minigrad.lab import nielsen_speed as ns
from tests.test_mnist import SHARED

DEMO = Path(__file__).resolve().parent.parent / "demos" / "nielsen_speed.py"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def mnist() -> Path:
    if not all((SHARED / name).is_file() for name in FILES):
        message = f"the MNIST files are not in {SHARED}; set MINIGRAD_MNIST to their folder"
        (pytest.fail if os.environ.get("CI") else pytest.skip)(message)
    return SHARED


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    return ns.synthetic_digits(300, np.random.default_rng(3))


def test_bias_gradients_are_backprop_deltas(digits):
    """dC/db from the engine equals Nielsen's BP1-BP3 in NumPy (so the bars are dC/db)."""
    x, t = digits
    model = ns.network(2, np.random.default_rng(0))
    got = ns.bias_gradients(model, x, t)
    sigmoid = lambda z: 1 / (1 + np.exp(-z))
    linears = [m for m in model if hasattr(m, "weight")]
    a, zs = x, []
    for layer in linears:
        zs.append(a @ layer.weight.data.T + layer.bias.data)
        a = sigmoid(zs[-1])
    delta = (a - t) / len(x)
    expected = []
    for layer, z in zip(linears[:0:-1], zs[-2::-1], strict=True):
        delta = (delta @ layer.weight.data) * sigmoid(z) * (1 - sigmoid(z))
        expected.insert(0, delta.sum(axis=0))
    assert [g.shape for g in got] == [(30,), (30,)]
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-15)


def test_first_layer_bars_smaller_than_second(digits):
    r = ns.bars_at_init(*digits, draws=8, seed=0)
    mean_abs = np.array(r["mean_abs"])
    assert mean_abs.shape == (8, 2) and len(r["bars"][0]) == 6
    assert r["first_smaller_fraction"] == 1.0
    assert np.mean(mean_abs[:, 1] / mean_abs[:, 0]) > 2  # not a close call
    speeds = np.array(r["speeds"])
    assert np.all(speeds[:, 0] < speeds[:, 1])


def test_speeds_fall_bottom_out_and_rebound_for_two_layers(mnist):
    data = ns.inputs(1000, "mnist", np.random.default_rng(0), mnist)
    run = ns.speeds_over_training(2, data["x"], data["t"], 200, np.random.default_rng(0))
    s = np.array(run["speeds"])
    assert s.shape == (200, 2)
    assert np.all(s.min(axis=0) < s[0] / 20)  # both fall quickly ...
    assert all(10 < e < 150 for e in run["slowest_epoch"])  # ... bottom out inside the run ...
    assert all(r > 1.5 for r in run["end_over_slowest"])  # ... and rebound
    assert s[-1, 0] < s[-1, 1]  # the first layer learns more slowly at the end


def test_three_layers_earlier_layers_slower(digits):
    x, t = digits
    run = ns.speeds_over_training(3, x, t, 30, np.random.default_rng(1))
    s = np.array(run["speeds"])
    assert np.all(s[:, 0] < s[:, 1]) and np.all(s[:, 1] < s[:, 2])
    assert run["first_slowest_fraction"] == 1.0


def test_rebound_reads_the_curve():
    s = np.array([[4.0, 8.0], [1.0, 2.0], [2.0, 1.0], [3.0, 4.0]])
    r = ns.rebound(s)
    assert r["slowest_epoch"] == [2, 3]
    assert r["end_over_slowest"] == [3.0, 4.0]
    assert r["end_last_over_first"] == pytest.approx(4 / 3)
    assert r["first_slowest_fraction"] == 0.75


@pytest.mark.parametrize(
    "x, t, message",
    [
        (np.zeros((5, 700)), np.zeros((5, 10)), r"x must have shape \(n, 784\).*\(5, 700\)"),
        (np.zeros((0, 784)), np.zeros((0, 10)), r"x must have shape .*n >= 1.*\(0, 784\)"),
        (np.zeros((5, 784)), np.zeros((5, 3)), r"t must have shape \(n, 10\)"),
        (np.full((5, 784), np.nan), np.zeros((5, 10)), "x holds NaN or inf"),
        (np.zeros((5, 784)), np.zeros((4, 10)), "x and t differ in length: 5 images, 4 targets"),
    ],
)
def test_bad_data_is_refused_with_its_name(x, t, message):
    with pytest.raises(ValueError, match="speeds_over_training: " + message):
        ns.speeds_over_training(2, x, t, 3, np.random.default_rng(0))
    with pytest.raises(ValueError, match="bias_gradients: " + message):
        ns.bias_gradients(ns.network(2, np.random.default_rng(0)), x, t)


def test_bad_arguments_are_refused():
    x, t = ns.synthetic_digits(4, np.random.default_rng(0))
    with pytest.raises(TypeError, match="x must be a numeric np.ndarray, got list"):
        ns.bias_gradients(ns.network(1, np.random.default_rng(0)), x.tolist(), t)
    with pytest.raises(TypeError, match="rng must be a np.random.Generator"):
        ns.speeds_over_training(2, x, t, 3, 0)
    with pytest.raises(ValueError, match="epochs must be at least 1, got 0"):
        ns.speeds_over_training(2, x, t, 0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="depth must be at least 1, got 0"):
        ns.network(0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="draws must be at least 1"):
        ns.bars_at_init(x, t, draws=0, seed=0)
    with pytest.raises(ValueError, match="source must be 'auto', 'mnist' or 'synthetic'"):
        ns.inputs(4, "cifar", np.random.default_rng(0))
    with pytest.raises(ValueError, match="rebound: speeds must be a finite"):
        ns.rebound(np.array([[1.0, np.nan]]))


def test_missing_mnist_falls_back_to_synthetic_with_a_note(tmp_path):
    data = ns.inputs(7, "auto", np.random.default_rng(0), tmp_path)
    assert data["source"] == "synthetic" and "MNIST files not found" in data["note"]
    assert data["x"].shape == (7, 784) and 0 <= data["x"].min() and data["x"].max() <= 1
    np.testing.assert_array_equal(data["t"].sum(axis=1), 1)


def test_demo_quick_without_mnist(tmp_path):
    start = time.perf_counter()
    main = runpy.run_path(str(DEMO))["main"]
    results = main(["--quick", "--data", "synthetic", "--out", str(tmp_path)])
    assert time.perf_counter() - start < 10
    summary = (tmp_path / "summary.md").read_text()
    for name in ("nielsen_bars_init", "nielsen_speed_2", "nielsen_speed_3"):
        assert (tmp_path / f"{name}.png").read_bytes()[:8] == PNG
        assert f"]({name}.png)" in summary
    assert "MNIST files not found" in summary and "0.07 | 0.31" in summary
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["bars"]["first_smaller_fraction"] == results["bars"]["first_smaller_fraction"]
    assert results["bars"]["first_smaller_fraction"] == 1.0
    for key, depth in (("speed_2", 2), ("speed_3", 3)):
        for run in results[key]["runs"]:
            assert np.array(run["speeds"]).shape == (40, depth)


def test_demo_quick_on_mnist(mnist, tmp_path):
    main = runpy.run_path(str(DEMO))["main"]
    results = main(["--quick", "--data", "mnist", "--mnist", str(mnist), "--out", str(tmp_path)])
    assert results["data"]["source"] == "mnist" and results["bars"]["first_smaller_fraction"] == 1
    speed = np.array(results["bars"]["speed_geometric_mean"])
    assert 0.02 < speed[0] < 0.2 and 0.1 < speed[1] < 0.6  # Nielsen: 0.07 and 0.31
