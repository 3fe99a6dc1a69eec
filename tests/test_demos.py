"""Every demo runs (in its quick form) inside the test suite."""

from __future__ import annotations

import runpy
from pathlib import Path

import numpy as np

import minigrad as mg

DEMOS = Path(__file__).resolve().parent.parent / "demos"


def test_quickstart_reproduces_seed_004(capsys):
    try:
        runpy.run_path(str(DEMOS / "quickstart.py"), run_name="__main__")
    finally:
        mg.set_default_dtype(np.float32)
    out = capsys.readouterr().out
    assert "reverse mode:  df/dw = 0.2500   df/db = 0.2500   (seed 004: 0.25)" in out
    assert "forward mode:  df/dw = dh6/dw = 0.2500" in out
    rows = {
        line.split()[0]: line.split()[1:]
        for line in out.splitlines()
        if line.strip().startswith("h")
    }
    table = [rows[f"h{k}"] for k in range(1, 7)]
    assert [r[0] for r in table] == ["0.0000", "0.0000", "0.0000", "1.0000", "2.0000", "0.5000"]
    assert [r[1] for r in table] == ["1.0000", "1.0000", "-1.0000", "-1.0000", "-1.0000", "0.2500"]
    assert [r[2] for r in table] == ["0.2500", "0.2500", "-0.2500", "-0.2500", "-0.2500", "1.0000"]
    assert "fused sigmoid op:     df/dw = 0.2500" in out


def test_numerical_diff_demo_quick(tmp_path):
    demo = runpy.run_path(str(DEMOS / "numerical_diff.py"))
    results = demo["main"](["--quick", "--out", str(tmp_path)])
    for name in ("eps_sweep.png", "eps_sweep.json", "summary.md"):
        assert (tmp_path / name).stat().st_size > 0
    assert (tmp_path / "eps_sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for r in results.values():
        errors = np.array(r["central_error"])
        best = int(np.argmin(errors))
        assert 0 < best < len(errors) - 1  # a V: worse at both ends than in the middle
        assert 1e-8 <= r["best_eps_central"] <= 1e-3


def test_mlp_graph_demo(tmp_path):
    demo = runpy.run_path(str(DEMOS / "mlp_graph.py"))
    written = demo["main"](["--out", str(tmp_path), "--depth", "3"])
    assert all(p.exists() and p.stat().st_size > 0 for p in written)
