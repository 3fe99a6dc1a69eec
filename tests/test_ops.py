"""Every op, driven by the table in op_cases.py: forward vs NumPy; reverse mode, forward mode
and second order (reverse-over-reverse and forward-over-reverse) vs central differences in
float64; the adjoint identity between the modes."""

from __future__ import annotations

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import find, given

import minigrad as mg
from minigrad.autodiff.graph import toposort
from minigrad.numerical import central_directional, central_jacobian
from tests.op_cases import CASES

cases = pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])


def _draw(case, data):
    arrays, params = data.draw(case.inputs, label="inputs")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    return arrays, params, rng


def _evaluate(case, params):
    """f on float64 arrays, as a plain function for finite differences."""
    return lambda *arrays: case.fn(*[mg.Tensor(a) for a in arrays], **params).data


@cases
@given(data=st.data())
def test_forward_matches_numpy(case, data):
    arrays, params, _ = _draw(case, data)
    out = case.fn(*[mg.Tensor(a) for a in arrays], **params)
    expected = np.asarray(case.ref(*arrays, **params))
    assert isinstance(out, mg.Tensor)
    assert out.shape == expected.shape
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)


@cases
@given(data=st.data())
def test_vjp_matches_central_differences(case, data):
    arrays, params, rng = _draw(case, data)
    xs = [mg.Tensor(a, requires_grad=True) for a in arrays]
    out = case.fn(*xs, **params)
    v = rng.standard_normal(out.shape)
    out.backward(v)
    jacobians = central_jacobian(_evaluate(case, params), arrays)
    for x, jac in zip(xs, jacobians, strict=True):
        got = np.zeros(x.shape) if x.grad is None else x.grad.data
        assert got.shape == x.shape and got.dtype == x.dtype
        expected = (v.reshape(-1) @ jac).reshape(x.shape)
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)


def _jvp(case, params, arrays, us):
    out, tangent = mg.jvp(lambda *xs: case.fn(*xs, **params), arrays, us)
    assert not out.requires_grad and not tangent.requires_grad  # no reverse graph was built
    return out.data, tangent.data


@cases
@given(data=st.data())
def test_jvp_matches_central_differences(case, data):
    arrays, params, rng = _draw(case, data)
    us = [rng.standard_normal(a.shape) for a in arrays]
    out, tangent = _jvp(case, params, arrays, us)
    expected = central_directional(_evaluate(case, params), arrays, us)
    assert tangent.shape == out.shape and tangent.dtype == out.dtype
    np.testing.assert_allclose(tangent, expected.reshape(out.shape), rtol=1e-6, atol=1e-7)


@cases
@given(data=st.data())
def test_adjoint_identity_between_modes(case, data):
    """<v, J u> by forward mode equals <J^T v, u> by reverse mode, with no eps at all."""
    arrays, params, rng = _draw(case, data)
    us = [rng.standard_normal(a.shape) for a in arrays]
    out, tangent = _jvp(case, params, arrays, us)
    v = rng.standard_normal(out.shape)
    _, pullback = mg.vjp(lambda *xs: case.fn(*xs, **params), *arrays)
    cotangents = pullback(v)
    forward = float(np.sum(v * tangent))
    reverse = float(sum(np.sum(g.data * u) for g, u in zip(cotangents, us, strict=True)))
    assert forward == pytest.approx(reverse, rel=1e-10, abs=1e-10)


@cases
@given(data=st.data())
def test_second_order_matches_central_differences(case, data):
    """d/dx <grad_x <f(x), v>, w> by reverse-over-reverse vs central differences of the
    first-order gradient."""
    arrays, params, rng = _draw(case, data)
    out_shape = case.fn(*[mg.Tensor(a) for a in arrays], **params).shape
    v = rng.standard_normal(out_shape)
    ws = [rng.standard_normal(a.shape) for a in arrays]

    def projected_gradient(*xs):
        _, pullback = mg.vjp(lambda *a: case.fn(*a, **params), *xs)
        return sum((g * w).sum() for g, w in zip(pullback(v), ws, strict=True))

    analytic = mg.grad(projected_gradient, argnums=tuple(range(len(arrays))))(*arrays)
    jacobians = central_jacobian(lambda *a: projected_gradient(*a).data, arrays)
    for x, got, jac in zip(arrays, analytic, jacobians, strict=True):
        assert got.shape == x.shape
        np.testing.assert_allclose(got.data, jac.reshape(x.shape), rtol=1e-5, atol=1e-6)


