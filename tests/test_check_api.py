"""One-line checks of custom ops: Function.check, the pytest helper and `minigrad check`."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import minigrad as mg
from minigrad.cli import main, parse_shape
from minigrad.testing import gradcheck_test
from tests.test_gradcheck import MatMul, Softsign, SoftsignWrongSign

# The pytest helper: each line is a whole test.
test_softsign_checks_itself = gradcheck_test(Softsign)
test_matmul_checks_itself = gradcheck_test(MatMul, [(2, 3), (3, 4)], [(1, 5), (5, 2)])
test_composite_checks_itself = gradcheck_test(
    lambda x: (x * x.sigmoid()).sum(), [(4,)], second_order=True
)


def test_function_check_in_one_line():
    results = Softsign.check()
    assert len(results) == 6 and all(results)
    assert all(c.mode in ("rev", "fwd", "adjoint") for r in results for c in r.checks)
    with pytest.raises(mg.GradcheckError, match=r"trial 0 with input shapes \[\(3,\)\]"):
        SoftsignWrongSign.check()


def test_the_helper_fails_for_a_broken_op():
    broken = gradcheck_test(SoftsignWrongSign, [(3,)])
    assert broken.__name__ == "test_gradcheck_SoftsignWrongSign"
    with pytest.raises(mg.GradcheckError, match="reverse mode"):
        broken()


OPS = textwrap.dedent("""
    import numpy as np
    import minigrad as mg

    class Softsign(mg.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x / (1 + np.abs(x))

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return SIGN g / (1 + np.abs(x)) ** 2

    def affine(x, w):
        return (x @ w).tanh()
""")


@pytest.fixture
def ops_file(tmp_path):
    def write(sign: str):
        path = tmp_path / f"ops_{'bad' if sign else 'good'}.py"
        path.write_text(OPS.replace("SIGN", sign))
        return path

    return write


def test_cli_passes_and_fails_with_exit_status(ops_file, capsys):
    good, bad = ops_file(""), ops_file("-")
    assert main(["check", f"{good}:Softsign"]) == 0
    out = capsys.readouterr().out
    assert "all checks passed" in out and "gradcheck passed" in out
    assert main(["check", f"{bad}:Softsign", "--trials", "1"]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "input element (0,)" in out and "`Softsign`" in out
    assert main(["check", f"{good}:affine", "--shapes", "2,3", "3,4", "--second-order"]) == 0


def test_cli_as_a_program(ops_file):
    bad = ops_file("-")
    result = subprocess.run(
        [sys.executable, "-m", "minigrad", "check", f"{bad}:Softsign"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1 and "gradcheck failed in reverse mode" in result.stdout


def test_cli_errors_and_shapes(capsys):
    assert parse_shape("3,4") == (3, 4) and parse_shape("()") == () and parse_shape("5") == (5,)
    for argv, message in [
        (["check", "nocolon"], "FILE.py:NAME"),
        (["check", "missing.py:f"], "no such file"),
        (["check", "numpy:nope"], "has no 'nope'"),
    ]:
        assert main(argv) == 2
        assert message in capsys.readouterr().err
    assert np.isfinite(mg.gradcheck(mg.tanh, np.array([0.1])).checks[0].max_abs)


def test_cli_runs_a_demo(tmp_path, capsys):
    assert main(["run", "numerical_diff", "--quick", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "summary.md").exists()
    assert main(["run", "nope"]) == 2
    assert re.search("no demo 'nope'.*numerical_diff", capsys.readouterr().err)
