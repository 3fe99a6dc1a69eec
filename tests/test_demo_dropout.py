"""demos/dropout.py in its quick form, and the two networks it compares."""

from __future__ import annotations

import json
import os
import runpy
from pathlib import Path

import numpy as np
import pytest

from minigrad import nn
from minigrad.data.mnist import FILES
from tests.test_mnist import SHARED

DEMO = Path(__file__).resolve().parent.parent / "demos" / "dropout.py"


@pytest.fixture
def mnist() -> Path:
    if not all((SHARED / name).is_file() for name in FILES):
        (pytest.fail if os.environ.get("CI") else pytest.skip)(f"no MNIST files in {SHARED}")
    return SHARED


def test_dropout_quick(mnist, tmp_path):
    main = runpy.run_path(str(DEMO))["main"]
    results = main(["--quick", "--out", str(tmp_path), "--mnist", str(mnist)])
    assert (tmp_path / "errors.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "](errors.png)" in (tmp_path / "summary.md").read_text()
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["runs"]["dropout"]["test_error"] == results["runs"]["dropout"]["test_error"]

    epochs = results["config"]["epochs"]
    for run in results["runs"].values():
        for key in ("train_error", "test_error", "train_loss", "test_loss"):
            assert len(run[key]) == epochs
        assert all(0 <= e <= 1 for e in run["train_error"] + run["test_error"])
        assert run["train_error"][-1] < run["train_error"][0]  # both learn
        assert run["test_error"][-1] > run["train_error"][-1]  # 300 images: a gap
    # Dropped units slow the fit of the training set.
    plain, dropout = results["runs"]["no dropout"], results["runs"]["dropout"]
    assert dropout["train_loss"][-1] > plain["train_loss"][-1]


def test_networks_start_from_the_same_weights():
    build = runpy.run_path(str(DEMO))["build"]
    plain, dropout = build(32, False, seed=5), build(32, True, seed=5)
    drops = [m.p for m in dropout if isinstance(m, nn.Dropout)]
    assert drops == [0.2, 0.5, 0.5]
    assert isinstance(dropout[0], nn.Dropout)  # on the inputs
    weights = lambda model: [p.data for p in model.parameters()]
    assert all(np.array_equal(a, b) for a, b in zip(weights(plain), weights(dropout), strict=True))
