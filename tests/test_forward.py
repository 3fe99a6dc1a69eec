"""Forward mode and its compositions: dual numbers, jvp, jacfwd, Hessians, HVPs, nesting, and
custom ops with an optional jvp."""

from __future__ import annotations

import math

import numpy as np
import pytest

import minigrad as mg
from minigrad.autodiff import reverse
from minigrad.numerical import central_jacobian

ONE = np.float64(1.0)


def test_dual_numbers_carry_tangents_and_vanish_after_their_level():
    with mg.dual_level() as level:
        x = mg.make_dual(mg.tensor([1.0, 2.0], dtype=np.float64), np.array([1.0, 0.0]))
        y = (x * x).sum() + x[1]
        primal, tangent = mg.unpack_dual(y)
        assert primal.item() == 7.0 and tangent.item() == 2.0
        assert mg.unpack_dual(mg.tensor(1.0)).tangent is None
        assert type(x.astype(np.int64)) is mg.Tensor  # integers carry no tangent
        assert "level=" in repr(x) and x.level == level
    assert mg.unpack_dual(y).tangent is None
    z = x * 2  # the level is closed: x is an ordinary tensor now
    assert type(z) is mg.Tensor and z.tolist() == [2.0, 4.0]


def test_dual_errors():
    with pytest.raises(RuntimeError, match="dual_level"):
        mg.make_dual(mg.tensor(1.0), mg.tensor(1.0))
    with mg.dual_level():
        with pytest.raises(RuntimeError, match="dual tensor"):
            mg.make_dual(mg.zeros(2), mg.ones(2)).add_(1.0)
        with pytest.raises(ValueError, match=r"tangent has shape \(2,\).*\(3,\)"):
            mg.make_dual(mg.zeros(3), mg.zeros(2))
        with pytest.raises(TypeError, match="floating-point"):
            mg.make_dual(mg.tensor([1, 2]), np.zeros(2))


def test_jvp_runs_no_backward_pass_and_builds_no_graph(monkeypatch):
    def no_backward(*args, **kwargs):
        raise AssertionError("jvp must not run a backward pass")

    monkeypatch.setattr(reverse, "backward", no_backward)
    x = np.array([0.5, -1.0])
    out, tangent = mg.jvp(lambda t: (t.tanh() * t).sum(), (x,), (np.array([1.0, 2.0]),))
    expected = np.sum((np.tanh(x) + x * (1 - np.tanh(x) ** 2)) * [1.0, 2.0])
    assert tangent.item() == pytest.approx(expected, rel=1e-12)
    assert not out.requires_grad and not tangent.requires_grad


def test_jvp_output_structures():
    x = np.array([1.0, 2.0])
    u = np.array([1.0, 1.0])
    (a, b), (da, db) = mg.jvp(lambda t: (t * 2, t.sum()), (x,), (u,))
    assert da.tolist() == [2.0, 2.0] and db.item() == 2.0
    out, tangent = mg.jvp(lambda t: {"sq": t * t, "const": mg.tensor(3.0)}, (x,), (u,))
    assert tangent["sq"].tolist() == [2.0, 4.0] and tangent["const"].item() == 0.0
    (_, _), (dx, dy) = mg.jvp(lambda s, t: [s * t, s + t], (x, x), (u, 0 * u))
    assert dx.tolist() == [1.0, 2.0] and dy.tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="2 primals but 1 tangents"):
        mg.jvp(lambda s, t: s * t, (x, x), (u,))


def test_seed_004_sigmoid_example_in_both_modes():
    """f(x; w, b) = sigmoid(w x + b) at x = 1, w = 0, b = 0 (seed 004, eqs. 5.62-5.73)."""
    steps = [
        lambda x, w, b: x * w,  # h1
        lambda h: h + b0,  # h2
        lambda h: -h,  # h3
        lambda h: h.exp(),  # h4
        lambda h: h + 1,  # h5
        lambda h: 1 / h,  # h6
    ]
    x0, b0 = mg.tensor(1.0, dtype=np.float64), mg.tensor(0.0, dtype=np.float64)
    with mg.dual_level():  # forward mode: dh_k/dw for k = 1..6
        w = mg.make_dual(mg.tensor(0.0, dtype=np.float64), ONE)
        hs = [steps[0](x0, w, b0)]
        for step in steps[1:]:
            hs.append(step(hs[-1]))
        values = [mg.unpack_dual(h).primal.item() for h in hs]
        tangents = [mg.unpack_dual(h).tangent.item() for h in hs]
    assert values == [0.0, 0.0, 0.0, 1.0, 2.0, 0.5]
    assert tangents == [1.0, 1.0, -1.0, -1.0, -1.0, 0.25]
    w = mg.tensor(0.0, dtype=np.float64, requires_grad=True)  # reverse mode: df/dh_k
    hs = [steps[0](x0, w, b0)]
    for step in steps[1:]:
        hs.append(step(hs[-1]).retain_grad())
    hs[0].retain_grad()
    hs[-1].backward()
    assert [h.grad.item() for h in hs] == [0.25, 0.25, -0.25, -0.25, -0.25, 1.0]
    assert w.grad.item() == 0.25
    fused = lambda w, b: (w * 1.0 + b).sigmoid()
    assert [j.item() for j in mg.jacfwd(fused, argnums=(0, 1))(0.0, 0.0)] == [0.25, 0.25]
    assert [g.item() for g in mg.grad(fused, argnums=(0, 1))(0.0, 0.0)] == [0.25, 0.25]


