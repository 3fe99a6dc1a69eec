"""demos/batchnorm.py in its quick form, and its probe that must not change the network."""

from __future__ import annotations

import json
import os
import runpy
from pathlib import Path

import numpy as np
import pytest

from minigrad.data.mnist import FILES
from tests.test_mnist import SHARED

DEMO = Path(__file__).resolve().parent.parent / "demos" / "batchnorm.py"


@pytest.fixture
def mnist() -> Path:
    if not all((SHARED / name).is_file() for name in FILES):
        (pytest.fail if os.environ.get("CI") else pytest.skip)(f"no MNIST files in {SHARED}")
    return SHARED


def test_batchnorm_quick(mnist, tmp_path):
    main = runpy.run_path(str(DEMO))["main"]
    results = main(["--quick", "--out", str(tmp_path), "--mnist", str(mnist)])
    summary = (tmp_path / "summary.md").read_text()
    for name in ("accuracy.png", "sigmoid_input.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({name})" in summary
    assert json.loads((tmp_path / "results.json").read_text())["percentiles"] == [15, 50, 85]

    plain, bn = results["runs"]["without BatchNorm"], results["runs"]["with BatchNorm"]
    for run in (plain, bn):
        assert run["steps"] == list(range(0, 301, 50))
        assert len(run["unit_percentiles"]) == len(run["test_accuracy"]) == 7
        assert all(0 <= a <= 1 for a in run["test_accuracy"])
        assert all(p[0] <= p[1] <= p[2] for p in run["unit_percentiles"])
    assert bn["test_accuracy"][-1] > plain["test_accuracy"][-1] + 0.3  # 300 steps: BN is ahead
    low, median, high = bn["unit_percentiles"][0]  # gamma 1, beta 0: about N(0, 1)
    assert abs(median) < 0.3 and 1.6 < high - low < 2.5


def test_probe_leaves_batchnorm_statistics_alone():
    demo = runpy.run_path(str(DEMO))
    rng = np.random.default_rng(0)
    model, pre_sigmoid = demo["build"](True, rng)
    probe = demo["SigmoidInput"](pre_sigmoid, unit=3)
    before = model.state_dict()
    probe.measure(model, rng.random((50, 784)).astype(np.float32))
    after = model.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before)
    assert model.training  # still in training mode
    assert probe.last.shape == (50, 100)
    inputs = probe.last[:, 3]  # normalised with the probe's own statistics
    assert abs(inputs.mean()) < 1e-5 and abs(inputs.std() - 1) < 1e-3
    assert np.allclose(probe.unit_percentiles[0], np.percentile(inputs, [15, 50, 85]))


def test_first_step_reaching():
    first = runpy.run_path(str(DEMO))["first_step_reaching"]
    run = {"steps": [0, 50, 100], "test_accuracy": [0.1, 0.96, 0.94]}
    assert first(run, 0.95) == 50 and first(run, 0.99) is None