@cases
@given(data=st.data())
def test_forward_over_reverse_matches_central_differences(case, data):
    """The tangent of the gradient, d/de grad_x <f(x + e u), v>, by pushing duals through the
    backward pass, vs central differences of the first-order gradient along u."""
    arrays, params, rng = _draw(case, data)
    out_shape = case.fn(*[mg.Tensor(a) for a in arrays], **params).shape
    v = rng.standard_normal(out_shape)
    us = [rng.standard_normal(a.shape) for a in arrays]

    def gradient(*xs):
        _, pullback = mg.vjp(lambda *a: case.fn(*a, **params), *xs)
        return pullback(v)

    _, tangents = mg.jvp(gradient, arrays, us)
    for k, (x, tangent) in enumerate(zip(arrays, tangents, strict=True)):
        expected = central_directional(lambda *a, k=k: gradient(*a)[k].data, arrays, us)
        assert tangent.shape == x.shape
        np.testing.assert_allclose(tangent.data, expected, rtol=1e-5, atol=1e-6)


batched = pytest.mark.parametrize("jacobian", [mg.jacfwd, mg.jacrev], ids=["jacfwd", "jacrev"])


@cases
@batched
@given(data=st.data())
def test_batched_jacobians_match_one_sweep_per_row(case, jacobian, data):
    """jacfwd pushes all tangents, jacrev all cotangents, through one sweep (each rule broadcast
    over a batch axis, or its batched_jvp/batched_vjp, or one call per row); both must agree
    with one sweep per row, with chunks, and with central differences."""
    arrays, params, _ = _draw(case, data)
    argnums = tuple(range(len(arrays)))

    def f(*xs):
        return case.fn(*xs, **params)

    whole = jacobian(f, argnums=argnums)(*arrays)
    one_by_one = jacobian(f, argnums=argnums, chunk_size=1)(*arrays)
    chunked = jacobian(f, argnums=argnums, chunk_size=2)(*arrays)
    jacobians = central_jacobian(_evaluate(case, params), arrays)
    for b, o, c, jac in zip(whole, one_by_one, chunked, jacobians, strict=True):
        assert b.shape == o.shape == c.shape
        np.testing.assert_allclose(b.data, o.data, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(c.data, o.data, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(b.data.reshape(jac.shape), jac, rtol=1e-6, atol=1e-7)


@cases
@batched
@given(data=st.data())
def test_batched_jacobians_of_a_gradient(case, jacobian, data):
    """A batch of tangents through the backward pass (jacfwd of a gradient: how hessian works)
    and a batch of cotangents through a recorded backward pass (jacrev of a gradient: the
    rules run on Tensors), against one row per sweep."""
    arrays, params, rng = _draw(case, data)
    out_shape = case.fn(*[mg.Tensor(a) for a in arrays], **params).shape
    v = rng.standard_normal(out_shape)

    def gradient(x0, *rest):
        _, pullback = mg.vjp(lambda *a: case.fn(*a, **params), x0, *rest)
        return pullback(v)[0]

    whole = jacobian(gradient)(*arrays)
    one_by_one = jacobian(gradient, chunk_size=1)(*arrays)
    np.testing.assert_allclose(whole.data, one_by_one.data, rtol=1e-12, atol=1e-12)


def test_every_primitive_has_a_case():
    covered = set()
    for case in CASES:
        arrays, params = find(case.inputs, lambda example: True)
        out = case.fn(*[mg.Tensor(a, requires_grad=True) for a in arrays], **params)
        covered |= {type(t._op) for t in toposort([out]) if t._op is not None}
    missing = [p.name for p in mg.PRIMITIVES if p not in covered]
    assert not missing, f"primitives with no op case: {missing}"


@pytest.mark.parametrize("prim", mg.PRIMITIVES, ids=[p.name for p in mg.PRIMITIVES])
def test_every_primitive_states_its_differential(prim):
    doc = prim.__doc__ or ""
    assert ";" in doc and " d" in doc, f"{prim.name}: docstring must state y = f(x); dy = ..."
