"""Static programs (minigrad/program/): every op case traced once and replayed on other values;
gradient and tangent programs derived symbolically against eager reverse and forward mode, at
first and second order; what a trace cannot replay raises and names the line."""

from __future__ import annotations

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given

import minigrad as mg
from minigrad.program import make_program
from tests.op_cases import CASES

cases = pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])


def _traced(case, data):
    """(program traced at the drawn inputs, other inputs of the same shapes, params, rng)."""
    arrays, params = data.draw(case.inputs, label="inputs")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    program = make_program(lambda *xs: case.fn(*xs, **params))(*arrays)
    others = [a + 1e-3 * rng.standard_normal(a.shape) for a in arrays]  # (inside each domain)
    return program, others, params, rng


def _eager(case, params, arrays):
    return case.fn(*[mg.Tensor(a) for a in arrays], **params).data


@cases
@given(data=st.data())
def test_a_program_replays_the_function_on_other_values(case, data):
    program, others, params, _ = _traced(case, data)
    got = program(*others)
    np.testing.assert_allclose(got, _eager(case, params, others), rtol=1e-12, atol=1e-12)
    assert got.dtype == _eager(case, params, others).dtype


@cases
@given(data=st.data())
def test_the_vjp_program_matches_reverse_mode(case, data):
    """The derived program, and the same simplified, against eager reverse mode."""
    program, others, params, rng = _traced(case, data)
    v = rng.standard_normal(program.outputs[0].shape)
    _, pullback = mg.vjp(lambda *xs: case.fn(*xs, **params), *others)
    for derived in (program.vjp(), program.vjp().simplify()):
        got = derived(*others, v)
        got = got if isinstance(got, tuple) else (got,)
        for g, e in zip(got, pullback(v), strict=True):
            np.testing.assert_allclose(g, e.data, rtol=1e-10, atol=1e-12)


