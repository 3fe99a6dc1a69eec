"""The benchmark scripts run and their correctness checks pass (timings are not asserted)."""

from __future__ import annotations

import re
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


TIME = r"\d+(\.\d+)? \(\d+%\)"  # median (IQR as % of the median)
RATIO = r"\d+(\.\d+)? \[\d+(\.\d+)?-\d+(\.\d+)?\]"  # median [IQR]
MB = r"\d+\.\d\d MB( \[\d+\.\d\d-\d+\.\d\d\])?"  # median [min-max]


def _cells(out: str, *first: str) -> list[str]:
    """The cells after `first` of the one table row whose first cells are `first` (cells are
    separated by two or more spaces; a line holding `first` alone is a heading)."""
    rows = [re.split(r"\s{2,}", line.strip()) for line in out.splitlines()]
    rows = [r[len(first) :] for r in rows if tuple(r[: len(first)]) == first and r != list(first)]
    assert len(rows) == 1, (first, out)
    return rows[0]


def _matches(cells: list[str], *patterns: str) -> bool:
    return len(cells) == len(patterns) and all(
        re.fullmatch(p, c) for p, c in zip(patterns, cells, strict=True)
    )


def test_train_benchmark_runs():
    out = _run("bench_train.py", "--quick")
    assert out.count("check: idiomatic, hand-tuned and NumPy agree (loss ") == 4
    assert _cells(out, "workload")[0] == "idiomatic ms (IQR)"  # idiomatic numbers come first
    for net in ("784-30x4-10", "784-1000x5-10"):
        for batch in (10, 128):
            name = f"MLP {net}, batch {batch}"
            assert _matches(_cells(out, name), TIME, TIME, TIME, RATIO, RATIO), out
            assert re.search(rf"  {name}: idiomatic \S+x, hand-tuned \S+x", out)


def test_train_benchmark_profiles():
    out = _run("bench_train.py", "--profile", "--quick", "--keep-memory")
    assert "cProfile of 100 idiomatic steps, MLP 784-30x4-10, batch 10" in out
    assert "Ordered by: internal time" in out and "reverse.py" in out


def test_memory_benchmark_runs():
    out = _run("bench_memory.py", "--quick")
    assert "check: tracemalloc sees NumPy's buffers: np.ones(100_000, float32)" in out
    assert "check: NumPy's step peak" in out
    assert "check: the 100-op chain's gradients agree" in out
    ratio = r"\d+\.\d\d"
    for what in ("idiomatic", "hand-tuned"):
        cells = _cells(out, f"train step, MLP 784-1000x5-10, batch 128, {what}")
        assert _matches(cells, MB, MB, ratio), out
    for what in ("forward, graph held", "forward + backward"):
        cells = _cells(out, f"chain of 100 ops, 100_000 elements, {what}")
        assert _matches(cells, MB, MB, ratio), out


def test_jacobians_benchmark_runs():
    out = _run("bench_jacobians.py", "--quick")
    assert re.search(r"OPENBLAS_NUM_THREADS=\d", out.splitlines()[0])  # set before NumPy loads
    checks = [line for line in out.splitlines() if "check: jacfwd = jacrev = closed form" in line]
    assert len(checks) == 2 and all("hvp = hessian @ v = closed form" in c for c in checks)
    for name in ("jacfwd", "jacrev", "hessian", "hvp"):
        for n in ("10", "100"):
            assert _matches(_cells(out, name, n), TIME, TIME, RATIO), out
    assert "n = 1000" not in out  # --quick skips n = 1000


def test_compiled_benchmark_runs():
    out = _run("bench_compiled.py", "--quick")
    assert "check: the compiled step gives NumPy's loss and update" in out
    assert "check: the compiled, eager and NumPy chain gradients agree" in out
    cells = _cells(out, "train step, MLP 784-30x4-10, batch 10")
    assert _matches(cells, TIME, TIME, TIME, RATIO, RATIO, r"\d+\.\d ms")


def test_activations_benchmark_runs():
    out = _run("bench_activations.py", "--quick")
    assert out.count("check: relu, sigmoid and tanh gradients agree with NumPy's") == 2
    assert out.count("bare ufuncs: np.maximum(x, 0) ") == 2
    for act in ("relu", "sigmoid", "tanh"):
        for size in ("1,000", "1,000,000"):
            cells = _cells(out, act, size)
            assert _matches(cells, TIME, RATIO, TIME, RATIO, "us|ms"), out
    for size in ("1,000", "1,000,000"):
        assert re.search(rf"  sigmoid, size {size}: minigrad \S+, numpy \S+", out)