def test_jacfwd_equals_jacrev():
    rng = np.random.default_rng(0)
    a = mg.Tensor(rng.standard_normal((4, 3)))
    f = lambda x, y: (a @ mg.tanh(x)) * mg.sum(y) + mg.softmax(a @ x)
    x, y = rng.standard_normal(3), rng.standard_normal(2)
    for k in (0, 1):
        fwd, rev = mg.jacfwd(f, k)(x, y), mg.jacrev(f, k)(x, y)
        assert fwd.shape == rev.shape == (4, (x, y)[k].size)
        np.testing.assert_allclose(fwd.data, rev.data, rtol=1e-12, atol=1e-14)
    (jx, jy) = mg.jacfwd(f, argnums=(0, 1))(x, y)
    assert jx.shape == (4, 3) and jy.shape == (4, 2)


def _numeric_hessian(f, x):
    """Central differences of the (first-order, reverse-mode) gradient."""
    (h,) = central_jacobian(lambda z: mg.grad(f)(z).data, [x])
    return h.reshape(x.shape + x.shape)


def _mlp_loss(params, labels):
    w1, w2 = params

    def loss(x):
        hidden = (x @ w1).tanh()
        logp = (hidden @ w2).log_softmax(axis=-1)
        return -logp[np.arange(len(labels)), labels].mean()

    return loss


COMPOSITES = {
    "softmax_cross_entropy": (lambda z: -mg.log_softmax(z)[1], (5,)),
    "logsumexp": (lambda z: mg.logsumexp(z * 3.0), (6,)),
    "mlp_loss": (
        _mlp_loss(
            [
                mg.Tensor(np.random.default_rng(1).standard_normal((3, 4))),
                mg.Tensor(np.random.default_rng(2).standard_normal((4, 3))),
            ],
            np.array([0, 2]),
        ),
        (2, 3),
    ),
    "var_and_prod": (lambda z: z.var() * z.prod() + (z.sigmoid() ** 2).sum(), (4,)),
}


@pytest.mark.parametrize("name", COMPOSITES)
def test_hessian_and_hvp_match_central_differences(name):
    f, shape = COMPOSITES[name]
    rng = np.random.default_rng(3)
    x, v = rng.standard_normal(shape), rng.standard_normal(shape)
    expected = _numeric_hessian(f, x)
    hess = mg.hessian(f)(x)
    assert hess.shape == shape + shape
    np.testing.assert_allclose(hess.data, expected, rtol=1e-5, atol=1e-7)
    flat = expected.reshape(x.size, x.size)
    np.testing.assert_allclose(
        mg.hvp(f, x, v).data, (flat @ v.reshape(-1)).reshape(shape), rtol=1e-5, atol=1e-7
    )
    np.testing.assert_allclose(mg.jacrev(mg.grad(f))(x).data, expected, rtol=1e-5, atol=1e-7)


def test_quadratic_form_hessian_is_exact():
    a = np.random.default_rng(4).standard_normal((4, 4))
    f = lambda x: x @ (mg.Tensor(a) @ x)
    x = np.random.default_rng(5).standard_normal(4)
    np.testing.assert_allclose(mg.hessian(f)(x).data, a + a.T, rtol=1e-13)
    blocks = mg.hessian(lambda x, y: (x * y).sum() + (x**2).sum(), argnums=(0, 1))(x, x)
    np.testing.assert_allclose(blocks[0][0].data, 2 * np.eye(4))
    np.testing.assert_allclose(blocks[0][1].data, np.eye(4))
    np.testing.assert_allclose(blocks[1][1].data, np.zeros((4, 4)))


def _fwd(f):
    """Derivative of a scalar function by forward mode."""
    return lambda x: mg.jvp(f, (x,), (ONE,))[1]