@cases
@given(data=st.data())
def test_the_jvp_program_matches_forward_mode(case, data):
    """The derived program, and the same simplified, against eager forward mode."""
    program, others, params, rng = _traced(case, data)
    us = [rng.standard_normal(a.shape) for a in others]
    e_out, e_tangent = mg.jvp(lambda *xs: case.fn(*xs, **params), others, us)
    for derived in (program.jvp(), program.jvp().simplify()):
        out, tangent = derived(*others, *us)
        np.testing.assert_allclose(out, e_out.data, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(tangent, e_tangent.data, rtol=1e-10, atol=1e-12)


@cases
@given(data=st.data())
def test_second_order_programs_match_eager(case, data):
    """The vjp program of the vjp program (reverse-over-reverse) and its jvp program
    (forward-over-reverse), against the same in eager mode."""
    program, others, params, rng = _traced(case, data)
    n = len(others)
    v = rng.standard_normal(program.outputs[0].shape)
    ws = [rng.standard_normal(a.shape) for a in others]
    us = [rng.standard_normal(a.shape) for a in others]
    first = program.vjp()  # inputs: xs, ct; outputs: one gradient per x

    def gradient(*xs):
        _, pullback = mg.vjp(lambda *a: case.fn(*a, **params), *xs)
        return pullback(v)

    second = first.vjp(wrt=tuple(range(n)))(*others, v, *ws)  # d<grad, w>/dx
    second = second if isinstance(second, tuple) else (second,)
    _, pullback = mg.vjp(gradient, *others)
    for g, e in zip(second, pullback(tuple(ws)), strict=True):
        np.testing.assert_allclose(g, e.data, rtol=1e-8, atol=1e-10)
    over = first.jvp(wrt=tuple(range(n)))(*others, v, *us)
    _, tangents = mg.jvp(gradient, others, us)
    for t, e in zip(over[n:], tangents, strict=True):
        np.testing.assert_allclose(t, e.data, rtol=1e-8, atol=1e-10)


# -- printing, signatures and what cannot be traced -------------------------------------------
def test_a_program_prints_one_primitive_per_line_with_shapes():
    p = make_program(lambda x, w: mg.tanh(x * w + 1.0).sum())(np.ones(3), np.ones(3))
    assert str(p).splitlines() == [
        "program(x: float64[3], w: float64[3]) -> float64[]",
        "  v0: float64[3] = multiply(x, w)",
        "  v1: float64[3] = add(v0, 1.0)",
        "  v2: float64[3] = tanh(v1)",
        "  v3: float64[] = sum(v2)  axis=(0,) keepdims=False",
        "  return v3",
    ]


def test_gradients_of_gradients():
    d2 = make_program(lambda x: mg.sin(x) * x)(np.float64(2.0)).grad().grad()
    for x in (0.3, -1.7):
        assert float(d2(x)) == pytest.approx(2 * np.cos(x) - x * np.sin(x), rel=1e-12)


def test_comparisons_are_instructions_so_both_branches_replay():
    relu = make_program(lambda x: mg.where(x > 0, x, 0.0))(np.ones(3))
    assert "greater(x, 0)" in str(relu)
    np.testing.assert_array_equal(relu(np.array([-1.0, 2.0, -3.0])), [0.0, 2.0, 0.0])
    slope = relu.vjp()(np.array([-1.0, 2.0, -3.0]), np.ones(3))
    np.testing.assert_array_equal(slope, [0.0, 1.0, 0.0])


@pytest.mark.parametrize(
    "f, what",
    [
        (lambda x: x if x.sum() > 0 else -x, r"bool\(\)"),
        (lambda x: x * float(x.sum()), r"float\(\)"),
        (lambda x: x + np.sum(x.data), "np.sum"),
        (lambda x: x * x.sum().item(), r"\.item\(\)"),
    ],
    ids=["if", "float", "numpy-on-data", "item"],
)
def test_reading_traced_values_in_python_raises_and_names_the_line(f, what):
    with pytest.raises(RuntimeError, match=rf"{what}.*test_program.py:\d+.*minigrad's operations"):
        make_program(f)(np.ones(3))


def test_the_input_signature_is_checked():
    p = make_program(lambda x: x * 2.0)(np.ones(3))
    with pytest.raises(TypeError, match="takes 1 arguments, got 2"):
        p(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match=r"shape \(3,\) in the trace, got \(4,\)"):
        p(np.ones(4))
    with pytest.raises(TypeError, match="float64 in the trace, got complex128"):
        p(np.ones(3, complex))
    assert p(np.ones(3, np.float32)).dtype == np.float64  # cast as the trace's dtype


def test_an_error_while_replaying_names_the_line_that_created_the_instruction():
    class Checked(mg.Function):
        @staticmethod
        def forward(ctx, x):
            if (x < 0).any():
                raise ValueError("negative input")
            return np.sqrt(x)

        @staticmethod
        def backward(ctx, g):
            return g

    p = make_program(lambda x: Checked.apply(x) * 2.0)(np.ones(2))
    with pytest.raises(
        ValueError, match=r"Checked\(x\) \(created at test_program.py:\d+\): negative input"
    ):
        p(np.array([1.0, -1.0]))


def test_derivatives_with_respect_to_named_inputs_and_errors():
    p = make_program(lambda x, w: (x * w).sum())(np.ones(2), np.ones(2))
    gw = p.grad("w")
    np.testing.assert_array_equal(gw(np.array([3.0, 4.0]), np.ones(2)), [3.0, 4.0])
    with pytest.raises(ValueError, match="wrt 'b' is not an input; the inputs are x, w"):
        p.grad("b")
    with pytest.raises(ValueError, match="one float scalar.*program.vjp"):
        make_program(lambda x: x * 2.0)(np.ones(2)).grad()


# -- mg.compile: trace once per signature, replay, guards -----------------------------------
def _mlp_loss(params, x, y):
    h = x
    for w, b in params[:-1]:
        h = mg.sigmoid(mg.linalg.linear(h, w, b))
    w, b = params[-1]
    return mg.nn.cross_entropy(mg.linalg.linear(h, w, b), y)


def test_a_compiled_training_step_matches_eager_with_new_data_each_call():
    rng = np.random.default_rng(0)
    params = [
        (rng.standard_normal((5, 4)), rng.standard_normal(5)),
        (rng.standard_normal((3, 5)), np.zeros(3)),
    ]
    step = mg.compile(mg.value_and_grad(_mlp_loss))
    for _ in range(3):  # new inputs and labels every call: labels are inputs, not constants
        x, y = rng.standard_normal((6, 4)), rng.integers(0, 3, 6)
        loss, grads = step(params, x, y)
        e_loss, e_grads = mg.value_and_grad(_mlp_loss)(params, x, y)
        assert float(loss) == pytest.approx(float(e_loss), rel=1e-12)
        for (gw, gb), (ew, eb) in zip(grads, e_grads, strict=True):
            np.testing.assert_allclose(gw, ew.data, rtol=1e-10)
            np.testing.assert_allclose(gb, eb.data, rtol=1e-10, atol=1e-14)
    assert [len(v) for v in step.programs.values()] == [1]  # traced once
    with pytest.raises(ValueError, match=r"created at test_program.py:\d+\): class labels"):
        step(params, x, np.array([0, 1, 2, 3, 0, 1]))


def test_compiled_control_flow_guards_never_replay_the_wrong_branch():
    @mg.compile
    def f(x):
        if x.sum() > 0:
            return x * 2.0
        return -x * float(x.max())

    assert f(np.ones(3)).tolist() == [2.0, 2.0, 2.0]
    assert f(-np.ones(3)).tolist() == [-1.0, -1.0, -1.0]  # the other branch: traced again
    assert f(3 * np.ones(3)).tolist() == [6.0, 6.0, 6.0]  # a replay of the first trace
    assert f(-2 * np.ones(3)).tolist() == [-4.0, -4.0, -4.0]  # float(x.max()) differs: again
    assert [len(v) for v in f.programs.values()] == [3]


def test_compile_gives_up_after_too_many_traces_and_names_the_line():
    @mg.compile
    def f(x):
        return x * float(x.sum())

    for k in range(8):
        f(np.full(2, float(k)))
    with pytest.raises(RuntimeError, match=r"traced 8 times.*test_program.py:\d+.*mg.where"):
        f(np.full(2, 9.0))


def test_compile_traces_again_for_other_shapes_and_takes_tensors_and_numbers():
    f = mg.compile(lambda x, s: (x * s).sum())
    assert float(f(np.ones(3), 2.0)) == 6.0
    assert float(f(mg.tensor(np.ones(4)), 3.0)) == 12.0
    assert float(f(np.ones(3), 5.0)) == 15.0  # a number input is an input, not a constant
    assert len(f.programs) == 2


# -- buffer reuse in replays -------------------------------------------------------------------
_STEPS = {
    "scale": lambda x: x * 1.5,
    "shift": lambda x: x - 0.25,
    "tanh": lambda x: x.tanh(),
    "exp": lambda x: (x * 0.1).exp(),
    "neg": lambda x: -x,
    "transpose": lambda x: x.T,
    "reshape": lambda x: x.reshape(x.shape[::-1]),
    "row": lambda x: x[1:],
    "square": lambda x: x * x,
}


@given(
    steps=st.lists(st.sampled_from(sorted(_STEPS)), min_size=1, max_size=12),
    keep=st.integers(0, 11),
)
def test_replays_that_reuse_buffers_compute_what_eager_mode_does(steps, keep):
    """Chains of elementwise ops and views on 8x16 arrays (large enough for buffer reuse),
    with one intermediate also returned: the replay equals eager mode, leaves its input
    unchanged, and a second replay does not change the first's results."""

    def f(x):
        kept = x
        for k, name in enumerate(steps):
            x = _STEPS[name](x)
            if k == keep:
                kept = x
        return x + 0.0, kept * 1.0

    rng = np.random.default_rng(0)
    a = rng.standard_normal((8, 16))
    program = make_program(f)(a)
    b = rng.standard_normal((8, 16))
    before = b.copy()
    first = program(b)
    expected = [t.data for t in f(mg.tensor(b))]
    for got, e in zip(first, expected, strict=True):
        np.testing.assert_allclose(got, e, rtol=1e-12)
    np.testing.assert_array_equal(b, before)
    snapshot = [o.copy() for o in first]
    program(rng.standard_normal((8, 16)))
    for o, s in zip(first, snapshot, strict=True):
        np.testing.assert_array_equal(o, s)


def test_a_replay_reuses_the_buffers_of_dead_intermediates():
    from minigrad.program.run import reusable_buffers

    p = make_program(lambda x: mg.tanh(x * 2.0 + 1.0).sum())(np.ones(100))
    assert reusable_buffers(p) == {1: p.instructions[0].out.index, 2: p.instructions[1].out.index}

    def twice(x):
        y = x * 2.0
        return y, y.tanh()  # y is an output: tanh must not write into it

    assert reusable_buffers(make_program(twice)(np.ones(100))) == {}
    assert reusable_buffers(make_program(mg.tanh)(np.ones(100))) == {}  # the input's memory


@pytest.mark.parametrize(
    "f",
    [
        lambda x: mg.jvp(mg.sin, (x,), (np.ones(2),))[1],
        lambda x: mg.jacrev(mg.sin)(x),
        lambda x: mg.jacfwd(mg.sin)(x),
        lambda x: mg.vjp(mg.sin, x)[1](np.ones(2))[0],
        lambda x: mg.hessian(lambda y: (y * y).sum())(x),
    ],
    ids=["jvp", "jacrev", "jacfwd", "vjp", "hessian"],
)
def test_transforms_other_than_grad_refuse_symbols_and_say_what_to_use(f):
    with pytest.raises(
        NotImplementedError, match="only mg.grad and mg.value_and_grad.*program.vjp"
    ):
        make_program(f)(np.ones(2))


def test_tracing_mg_grad_gives_the_derived_gradient_program():
    f = lambda x: (mg.tanh(x) ** 2).sum()  # noqa: E731
    traced = make_program(mg.grad(f))(np.ones(3))
    derived = make_program(f)(np.ones(3)).grad()
    x = np.array([0.1, -2.0, 3.0])
    np.testing.assert_allclose(traced(x), derived(x), rtol=1e-12)
    np.testing.assert_allclose(traced(x), mg.grad(f)(x).data, rtol=1e-12)
    assert len(traced.simplify()) == len(derived.simplify())


def test_an_error_while_tracing_names_the_op_and_the_shapes():
    from minigrad.ops.linalg import MatMul

    with pytest.raises(ValueError, match=r"matmul: .*input shapes \(3, 4\), \(5, 2\)"):
        make_program(lambda x: MatMul()(x, np.ones((5, 2))))(np.ones((3, 4)))
