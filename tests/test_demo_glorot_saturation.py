"""The Glorot and Bengio demo in quick mode: every figure, table 1 beside the paper, the cluster
command, and a second run that resumes from the results file instead of training again."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parent.parent / "demos" / "glorot_saturation.py"


def test_glorot_saturation_quick_and_resumed(tmp_path):
    main = runpy.run_path(str(DEMO))["main"]
    numbers = main(["--quick", "--out", str(tmp_path), "--datasets", "shapeset"])
    plateaus = numbers.pop("figure 5 plateau fraction")
    assert plateaus["quadratic"] > 10 * plateaus["cross_entropy"]
    assert set(numbers) == {
        "shapeset sigmoid standard 4",
        "shapeset sigmoid standard 5",
        "shapeset tanh standard 5",
        "shapeset tanh normalized 5",
        "shapeset softsign standard 5",
        "shapeset softsign normalized 5",
    }
    for r in numbers.values():
        assert 0 <= r["test_error"] <= 1 and len(r["tried"]) == 3
        assert r["lr"] in [lr for lr, _ in r["tried"]]
    # normalized initialisation keeps the Jacobians' singular values closer to 1 (section 4.2.2)
    for units in ("tanh", "softsign"):
        standard = numbers[f"shapeset {units} standard 5"]["mean_jacobian_singular_value"]
        normalized = numbers[f"shapeset {units} normalized 5"]["mean_jacobian_singular_value"]
        assert standard < normalized <= 1.5
    figures = {f"figure_{n}.png" for n in (2, 3, 4, 5, 6, 7, 8, 9, 10, 11)}
    assert {p.name for p in tmp_path.glob("*.png")} == figures
    assert all((tmp_path / f).read_bytes()[:4] == b"\x89PNG" for f in figures)
    summary = (tmp_path / "summary.md").read_text()
    assert "| tanh normalized, 5 |" in summary and "/ 15.6 |" in summary
    assert "minigrad sweep minigrad.lab.glorot:train --grid dataset=shapeset" in summary
    assert "steps=5000000 --backend dask" in summary
    runs = (tmp_path / "runs.jsonl").read_text().splitlines()
    assert len(runs) == 18  # 6 configurations x 3 learning rates
    again = main(["--quick", "--out", str(tmp_path), "--datasets", "shapeset"])
    assert (tmp_path / "runs.jsonl").read_text().splitlines() == runs  # nothing trained again
    assert again == json.loads((tmp_path / "results.json").read_text())
    assert again.pop("figure 5 plateau fraction") == plateaus and again == numbers


def test_glorot_no_train_only_draws(tmp_path, capsys):
    main = runpy.run_path(str(DEMO))["main"]
    with pytest.raises(SystemExit):
        main(["--quick", "--no-train", "--out", str(tmp_path), "--datasets", "shapeset"])
    assert "no results file" in capsys.readouterr().err
    first = main(["--quick", "--out", str(tmp_path), "--datasets", "shapeset"])
    lines = (tmp_path / "runs.jsonl").read_text()
    drawn = main(["--quick", "--no-train", "--out", str(tmp_path), "--datasets", "shapeset"])
    assert drawn == first and (tmp_path / "runs.jsonl").read_text() == lines
    # another budget: nothing of it in the file, so no run is drawn and none is trained
    other = main(["--no-train", "--budget", "7", "--out", str(tmp_path)])
    assert list(other) == ["figure 5 plateau fraction"]
    assert (tmp_path / "runs.jsonl").read_text() == lines
