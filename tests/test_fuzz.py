"""Differential fuzzing of random programs (tests/fuzz_programs.py), run by minigrad and by
NumPy from one text, checked for values, between modes, and against central differences to
second order; and the minimal repros of the bugs it found."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

import minigrad as mg
from minigrad.numerical import central_directional, central_jacobian
from tests.fuzz_programs import MINIGRAD, NUMPY, Program, programs


# -- the checks: minigrad vs NumPy, mode vs mode, and vs central differences ----------------
def _random(program: Program, *shapes, salt: int = 1) -> list[np.ndarray]:
    """Fixed random arrays of these shapes for this program (directions and cotangents)."""
    rng = np.random.default_rng([program.seed, salt])
    return [rng.standard_normal(s) for s in shapes]


def _tuple(outs) -> tuple:
    return outs if isinstance(outs, tuple) else (outs,)


def _close(got, expected, what: str, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    got = np.zeros(np.shape(expected)) if got is None else got  # (a .grad never written)
    got = got.data if isinstance(got, mg.Tensor) else got
    assert np.shape(got) == np.shape(expected), f"{what}: shape {np.shape(got)}"
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=what)


@settings(max_examples=1000)
@given(programs())
def test_forward_values_match_numpy(program):
    """Every value, recorded or under no_grad, equals NumPy's."""
    expected = program.run(NUMPY, program.inputs)
    tensors = [mg.Tensor(x, requires_grad=True) for x in program.inputs]
    with mg.no_grad():
        unrecorded = program.run(MINIGRAD, tensors)[len(tensors) :]
    for k, (got, want) in enumerate(zip(program.run(MINIGRAD, tensors), expected, strict=True)):
        assert isinstance(got, mg.Tensor) and got.dtype == want.dtype, f"v{k}: {got!r:.60}"
        _close(got, want, f"v{k}", rtol=1e-11, atol=1e-12)
    for k, got in enumerate(unrecorded, start=len(tensors)):
        assert not got.requires_grad, f"v{k} under no_grad"
        _close(got, expected[k], f"v{k} under no_grad", rtol=1e-11, atol=1e-12)


@settings(max_examples=1000)
@given(programs())
def test_adjoint_identity_between_modes(program):
    """<v, J u> by forward mode (jvp, linearize) equals <J^T v, u> by reverse mode (vjp), with
    no eps at all; the outputs may be a tuple."""
    xs = program.inputs
    outs, pullback = mg.vjp(program.output, *xs)
    us = _random(program, *[x.shape for x in xs])
    vs = _random(program, *[o.shape for o in _tuple(outs)], salt=2)
    primals, tangents = mg.jvp(program.output, xs, us)
    linearized = mg.linearize(program.output, *xs)[1](*us)
    for p, t, lin, o in zip(*map(_tuple, (primals, tangents, linearized, outs)), strict=True):
        _close(p, o.data, "jvp's primal", rtol=1e-13, atol=1e-13)
        _close(lin, t.data, "linearize", rtol=1e-13, atol=1e-13)
    cotangents = pullback(tuple(vs) if isinstance(outs, tuple) else vs[0])
    forward = [v * t.data for v, t in zip(vs, _tuple(tangents), strict=True)]
    reverse = [g.data * u for g, u in zip(cotangents, us, strict=True)]
    scale = sum(np.abs(t).sum() for t in forward + reverse)  # of cancellations
    assert sum(t.sum() for t in forward) == pytest.approx(
        sum(t.sum() for t in reverse), rel=1e-10, abs=1e-10 * max(1.0, scale)
    )


@settings(max_examples=800)
@given(programs())
def test_first_order_matches_central_differences(program):
    """jacrev, jacfwd, vjp, jvp and backward() into .grad (twice: it accumulates) vs central
    differences; and mg.gradcheck passes."""
    xs, argnums = program.inputs, tuple(range(len(program.shapes)))
    result = mg.gradcheck(program.output, *xs, raise_exception=False, rng=_rng(program))
    assert result, str(result)
    flat = program.flat_output(*xs)
    numeric = central_jacobian(lambda *a: program.flat_output(*a).data, xs)
    jacobians = [j.reshape(flat.shape + x.shape) for x, j in zip(xs, numeric, strict=True)]
    us, (v,) = _random(program, *[x.shape for x in xs]), _random(program, flat.shape, salt=2)
    ju = sum(np.tensordot(j, u, u.ndim) for j, u in zip(jacobians, us, strict=True))
    _close(mg.jvp(program.flat_output, xs, us)[1], ju, "J u")
    vjs = [np.tensordot(v, j, v.ndim) for j in jacobians]
    leaves = [mg.Tensor(x, requires_grad=True) for x in xs]
    out = program.flat_output(*leaves)
    out.backward(v, retain_graph=True)
    for k, (leaf, vj) in enumerate(zip(leaves, vjs, strict=True)):
        _close(leaf.grad, vj, f".grad, v{k}")
    arrays = [x.grad.data for x in leaves if x.grad is not None]  # no two .grad share memory
    assert not any(np.shares_memory(a, b) for i, a in enumerate(arrays) for b in arrays[:i])
    out.backward(v)
    reverse = mg.jacrev(program.flat_output, argnums)(*xs)
    forward = mg.jacfwd(program.flat_output, argnums)(*xs)
    pulled = mg.vjp(program.flat_output, *xs)[1](v)
    for k, (jac, vj) in enumerate(zip(jacobians, vjs, strict=True)):
        _close(leaves[k].grad, 2 * vj, f".grad after two backward(), v{k}")
        _close(pulled[k], vj, f"J^T v, v{k}")
        _close(reverse[k], jac, f"jacrev, v{k}")
        _close(forward[k], jac, f"jacfwd, v{k}")


