"""demos/hyperparams.py in its quick form: grid and random search with the same budget."""

from __future__ import annotations

import json
import os
import runpy
from pathlib import Path

import pytest

from minigrad.data.mnist import FILES
from tests.test_mnist import SHARED

DEMO = Path(__file__).resolve().parent.parent / "demos" / "hyperparams.py"


@pytest.fixture
def mnist() -> Path:
    if not all((SHARED / name).is_file() for name in FILES):
        (pytest.fail if os.environ.get("CI") else pytest.skip)(f"no MNIST files in {SHARED}")
    return SHARED


def test_hyperparams_quick(mnist, tmp_path):
    main = runpy.run_path(str(DEMO))["main"]
    results = main(["--quick", "--out", str(tmp_path), "--mnist", str(mnist)])
    summary = (tmp_path / "summary.md").read_text()
    assert (tmp_path / "search.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "](search.png)" in summary
    assert "| lr | width | val_accuracy | val_loss | seconds |" in summary  # format_table
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["grid"] == results["grid"]

    grid = results["grid"]
    assert sorted((r["lr"], r["width"]) for r in grid) == [
        (0.001, 16),
        (0.001, 256),
        (1.0, 16),
        (1.0, 256),
    ]
    assert len(results["random"]) == 2  # repeats
    for rows in results["random"]:
        assert len(rows) == len(grid)  # the same budget
        assert len({r["lr"] for r in rows}) == len(rows)  # a new learning rate in every run
        assert all(1e-3 <= r["lr"] <= 1 and 16 <= r["width"] <= 256 for r in rows)
    assert results["random"][0] != results["random"][1]
    for r in grid + [r for rows in results["random"] for r in rows]:
        assert 0 <= r["val_accuracy"] <= 1
    assert set(results["main_effects"]) == {"lr", "width"}


def test_main_effects_on_a_made_up_grid():
    main_effects = runpy.run_path(str(DEMO))["main_effects"]
    rows = [
        {"lr": lr, "width": w, "val_accuracy": acc}
        for lr, w, acc in [(0.1, 16, 0.9), (0.1, 64, 0.8), (1.0, 16, 0.5), (1.0, 64, 0.4)]
    ]
    effects = main_effects(rows)
    assert effects["lr"] == pytest.approx(0.4) and effects["width"] == pytest.approx(0.1)


def test_budget_must_be_a_square(tmp_path):
    main = runpy.run_path(str(DEMO))["main"]
    with pytest.raises(SystemExit):
        main(["--budget", "5", "--out", str(tmp_path)])
