"""The Glorot and Bengio demo runs in quick mode and writes its figures, table and numbers."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

DEMO = Path(__file__).resolve().parent.parent / "demos" / "glorot_saturation.py"


def test_glorot_saturation_quick(tmp_path):
    main = runpy.run_path(str(DEMO))["main"]
    numbers = main(["--quick", "--out", str(tmp_path), "--datasets", "shapeset"])
    saved = json.loads((tmp_path / "results.json").read_text())
    assert set(saved["shapeset"]) == {
        "sigmoid standard",
        "tanh standard",
        "tanh normalized",
        "softsign standard",
        "softsign normalized",
    }
    rows = numbers["shapeset"]
    assert all(0 <= r["test_error"] <= 1 for r in rows.values())
    # normalized initialisation keeps the Jacobians' singular values closer to 1
    for units in ("tanh", "softsign"):
        standard = rows[f"{units} standard"]["mean_jacobian_singular_value"]
        normalized = rows[f"{units} normalized"]["mean_jacobian_singular_value"]
        assert standard < normalized <= 1.5
    pngs = list(tmp_path.glob("*.png"))
    assert len(pngs) == 5 * 5 + 1 and all(p.stat().st_size > 0 for p in pngs)
    summary = (tmp_path / "summary.md").read_text()
    assert "| tanh normalized |" in summary and "/ 15.6" in summary
