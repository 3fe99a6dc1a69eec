"""gradcheck and gradgradcheck: correct ops pass, planted bugs are caught and located, kinks
are reported as kinks, and every core op passes both."""

from __future__ import annotations

import re

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

import minigrad as mg
from minigrad.autodiff.graph import Primitive
from minigrad.functional import _apply
from minigrad.gradcheck import GradcheckWarning, locate_second_order
from minigrad.numerical import eps_sweep
from tests.op_cases import CASES

RNG = np.random.default_rng(0)


class Softsign(mg.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x / (1 + np.abs(x))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (1 + np.abs(x)) ** 2

    @staticmethod
    def jvp(ctx, dx):
        (x,) = ctx.saved_tensors
        return dx / (1 + np.abs(x)) ** 2


class SoftsignWrongSign(Softsign):
    @staticmethod
    def backward(ctx, g):
        return -Softsign.backward(ctx, g)


class SoftsignWrongJvp(Softsign):
    @staticmethod
    def jvp(ctx, dx):
        return 2 * Softsign.jvp(ctx, dx)


class Cube(mg.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * x**2 * g

    @staticmethod
    def jvp(ctx, dx):
        (x,) = ctx.saved_tensors
        return 3 * x**2 * dx


class CubeFactorTwo(Cube):
    @staticmethod
    def backward(ctx, g):
        return 2 * Cube.backward(ctx, g)


class MatMul(mg.Function):
    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return x @ w

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        return g @ w.T, x.T @ g


class MatMulTransposed(MatMul):
    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        return g @ w.T, g.T @ x  # the weight gradient transposed


class AddBias(mg.Function):
    @staticmethod
    def forward(ctx, x, b):
        return x + b

    @staticmethod
    def backward(ctx, g):
        return g, g.sum(axis=0)


class AddBiasNoUnbroadcast(AddBias):
    @staticmethod
    def backward(ctx, g):
        return g, g  # forgot to sum over the broadcast axis


class SquareDetached(Primitive, register=False):
    """y = x^2;   dy = 2 x dx, but the VJP reads x as a constant: wrong second derivative."""

    __slots__ = ()
    name = "square_detached"

    def forward(self, x):
        return x * x

    def vjp(self, xp, i, g, ans, x):
        return g * 2 * (x.detach() if isinstance(x, mg.Tensor) else x)

    def jvp(self, xp, i, dx, ans, x):
        return dx * 2 * x


def square_detached(x):
    return _apply(SquareDetached(), x)


def _message(excinfo) -> str:
    return str(excinfo.value)


@pytest.mark.parametrize(
    ("op", "inputs"),
    [(Softsign, [(3, 2)]), (Cube, [(4,)]), (MatMul, [(2, 3), (3, 4)]), (AddBias, [(2, 3), (3,)])],
)
def test_correct_custom_ops_pass_in_both_modes(op, inputs):
    arrays = [RNG.standard_normal(s) for s in inputs]
    result = mg.gradcheck(op.apply, *arrays, modes=("rev", "fwd") if op.jvp else ("rev",))
    assert result and result.passed
    assert "gradcheck passed" in repr(result) and "max abs err" in repr(result)


@pytest.mark.parametrize(
    ("op", "inputs", "mode", "bad_input"),
    [
        (SoftsignWrongSign, [(3, 2)], "reverse mode", 0),
        (CubeFactorTwo, [(4,)], "reverse mode", 0),
        (MatMulTransposed, [(3, 3), (3, 3)], "reverse mode", 1),
        (SoftsignWrongJvp, [(3, 2)], "forward mode", 0),
    ],
    ids=["sign", "factor-2", "transposed-matmul", "wrong-jvp"],
)
def test_planted_bugs_are_caught_with_mode_input_and_element(op, inputs, mode, bad_input):
    arrays = [RNG.uniform(0.5, 2.0, s) for s in inputs]
    with pytest.raises(mg.GradcheckError) as excinfo:
        mg.gradcheck(op.apply, *arrays)
    message = _message(excinfo)
    assert f"failed in {mode}" in message
    assert f"d(output 0)/d(input {bad_input})" in message
    assert re.search(r"input element \(\d+(, \d+)*,?\): analytic -?[\d.e+-]+ vs numeric", message)
    assert f"`{op.__name__}`" in message  # the culprit node is named
    assert "atol 1e-05 + rtol 0.001" in message


def test_missing_unbroadcast_is_caught_and_names_the_input():
    with pytest.raises(
        mg.GradcheckError,
        match=r"reverse mode: custom op `AddBiasNoUnbroadcast`"
        r".*shape \(2, 3\) for input 1 of shape \(3,\)",
    ):
        mg.gradcheck(
            AddBiasNoUnbroadcast.apply,
            RNG.standard_normal((2, 3)),
            RNG.standard_normal(3),
            modes=("rev",),
        )


def test_wrong_second_derivative_is_caught_by_gradgradcheck_only():
    x = RNG.uniform(0.5, 2.0, 3)
    f = lambda t: (square_detached(t) * t.sin()).sum()
    assert mg.gradcheck(f, x)
    with pytest.raises(mg.GradcheckError) as excinfo:
        mg.gradgradcheck(f, x)
    message = _message(excinfo)
    assert "gradgradcheck failed in reverse-over-reverse" in message
    assert "d(output 0)/d(input 0)" in message and "input element (" in message
    assert "culprit: node 1, `square_detached`: the derivative of its VJP" in message
    assert mg.gradgradcheck(lambda t: (t * t * t.sin()).sum(), x)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@settings(max_examples=3)
@given(data=st.data())
def test_every_rule_is_differentiable_as_written(case, data):
    arrays, params = data.draw(case.inputs)
    culprit = locate_second_order(lambda *xs: case.fn(*xs, **params), arrays)
    assert culprit is None, str(culprit)


def test_culprit_is_the_broken_node_among_many():
    def f(x):
        h = x.tanh() * 2 + 1
        h = Softsign.apply(h).exp() - h.sigmoid()
        h = Cube.apply(h) / 3
        h = CubeFactorTwo.apply(h * 0.5)
        return (h.log1p() + h.sin()).sum()

    result = mg.gradcheck(f, RNG.uniform(0.1, 0.5, 4), modes=("rev",), raise_exception=False)
    assert not result
    assert result.culprit is not None and result.culprit.name == "CubeFactorTwo"
    assert re.match(
        r"node \d+, `CubeFactorTwo`, gradient w.r.t. input 0 off by", str(result.culprit)
    )


def test_result_object_fields():
    result = mg.gradcheck(
        lambda x, y: (x * y, x.sum()), RNG.standard_normal(3), RNG.standard_normal(3)
    )
    assert {(c.mode, c.output, c.input) for c in result.checks} >= {
        ("rev", 0, 0),
        ("rev", 0, 1),
        ("rev", 1, 0),
        ("fwd", 1, 1),
        ("adjoint", None, None),
    }
    check = result.checks[0]
    assert check.max_abs < 1e-8 and check.passed and check.out_index is not None
    result = mg.gradcheck(
        CubeFactorTwo.apply, np.array([1.0, 2.0]), raise_exception=False, modes=("rev",)
    )
    worst = [c for c in result.checks if not c.passed][0]
    assert worst.in_index == (1,) and worst.analytic == pytest.approx(24.0)
    assert worst.numeric == pytest.approx(12.0, rel=1e-6)
    assert "NO" in repr(result) and "culprit" in repr(result)


@pytest.mark.parametrize(
    ("f", "x", "element"),
    [
        (mg.relu, [0.0, 1.0, -2.0], (0,)),
        (mg.abs, [0.5, 0.0], (1,)),
        (lambda t: t.max(), [1.0, 3.0, 3.0], (1,)),
        (lambda t: mg.clip(t, -1.0, 1.0), [0.3, 1.0], (1,)),
        (lambda t: mg.maximum(t, mg.tensor(0.5, dtype=np.float64)), [0.5, 2.0], (0,)),
    ],
    ids=["relu-at-0", "abs-at-0", "max-tie", "clip-bound", "maximum-tie"],
)
def test_kinks_are_reported_as_kinks(f, x, element):
    result = mg.gradcheck(f, np.array(x))
    assert result.passed
    assert any(index == element for _, (index, _, _) in result.kinks)
    assert "kink: input 0 element" in repr(result) and "not differentiable there" in repr(result)


def test_float32_is_promoted_with_a_warning():
    with pytest.warns(GradcheckWarning, match="input 0 is float32.*float64.*round-off"):
        result = mg.gradcheck(mg.tanh, np.array([0.3, 0.7], dtype=np.float32))
    assert result.passed


def test_fast_mode_passes_and_locates_after_a_failed_projection():
    x = RNG.uniform(0.5, 2.0, (2, 3))
    result = mg.gradcheck(Softsign.apply, x, fast=True)
    assert result and "fast: random projections only" in repr(result)
    with pytest.raises(mg.GradcheckError, match=r"input element \(\d, \d\)"):
        mg.gradcheck(SoftsignWrongSign.apply, x, fast=True)


def test_gradcheck_errors_for_bad_inputs():
    with pytest.raises(TypeError, match="input 0 has dtype int64"):
        mg.gradcheck(mg.tanh, np.array([1, 2]))
    with pytest.raises(TypeError, match="Tensor or a tuple of Tensors"):
        mg.gradcheck(lambda x: 3.0, np.array([1.0]))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@settings(max_examples=10)
@given(data=st.data())
def test_every_op_passes_gradcheck_and_gradgradcheck(case, data):
    arrays, params = data.draw(case.inputs)
    f = lambda *xs: case.fn(*xs, **params)
    assert mg.gradcheck(f, *arrays)
    assert mg.gradgradcheck(f, *arrays)


def test_eps_sweep_shows_the_truncation_round_off_v():
    x = np.array([0.7, 1.3])
    exact = mg.jvp(mg.sin, (x,), (np.ones(2),))[1].data
    sweep = eps_sweep(np.sin, x, exact)
    assert 1e-7 <= sweep.best_eps <= 1e-4  # central differences: best near 1e-5 in float64
    assert 1e-10 <= sweep.best_forward_eps <= 1e-6  # forward differences: best near 1e-8
    at = lambda e: int(np.argmin(np.abs(sweep.eps - e)))
    best = at(sweep.best_eps)
    assert sweep.central_error[at(1e-1)] > 1e3 * sweep.central_error[best]  # truncation
    assert sweep.central_error[at(1e-12)] > 1e3 * sweep.central_error[best]  # round-off
    h = 1e-2 * 1.3  # the step is eps * max(1, |x|)
    assert sweep.forward_error[at(1e-2)] == pytest.approx(h * np.sin(x).max() / 2, rel=0.05)
