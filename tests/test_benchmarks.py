"""The benchmark scripts run and their correctness checks pass (timings are not asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(script: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, f"benchmarks/{script}", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_engine_benchmark_runs():
    out = _run("bench_engine.py", "--quick")
    assert out.count("check: gradients agree") == 4
    assert "train step, MLP 784-30-30-30-30-10, batch 10: ratio" in out


def test_modes_benchmark_runs():
    out = _run("bench_modes.py", "--repeat", "1")
    assert "check: jacfwd and jacrev agree" in out
    for n, m in [(1, 1000), (1000, 1), (100, 100)]:
        assert any(line.split()[:2] == [str(n), str(m)] for line in out.splitlines())
