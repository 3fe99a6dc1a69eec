"""The functional API: grad, value_and_grad, vjp, jacrev, and their nesting."""

from __future__ import annotations

import math

import numpy as np
import pytest

import minigrad as mg
from minigrad.numerical import central_jacobian


def test_grad_argnums_and_has_aux():
    f = lambda x, y: (x * y**2).sum()
    x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    gx = mg.grad(f)(x, y)
    gx2, gy = mg.grad(f, argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gx.data, y**2)
    np.testing.assert_allclose(gx2.data, y**2)
    np.testing.assert_allclose(gy.data, 2 * x * y)
    g, aux = mg.grad(lambda x: ((x**2).sum(), "aux"), has_aux=True)(x)
    assert aux == "aux"
    np.testing.assert_allclose(g.data, 2 * x)
    (value, aux), g = mg.value_and_grad(lambda x: ((x**2).sum(), 7), has_aux=True)(x)
    assert value.item() == 5.0 and aux == 7


def test_grad_of_a_constant_function_is_zero():
    g = mg.grad(lambda x: mg.tensor(3.0))(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(g.data, [0.0, 0.0])


def test_grad_needs_a_scalar_and_floats():
    with pytest.raises(TypeError, match=r"scalar.*shape \(2,\)"):
        mg.grad(lambda x: x * 2)(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match="floating-point"):
        mg.grad(lambda x: (x * 2).sum())(np.array([1, 2]))


def test_grad_does_not_touch_dot_grad_of_parameters():
    w = mg.tensor([1.0, 2.0], dtype=np.float64, requires_grad=True)
    g = mg.grad(lambda x: (w * x).sum())(np.array([3.0, 4.0]))
    np.testing.assert_allclose(g.data, [1.0, 2.0])
    assert w.grad is None


def test_nested_grad_higher_derivatives():
    f = lambda x: x**4
    d3 = mg.grad(mg.grad(mg.grad(f)))(np.float64(2.0))
    assert d3.item() == 24 * 2.0
    d2 = mg.grad(mg.grad(mg.sin))(np.float64(0.3))
    assert d2.item() == pytest.approx(-math.sin(0.3), rel=1e-12)


def test_no_perturbation_confusion():
    # d/dx [x * (d/dy (x + y))] = 1: the inner derivative is 1 whatever x is
    inner = lambda x: mg.grad(lambda y: x + y)(np.float64(1.0))
    assert mg.grad(lambda x: x * inner(x))(np.float64(3.0)).item() == 1.0
    # d/dx [x * (d/dy (x y))|_{y=x}] = d/dx [x * x] = 2x, not 4x
    inner2 = lambda x: mg.grad(lambda y: x * y)(x)
    assert mg.grad(lambda x: x * inner2(x))(np.float64(3.0)).item() == 6.0


def test_vjp_matches_jacobian_and_can_be_called_twice():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 4))
    f = lambda x, y: (x @ y).tanh()
    x, y = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    out, pullback = mg.vjp(lambda x, y: f(x, y) * mg.Tensor(a[:2]), x, y)
    jx, jy = central_jacobian(lambda x, y: np.tanh(x @ y) * a[:2], [x, y])
    for _ in range(2):
        v = rng.standard_normal(out.shape)
        gx, gy = pullback(v)
        np.testing.assert_allclose(gx.data, (v.reshape(-1) @ jx).reshape(x.shape), rtol=1e-6)
        np.testing.assert_allclose(gy.data, (v.reshape(-1) @ jy).reshape(y.shape), rtol=1e-6)


def test_vjp_with_tuple_outputs():
    out, pullback = mg.vjp(lambda x: (x * 2, x.sum()), np.array([1.0, 2.0]))
    (g,) = pullback((np.array([1.0, 1.0]), np.float64(3.0)))
    np.testing.assert_allclose(g.data, [5.0, 5.0])
    with pytest.raises(TypeError, match="cotangent is a tuple of 1 but the output is a tuple of 2"):
        pullback((np.array([1.0, 1.0]),))


def test_jacrev_of_known_functions():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((3, 4))
    x = rng.standard_normal(4)
    jac = mg.jacrev(lambda x: mg.Tensor(a) @ x)(x)
    assert jac.shape == (3, 4)
    np.testing.assert_allclose(jac.data, a)
    ja, jb = mg.jacrev(lambda a, b: a * b, argnums=(0, 1))(x, 2 * x)
    np.testing.assert_allclose(ja.data, np.diag(2 * x))
    np.testing.assert_allclose(jb.data, np.diag(x))


def test_hessian_by_jacrev_of_grad():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((3, 3))
    x = rng.standard_normal(3)
    quadratic = lambda x: x @ (mg.Tensor(a) @ x)
    hess = mg.jacrev(mg.grad(quadratic))(x)
    np.testing.assert_allclose(hess.data, a + a.T, rtol=1e-12)
