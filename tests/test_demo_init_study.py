"""demos/init_study.py in its quick form: the files it writes and seed 002's claims."""

from __future__ import annotations

import json
import math
import os
import runpy
from pathlib import Path

import numpy as np
import pytest

from minigrad.data.mnist import FILES
from tests.test_mnist import SHARED

DEMO = Path(__file__).resolve().parent.parent / "demos" / "init_study.py"
FIGURES = ("tanh_histograms.png", "tanh_training.png", "relu_std.png", "relu30_loss.png")


@pytest.fixture
def mnist() -> Path:
    if not all((SHARED / name).is_file() for name in FILES):
        (pytest.fail if os.environ.get("CI") else pytest.skip)(f"no MNIST files in {SHARED}")
    return SHARED


def test_init_study_quick(mnist, tmp_path):
    main = runpy.run_path(str(DEMO))["main"]
    results = main(["--quick", "--out", str(tmp_path), "--mnist", str(mnist)])
    summary = (tmp_path / "summary.md").read_text()
    for name in FIGURES:
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({name})" in summary
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["tanh"]["Xavier"]["std"] == results["tanh"]["Xavier"]["std"]

    tanh = results["tanh"]
    assert tanh["zero"]["std"] == [0.0] * 5
    assert tanh["zero"]["changed"] == ["10.bias"]  # only the output bias can learn
    assert min(tanh["N(0, 1)"]["saturated"]) > 0.5
    uniform = np.array(tanh["uniform 1/sqrt(n_in)"]["std"])
    assert np.all(np.diff(uniform) < 0) and uniform[-1] < 0.2 * uniform[0]
    assert 0.25 < (uniform[-1] / uniform[0]) ** (2 / 4) < 0.45  # about 1/3 per layer
    xavier = np.array(tanh["Xavier"]["std"])
    assert xavier.min() > 0.3 and max(tanh["Xavier"]["saturated"]) < 0.1
    assert np.mean(tanh["Xavier"]["losses"][-10:]) < np.mean(tanh["zero"]["losses"][-10:]) - 0.5

    relu, deep_init = results["relu"], results["deep_relu_init"]
    assert relu["He"]["std"][-1] > 2 * relu["Xavier"]["std"][-1]
    he, xav = deep_init["He"], deep_init["Xavier"]
    assert len(he["std"]) == 30 and he["std"][-1] > 1000 * xav["std"][-1]
    assert len(he["grad_norm"]) == 31  # one per weight matrix
    assert np.median(he["grad_norm"]) > 100 * np.median(xav["grad_norm"])
    deep = results["deep_relu"]
    for lr in ("0.001", "0.01"):
        assert abs(np.mean(deep[f"Xavier, lr {lr}"][-10:]) - math.log(10)) < 0.01
    assert np.mean(deep["He, lr 0.01"][-10:]) < math.log(10) - 0.1