def _rng(program: Program) -> np.random.Generator:
    return np.random.default_rng([program.seed, 3])


@settings(max_examples=600)
@given(programs())
def test_second_order_matches_central_differences(program):
    """H u of s(x) = <w, f(x)>: forward-over-reverse vs central differences of the gradient, and
    vs reverse-over-reverse (mg.grad; backward(create_graph=True)), reverse-over-forward,
    mg.hessian and forward-over-forward; mg.hvp in v0, the others constant; gradgradcheck."""
    xs, argnums = program.inputs, tuple(range(len(program.shapes)))
    result = mg.gradgradcheck(program.output, *xs, raise_exception=False, rng=_rng(program))
    assert result, str(result)
    (w,) = _random(program, program.flat_output(*xs).shape)
    us = _random(program, *[x.shape for x in xs], salt=2)
    scalar = lambda *a: (program.flat_output(*a) * w).sum()
    gradient = mg.grad(scalar, argnums)
    _, hu = mg.jvp(gradient, xs, us)  # forward-over-reverse
    for k in argnums:
        numeric = central_directional(lambda *a, k=k: gradient(*a)[k].data, xs, us)
        _close(hu[k], numeric, f"forward-over-reverse, v{k}")
    project = lambda *a: sum((g * u).sum() for g, u in zip(gradient(*a), us, strict=True))
    forward = lambda *a: (mg.jvp(program.flat_output, a, us)[1] * w).sum()
    others = {
        "reverse-over-reverse": mg.grad(project, argnums)(*xs),
        "backward(create_graph=True)": _create_graph_hvp(program, scalar, us),
        "reverse-over-forward": mg.grad(forward, argnums)(*xs),
        "hessian": [_dot_rows(row, us) for row in mg.hessian(scalar, argnums)(*xs)],
    }
    for name, other in others.items():
        for k in argnums:
            _close(other[k], hu[k].data, f"{name}, v{k}", rtol=1e-9, atol=1e-9)
    vs = _random(program, *[x.shape for x in xs], salt=4)
    uhv = mg.jvp(lambda *a: mg.jvp(scalar, a, us)[1], xs, vs)[1]  # forward-over-forward
    expected = sum(np.sum(h.data * v) for h, v in zip(hu, vs, strict=True))
    assert uhv.item() == pytest.approx(expected, rel=1e-9, abs=1e-9), "forward-over-forward"
    x0, rest = xs[0], xs[1:]
    hvp = mg.hvp(lambda x: scalar(x, *rest), x0, us[0])
    _close(hvp, central_directional(lambda a: gradient(a, *rest)[0].data, [x0], [us[0]]), "hvp")


def _create_graph_hvp(program: Program, scalar, us) -> list:
    """H u by backward(create_graph=True) into .grad, then backward() of <.grad, u>."""
    leaves = [mg.Tensor(x, requires_grad=True) for x in program.inputs]
    scalar(*leaves).backward(create_graph=True)
    grads = [x.grad for x in leaves]
    for x in leaves:
        x.grad = None
    projected = sum((g * u).sum() for g, u in zip(grads, us, strict=True) if g is not None)
    if isinstance(projected, mg.Tensor) and projected.requires_grad:
        projected.backward()
    return [x.grad for x in leaves]


def _dot_rows(row, us) -> np.ndarray:
    """sum_j H_ij u_j from the blocks H_ij (shape x_i.shape + x_j.shape) of one row."""
    parts = [np.tensordot(h.data, u, u.ndim) for h, u in zip(row, us, strict=True)]
    return sum(parts)


# -- bugs found by the fuzzer: minimal repros ---------------------------------------------
def test_prod_over_an_empty_axis():
    x = mg.Tensor(np.zeros((0, 2)), requires_grad=True)
    assert mg.sum(x, axis=0).requires_grad
    mg.prod(x, axis=0).sum().backward()  # RuntimeError: ... does not require grad
    assert x.grad.shape == (0, 2)


def test_nested_empty_list_index():
    x = np.arange(6.0).reshape(2, 3)
    assert mg.Tensor(x)[[[]]].shape == x[[[]]].shape == (1, 0, 3)  # an empty integer index


def test_jacrev_of_an_empty_output():  # raised ValueError (np.stack of nothing) until 1468c5c
    f = lambda t: t[:0] * 2
    x = np.arange(3.0)
    assert mg.jacrev(f)(x).shape == mg.jacfwd(f)(x).shape == (0, 3)


def test_empty_list_index():  # raised IndexError until a087e53
    x = np.arange(6.0).reshape(2, 3)
    assert mg.Tensor(x)[[]].shape == x[[]].shape == (0, 3)


def test_prod_over_other_axes_of_an_empty_array():  # raised ValueError until 2e88b79
    x = mg.Tensor(np.zeros((0, 2)), requires_grad=True)
    mg.prod(x, axis=1).sum().backward()
    assert x.grad.shape == (0, 2)
