"""The Nielsen depth demo (seed 001, chapter 5) in its quick form, on the real MNIST files."""

from __future__ import annotations

import json
import os
import runpy
from pathlib import Path

import numpy as np
import pytest

from minigrad.data.mnist import FILES
from tests.test_mnist import SHARED

DEMO = Path(__file__).resolve().parent.parent / "demos" / "nielsen_depth.py"


@pytest.fixture
def mnist() -> Path:
    if not all((SHARED / name).is_file() for name in FILES):
        message = f"the MNIST files are not in {SHARED}; set MINIGRAD_MNIST to their folder"
        (pytest.fail if os.environ.get("CI") else pytest.skip)(message)
    return SHARED


def test_nielsen_depth_demo_quick(mnist, tmp_path):
    demo = runpy.run_path(str(DEMO))
    results = demo["main"](["--quick", "--out", str(tmp_path), "--mnist", str(mnist)])
    figures = ["accuracy.png", "init_speed.png"]
    figures += [f"training_speed_{k}_layers.png" for k in (1, 2, 3, 4)]
    for name in figures:
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["budget"]["gd_epochs"] == 20 and sorted(saved["accuracy"]) == ["1", "2", "3", "4"]

    accuracy = {d: r["test_mean"] for d, r in results["accuracy"].items()}
    assert all(0 <= a <= 1 for a in accuracy.values())
    assert accuracy[1] > 0.5  # chance is 0.1; the deeper nets need more than the quick budget
    for depth, row in results["init_speed"].items():
        speeds = np.array(row["draws"])
        assert speeds.shape == (5, depth) and np.all(np.isfinite(speeds)) and np.all(speeds > 0)
    deepest = np.array(results["init_speed"][4]["geometric_mean"])
    assert deepest[0] < deepest[-1] / 10  # the first hidden layer learns much more slowly
    assert np.all(np.diff(deepest) > 0)  # and the speed grows layer by layer towards the output
    for depth, row in results["full_batch"].items():
        speeds = np.array(row["speeds"])
        assert speeds.shape == (20, depth) and np.all(np.isfinite(speeds)) and np.all(speeds > 0)

    summary = (tmp_path / "summary.md").read_text()
    assert all(f"{v:.2f}" in summary for v in (96.48, 96.90, 96.57, 96.53))
    assert "0.003 / 0.017 / 0.07 / 0.285" in summary  # Nielsen's speeds, next to ours


def test_learning_speeds_match_nielsens_backprop_in_numpy():
    """The demo's ||dC/db|| per hidden layer equals Nielsen's backprop equations (BP1-BP3)
    written out in NumPy, so the figures measure the engine's gradients, not an artefact."""
    demo = runpy.run_path(str(DEMO))
    rng = np.random.default_rng(1)
    model = demo["network"](4, rng)
    x = rng.random((25, 784))
    t = np.eye(10)[rng.integers(0, 10, 25)]
    speeds = demo["gradient_speeds"](model, x, t)

    sigmoid = lambda z: 1 / (1 + np.exp(-z))
    linears = [m for m in model if hasattr(m, "weight")]
    activations, zs = [x], []
    for layer in linears:
        zs.append(activations[-1] @ layer.weight.data.T + layer.bias.data)
        activations.append(sigmoid(zs[-1]))
    delta = (activations[-1] - t) / len(x)  # cross-entropy with sigmoid outputs, batch mean
    expected = []
    for layer, z in zip(linears[:0:-1], zs[-2::-1], strict=True):
        delta = (delta @ layer.weight.data) * sigmoid(z) * (1 - sigmoid(z))
        expected.insert(0, float(np.linalg.norm(delta.sum(axis=0))))
    assert len(speeds) == 4
    np.testing.assert_allclose(speeds, expected, rtol=1e-10)
    assert speeds[0] < speeds[1] < speeds[2] < speeds[3]