NESTINGS = {
    "reverse-over-reverse": lambda f: mg.grad(mg.grad(f)),
    "forward-over-reverse": lambda f: _fwd(mg.grad(f)),
    "reverse-over-forward": lambda f: mg.grad(_fwd(f)),
    "forward-over-forward": lambda f: _fwd(_fwd(f)),
}


@pytest.mark.parametrize("nesting", NESTINGS)
def test_no_perturbation_confusion(nesting):
    """`outer-over-inner`: the outer transform differentiates a function that uses the inner."""
    outer = mg.grad if nesting.startswith("reverse") else _fwd
    inner = mg.grad if nesting.endswith("reverse") else _fwd
    # d/dx [x * (d/dy (x + y))] = 1
    f = lambda x: x * inner(lambda y: x + y)(np.float64(1.0))
    assert outer(f)(np.float64(3.0)).item() == 1.0
    # d/dx [x * (d/dy (x y))|_{y = x}] = d/dx [x * x] = 2x
    h = lambda x: x * inner(lambda y: x * y)(x)
    assert outer(h)(np.float64(3.0)).item() == 6.0


@pytest.mark.parametrize("nesting", NESTINGS)
@pytest.mark.parametrize(
    ("f", "second"),
    [
        (mg.sin, lambda x: -math.sin(x)),
        (mg.exp, math.exp),
        (mg.tanh, lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2)),
    ],
    ids=["sin", "exp", "tanh"],
)
def test_second_derivatives_in_every_nesting(nesting, f, second):
    assert NESTINGS[nesting](f)(np.float64(0.7)).item() == pytest.approx(second(0.7), rel=1e-12)


@pytest.mark.parametrize(
    "inner",
    [
        "reverse-over-reverse",
        "forward-over-reverse",
        "reverse-over-forward",
        "forward-over-forward",
    ],
)
@pytest.mark.parametrize("outer", ["forward", "reverse"])
def test_third_derivative_of_x4(inner, outer):
    d = _fwd if outer == "forward" else mg.grad
    third = d(NESTINGS[inner](lambda x: x**4))
    assert third(np.float64(2.0)).item() == pytest.approx(24 * 2.0, rel=1e-12)


def test_linearize():
    out, f_jvp = mg.linearize(lambda x: x.sin() * 2, np.array([0.0, 1.0]))
    np.testing.assert_allclose(out.data, 2 * np.sin([0.0, 1.0]))
    np.testing.assert_allclose(f_jvp(np.array([1.0, 1.0])).data, 2 * np.cos([0.0, 1.0]))


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


class SoftsignNoJvp(mg.Function):
    name = "softsign_without_jvp"
    forward = Softsign.forward
    backward = Softsign.backward


def test_custom_function_in_both_modes():
    x = np.array([-1.5, 0.2, 3.0])
    (jac,) = central_jacobian(lambda a: Softsign.apply(mg.Tensor(a)).data, [x])
    np.testing.assert_allclose(mg.jacrev(Softsign.apply)(x).data, jac, rtol=1e-7)
    np.testing.assert_allclose(mg.jacfwd(Softsign.apply)(x).data, jac, rtol=1e-7)
    t = mg.tensor(x, requires_grad=True)
    (Softsign.apply(t) * 2).sum().backward()
    np.testing.assert_allclose(t.grad.data, 2 * jac.sum(axis=0), rtol=1e-7)


def test_custom_function_errors_name_the_op():
    x = np.array([1.0, 2.0])
    with pytest.raises(RuntimeError, match="softsign_without_jvp.*jvp"):
        mg.jacfwd(SoftsignNoJvp.apply)(x)
    with pytest.raises(RuntimeError, match="`Softsign`.*cannot be differentiated again"):
        mg.hessian(lambda t: Softsign.apply(t).sum())(x)
    assert mg.grad(lambda t: Softsign.apply(t).sum())(x).shape == (2,)

    class BadShape(mg.Function):
        forward = Softsign.forward

        @staticmethod
        def backward(ctx, g):
            return g.sum()

    with pytest.raises(ValueError, match=r"`BadShape`.*shape \(\) for input 0 of shape \(2,\)"):
        mg.grad(lambda t: BadShape.apply(t).sum())(x)


def test_custom_function_context():
    seen = {}

    class Scale(mg.Function):
        @staticmethod
        def forward(ctx, x, k):
            seen["needs"] = ctx.needs_input_grad
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g * 3.0, None

    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = Scale.apply(x, 3.0)
    assert seen["needs"] == (True, False) and "op=Scale" in repr(y)
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
