"""HIPS/autograd's graph and transform tests (test_graphs, test_core, test_direct, test_wrappers,
test_jacobian, test_logic, test_tests) re-expressed for minigrad: fan-out, constants, nested and
third derivatives, value_and_grad, argnums, Jacobians, Hessians and their products, and a
gradient checker that must fail on wrong derivatives."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
from tests.test_peers_autograd import F, R, check, same


# -- graphs (test_graphs, test_core, test_direct) -------------------------------------------
def test_fanout_and_derivatives_to_third_order():
    fun = lambda x: mg.sin(mg.sin(x) + mg.sin(x))
    x = F(0.3)
    d1, d2, d3 = mg.grad(fun), mg.grad(mg.grad(fun)), mg.grad(mg.grad(mg.grad(fun)))
    s, c = np.sin(x), np.cos(x)
    assert np.isclose(d1(x).item(), 2 * c * np.cos(2 * s), rtol=1e-12)
    assert np.isclose(d2(x).item(), -2 * s * np.cos(2 * s) - 4 * c**2 * np.sin(2 * s))
    expected3 = -2 * c * np.cos(2 * s) + 12 * s * c * np.sin(2 * s) - 8 * c**3 * np.cos(2 * s)
    assert np.isclose(d3(x).item(), expected3, rtol=1e-10)
    for f in [fun, d1, d2]:
        check(f, x, order=1)


def test_third_derivatives_in_mixed_arguments():
    fun = lambda x, y: mg.sin(mg.sin(x) + mg.sin(y))
    x, y = F(0.4), F(-0.7)
    for f in [fun, mg.grad(fun), mg.grad(fun, 1), mg.grad(mg.grad(fun, 1), 0)]:
        check(f, x, y, order=1)
    d_xyx = mg.grad(mg.grad(mg.grad(fun, 0), 1), 0)(x, y).item()
    d_yxx = mg.grad(mg.grad(mg.grad(fun, 1), 0), 0)(x, y).item()
    # f = sin(u), u = sin x + sin y: f_xy = -sin(u) cos x cos y, and the order does not matter
    assert np.isclose(d_xyx, d_yxx, rtol=1e-12)
    u = np.sin(x) + np.sin(y)
    expected = np.cos(y) * (np.sin(x) * np.sin(u) - np.cos(x) ** 2 * np.cos(u))
    assert np.isclose(d_xyx, expected, rtol=1e-12)


def test_grad_of_identity_constant_and_ignored_argument():
    assert mg.grad(lambda x: x)(F(2.0)).item() == 1.0
    assert mg.grad(mg.grad(lambda x: x))(F(2.0)).item() == 0.0
    assert mg.grad(lambda x: mg.tensor(F(1.0)))(F(2.0)).item() == 0.0
    assert mg.grad(lambda x: mg.sin(mg.tensor(F(1.0))))(np.ones(3)).tolist() == [0, 0, 0]
    assert mg.grad(mg.grad(lambda x: 3 * x + 1))(F(2.0)).item() == 0.0
    assert mg.jacrev(lambda x: mg.tensor(np.ones(2)))(np.ones(3)).shape == (2, 3)
    assert not mg.hessian(lambda x: x.sum())(np.ones(3)).data.any()
    with pytest.raises(TypeError, match="must return a scalar.*got float"):
        mg.grad(lambda x: 1.0)(F(2.0))
    with pytest.raises(TypeError, match=r"must return a scalar.*shape \(2,\)"):
        mg.grad(lambda x: x * 2)(np.zeros(2))
    with pytest.raises(TypeError, match="floating-point"):
        mg.grad(lambda x: x * 2.0)(3)


def test_nested_grad_closing_over_the_outer_variable():
    assert np.isclose(mg.grad(lambda x: x * mg.grad(lambda y: x * y)(F(2.0)))(F(1.3)).item(), 2.6)
    assert np.isclose(mg.grad(lambda x: x * mg.grad(lambda y: y * x)(F(2.0)))(F(1.3)).item(), 2.6)
    check(lambda x: x * mg.grad(lambda y: x * y)(F(2.0)), F(1.0), order=1)
    v = R(10)
    df = mg.grad(lambda x: mg.sin(x @ v))
    check(lambda x, w: mg.sin(w @ df(x)), R(10), R(10), order=1)


def test_gradient_reaching_a_node_twice():
    def fun(a, index):
        b = a + 1.0
        c = (b[0] if index else b) + 1.5
        return a + b + c

    for index in [False, True]:
        check(lambda a, i=index: fun(a, i), R(5))
    check(lambda a: mg.grad(lambda t: mg.sin(fun(t, True)).sum())(a), R(5), order=1)


@pytest.mark.parametrize(
    "shape, axis, keepdims",
    [
        ((3, 3), None, True),
        ((3, 1), 0, False),
        ((1, 3), 1, False),
        ((3, 1), 0, True),
        ((1, 3), 1, True),
    ],
)
def test_singleton_outputs(shape, axis, keepdims):
    fun = lambda x: mg.sum(mg.sin(x), axis=axis, keepdims=keepdims)
    check(fun, R(*shape), order=1)
    check(lambda x: mg.sum(mg.grad(lambda t: fun(t).sum())(x)), R(*shape), order=1)


def test_item_assignment_inside_grad_is_refused():
    def fun(a, b):
        a[1] = b
        return a.sum()

    with pytest.raises(RuntimeError, match="in place is not recorded"):
        mg.grad(fun)(R(5), F(3.0))


def test_direct_value():
    fun = lambda x: (x + mg.sin(x**2)) * x
    assert abs(mg.grad(fun)(F(1.3)).item() - 3.190948746871) < 1e-9
    assert abs(mg.jvp(fun, (F(1.3),), (F(1.0),))[1].item() - 3.190948746871) < 1e-9


# -- wrappers (test_wrappers, test_jacobian) ----------------------------------------------
def test_value_and_grad():
    fun = lambda x: mg.sum(mg.sin(x) ** 2)
    x = R(5)
    value, grad = mg.value_and_grad(fun)(x)
    same(value, np.sum(np.sin(x) ** 2))
    same(grad, 2 * np.sin(x) * np.cos(x))
    check(lambda t: mg.value_and_grad(fun)(t)[0], x)
    v, d = mg.value_and_grad(lambda t: 3.0 * t**3.2)(F(1.7))
    assert np.isclose(v.item(), 3.0 * 1.7**3.2, rtol=1e-15, atol=0)
    assert np.isclose(d.item(), 9.6 * 1.7**2.2, rtol=1e-14)


def test_primal_outputs_of_transforms_are_plain_values():
    fun = lambda x: (mg.sum(mg.sin(x) ** 2), x * 2)
    (value, aux), _ = mg.value_and_grad(fun, has_aux=True)(R(5))
    out, _ = mg.vjp(lambda x: x * 2, R(5))
    assert not value.requires_grad and not aux.requires_grad and not out.requires_grad


def complicated(a, b, c, d, e, f=1.1, g=9.0):
    return a + mg.sin(b) + mg.exp(c) + mg.cos(d) + mg.tanh(e) + f + g


def test_argnums_with_keyword_arguments():
    args = [F(v) for v in (0.5, -0.3, 0.2, -1.1, 0.7)]
    kw = {"f": F(0.6), "g": F(-0.1)}
    gd, gb = mg.grad(complicated, argnums=(3, 1))(*args, **kw)
    assert np.isclose(gd.item(), -np.sin(-1.1)) and np.isclose(gb.item(), np.cos(-0.3))
    value, grads = mg.value_and_grad(complicated, argnums=(3, 1))(*args, **kw)
    assert np.isclose(value.item(), complicated(*args, **kw).item())
    assert [g.item() for g in grads] == [gd.item(), gb.item()]
    a, b = R(3), R(3)
    (ga,) = mg.grad(lambda x, y: mg.sum(x + mg.sin(y)), argnums=(0,))(a, b)
    assert ga.tolist() == [1.0, 1.0, 1.0]


def test_hessian_of_a_quadratic_form():
    h = R(5, 5)
    np.testing.assert_allclose(mg.hessian(lambda x: (x @ h) @ x)(R(5)).data, h + h.T)
    np.testing.assert_allclose(mg.jacrev(mg.grad(lambda x: (x @ h) @ x))(R(5)).data, h + h.T)
    blocks = mg.hessian(lambda x, y: x * y * y, argnums=(0, 1))(F(2.0), F(3.0))
    assert [[b.item() for b in row] for row in blocks] == [[0, 6], [6, 4]]


def test_hessian_blocks_are_plain_values():
    blocks = mg.hessian(lambda x, y: x * y * y, argnums=(0, 1))(F(2.0), F(3.0))
    assert not any(b.requires_grad for row in blocks for b in row)


@pytest.mark.parametrize("shape", [(5,), (5, 4), (5, 4, 3)])
def test_hessian_vector_and_jacobian_vector_products(shape):
    a, v = R(*shape), R(*shape)
    fun = lambda t: mg.sum(mg.sin(t))
    h = mg.hessian(fun)(a).data
    assert h.shape == shape + shape
    np.testing.assert_allclose(mg.hvp(fun, a, v).data, np.tensordot(h, v, axes=v.ndim))
    roll = lambda t: mg.concatenate([mg.sin(t)[-1:], mg.sin(t)[:-1]])  # np.roll(sin(t), 1, 0)
    jac = mg.jacrev(roll)(a).data
    np.testing.assert_allclose(mg.jacfwd(roll)(a).data, jac)
    _, pullback = mg.vjp(roll, a)
    np.testing.assert_allclose(pullback(v)[0].data, np.tensordot(v, jac, axes=v.ndim))
    np.testing.assert_allclose(mg.vjp(mg.sin, a)[1](np.ones(shape))[0].data, np.cos(a))


def test_jacobians():
    fun = lambda x: mg.sum(mg.sin(x), axis=1, keepdims=True)
    a = R(1, 3)
    np.testing.assert_allclose(
        mg.jacrev(fun)(a).data.reshape(1, 3), mg.grad(lambda t: fun(t).sum())(a).data
    )
    x = F(0.7)
    for jac in [mg.jacrev, mg.jacfwd]:
        np.testing.assert_allclose(
            jac(lambda t: mg.stack([t, t**2, t**3]))(x).data, [1, 2 * x, 3 * x**2]
        )
    scalar_funs = [
        lambda x: mg.sum(x**3),
        lambda x: mg.prod(mg.sin(x) + mg.sin(x)),
        lambda x: mg.grad(lambda y: mg.exp(y) * mg.tanh(x[0]))(x[1]),
    ]
    x = R(5)
    grads = np.stack([mg.grad(f)(x).data for f in scalar_funs])
    for jac in [mg.jacrev, mg.jacfwd]:
        np.testing.assert_allclose(
            jac(lambda t: mg.stack([f(t) for f in scalar_funs]))(x).data, grads
        )


def test_higher_order_jacobians():
    fun = lambda x: mg.sin(mg.einsum("i,j->ij", x, x)) + mg.cos(x @ x)
    assert mg.jacrev(fun)(R(2)).shape == (2, 2, 2)
    assert mg.jacrev(mg.jacrev(fun))(R(2)).shape == (2, 2, 2, 2)
    assert mg.jacfwd(mg.jacrev(fun))(R(2)).shape == (2, 2, 2, 2)
    check(lambda x: mg.sum(mg.sin(mg.jacrev(fun)(x))), R(2), order=1)
    check(lambda x: mg.sum(mg.sin(mg.jacrev(mg.jacrev(fun))(x))), R(2), order=1)


# -- the checker itself must fail (test_tests) -----------------------------------------------
def times_two_with(factor):
    class Foo(mg.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2.0

        @staticmethod
        def backward(ctx, g):
            return g * factor

    return Foo


def test_gradcheck_fails_on_a_wrong_vjp():
    with pytest.raises(mg.GradcheckError, match=r"reverse mode.*analytic 2\.001 vs numeric 2"):
        mg.gradcheck(times_two_with(2.001).apply, F(1.0), modes=("rev",), atol=1e-8, rtol=1e-6)


def test_gradcheck_fails_on_a_nan_vjp():
    with pytest.raises(mg.GradcheckError):
        mg.gradcheck(times_two_with(np.nan).apply, np.array([1.0, 2.0]), modes=("rev",))


# -- odds and ends (test_numpy, test_logic, test_misc) --------------------------------------
def test_functions_of_constants_tests_and_branches():
    c = R(3, 2)
    mg.gradcheck(lambda x: mg.tensor(c), R(3, 2))  # no relation to x: a zero Jacobian
    square_sum = lambda x: mg.einsum("ij,ij->", x * np.ones((2, 2)), x * np.ones((2, 2)))
    assert mg.grad(square_sum)(F(1.0)).item() == 8.0

    def inspects(x):
        assert x.shape == () and x.ndim == 0 and x.size == 1 and x.dtype == np.float64
        assert np.allclose(x, (x * 3.0) / 3.0)
        return x**2 if bool(x > 1) else x

    assert mg.grad(inspects)(F(3.0)).item() == 6.0 and mg.grad(inspects)(F(0.5)).item() == 1.0
    with pytest.raises(TypeError, match="got bool"):
        mg.grad(lambda x: np.allclose(x, (x * 3.0) / 3.0))(np.array([1.0, 2.0, 3.0]))


def test_forward_mode_through_a_custom_op_without_jvp_is_refused():
    with pytest.raises(RuntimeError, match="`Foo`.*defines no jvp"):
        mg.jvp(times_two_with(2.0).apply, (F(1.0),), (F(1.0),))
    out, tangent = mg.jvp(lambda x: {"a": x * 2, "b": (x, x * x)}, (F(3.0),), (F(1.0),))
    assert tangent["a"].item() == 2.0 and [v.item() for v in tangent["b"]] == [1.0, 6.0]
