"""Rewrite passes over static programs (minigrad/program/passes.py): each pass on small traced
programs (the printed result and the report), seed 004's like terms, and every op case's
program, vjp program and second derivative simplified against the originals: to rounding for
the whole pipeline, bit for bit with NaN and inf inputs for the passes that claim it."""

from __future__ import annotations

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given

import minigrad as mg
from minigrad.ops.elementwise import Add, Multiply
from minigrad.program import make_program, passes
from minigrad.program.ir import Instruction, Program, Var
from tests.op_cases import CASES

# Python numbers given as examples trace in the default dtype, as in eager mode: these tests
# compare with exact rewrites and SymPy in float64.
pytestmark = pytest.mark.usefixtures("float64_numbers")


cases = pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])

# The passes that promise the same bits (but for the sign of a zero, see identities).
EXACT = ["identities", "fold_constants", "noop_shapes", "common_subexpressions", "dead_code"]


def _lines(program) -> list[str]:
    return str(program).splitlines()


# -- one pass at a time ------------------------------------------------------------------------
def test_dead_code_drops_what_no_output_needs_and_leaves_its_input_alone():
    p = make_program(lambda x: (mg.sin(x).sum(), x * 2.0)[1])(np.ones(3))
    before = str(p)
    new, changes = passes.dead_code(p)
    assert _lines(new) == [
        "program(x: float64[3]) -> float64[3]",
        "  v0: float64[3] = multiply(x, 2.0)",
        "  return v0",
    ]
    assert changes == ["dce: removed v0 = sin(x)", "dce: removed v1 = sum(v0)"]
    assert str(p) == before and len(p) == 3
    np.testing.assert_array_equal(new(np.arange(3.0)), [0.0, 2.0, 4.0])


def test_common_subexpressions_reuse_the_first_copy_and_add_and_multiply_commute():
    p = make_program(lambda x: mg.sin(x) * mg.sin(x) + x * 2.0 + 2.0 * x)(np.ones(3))
    new, changes = passes.common_subexpressions(p)
    assert _lines(new)[1:] == [
        "  v0: float64[3] = sin(x)",
        "  v1: float64[3] = multiply(v0, v0)",
        "  v2: float64[3] = multiply(x, 2.0)",
        "  v3: float64[3] = add(v1, v2)",
        "  v4: float64[3] = add(v3, v2)",
        "  return v4",
    ]
    assert changes == ["cse: v1 = sin(x) is v0", "cse: v5 = multiply(2.0, x) is v3"]


def test_common_subexpressions_compare_parameters_and_functions():
    """Equal index arrays (other objects) and the same NumPy function merge; another axis, a
    NumPy function made by a lambda each time (argmax) and a custom op's calls do not."""

    class Twice(mg.Function):
        @staticmethod
        def forward(ctx, x):
            return 2 * x

        @staticmethod
        def backward(ctx, g):
            return 2 * g

    def f(x):
        picked = x[np.array([0, 2])] + x[np.array([0, 2])]
        sums = x.sum(0, keepdims=True) + x.sum(0, keepdims=True) + x.sum(1, keepdims=True).T
        signs = (x > 0) * 1.0 + (x > 0) * 1.0
        twice = Twice.apply(x) + Twice.apply(x)
        return picked.sum() + sums.sum() + signs.sum() + twice.sum() + mg.argmax(x) + mg.argmax(x)

    new, changes = passes.common_subexpressions(make_program(f)(np.ones((3, 3))))
    assert changes == [
        "cse: v1 = getitem(x) is v0",
        "cse: v4 = sum(x) is v3",
        "cse: v11 = greater(x, 0) is v9",
        "cse: v12 = multiply(v11, 1.0) is v10",
    ]
    names = [ins.op.name for ins in new.instructions]
    assert names.count("argmax") == 2 and names.count("Twice") == 2
    assert names.count("sum") == 6  # over axis 0 once, over axis 1, and four of other values


def test_fold_constants_keeps_the_array_so_dtypes_promote_as_before():
    """An instruction of constants (a traced program has none: they run eagerly, but rewrites
    and hand-built programs make them) becomes an array constant: 2 * 3 is an int64 array,
    which makes float32 + 6 a float64, as when the program ran it."""
    x = Var(0, (3,), np.float32, "x")
    two, three = Var(1, (), np.int64, "c0", 2), Var(2, (), np.int64, "c1", 3)
    six, out = Var(3, (), np.int64), Var(4, (3,), np.float64)
    instructions = [Instruction(Multiply(), (two, three), six), Instruction(Add(), (x, six), out)]
    p = Program([x], [out], instructions, [two, three])
    new, changes = passes.fold_constants(p)
    assert _lines(new)[1:] == ["  v0: float64[3] = add(x, 6)", "  return v0"]
    assert changes == ["fold: v3 = multiply(2, 3) -> c2 = 6"]
    assert [c.name for c in new.constants] == ["c2"]  # the unused ones go
    got, want = new(np.ones(3, np.float32)), p(np.ones(3, np.float32))
    assert got.dtype == want.dtype == np.float64
    np.testing.assert_array_equal(got, want)


def test_identities_and_what_they_keep():
    def f(x):
        y = -(((x * 1.0 + 0) / 1 - 0.0) ** 1)
        return -y * 1

    p = make_program(f)(np.ones(3, np.float32))
    new, changes = passes.identities(p)
    assert _lines(new)[1:] == ["  v0: float32[3] = negative(x)", "  return x"]
    assert changes[0] == "identities: v0 = multiply(x, 1.0) -> x"
    assert changes[-1] == "identities: v7 = multiply(v6, 1) -> x"
    assert len(changes) == 7
    # a float64 one casts a float32 x and an array of ones broadcasts it: both stay
    q = make_program(lambda x: x * np.float64(1.0) + x * np.ones((2, 3)))(np.ones(3, np.float32))
    kept, changes = passes.identities(q)
    assert changes == [] and str(kept) == str(q)


@pytest.mark.parametrize("shape", [(), (3,)])
def test_x_times_0_and_x_minus_x_stay_because_of_nan_and_inf(shape):
    p = make_program(lambda x: (x * 0.0, x - x))(np.ones(shape))
    s = p.simplify()
    assert s.report == [] and len(s) == 2
    for value in (np.inf, np.nan):
        with np.errstate(invalid="ignore"):
            for got in s(np.full(shape, value)):
                assert np.isnan(got).all()


def test_x_plus_0_gives_minus_0_for_minus_0_as_the_module_says():
    p = make_program(lambda x: x + 0.0)(np.ones(2))
    s = p.simplify()
    x = np.array([-0.0, 1.0])
    assert len(s) == 0 and np.array_equal(s(x), p(x))  # equal numbers ...
    assert np.signbit(s(x)[0]) and not np.signbit(p(x)[0])  # ... another sign bit


def test_noop_shapes_drop_changes_that_change_nothing():
    def f(x):
        same = mg.broadcast_to(x.reshape(2, 2), (2, 2)).astype(np.float64)
        return mg.transpose(same, (0, 1)) + mg.transpose(x, (1, 0))

    new, changes = passes.noop_shapes(make_program(f)(np.ones((2, 2))))
    assert _lines(new)[1:] == [
        "  v0: float64[2,2] = transpose(x)  axes=(1, 0)",  # the same shape, other places
        "  v1: float64[2,2] = add(x, v0)",
        "  return v1",
    ]
    assert changes == [
        "noop_shapes: v0 = reshape(x) -> x",
        "noop_shapes: v1 = broadcast_to(v0) -> x",
        "noop_shapes: v2 = astype(v1) -> x",
        "noop_shapes: v3 = transpose(v2) -> x",
    ]


def test_like_terms_seed_004():
    p = make_program(lambda x: 3 * x - x + 2 * x + 1)(np.ones(3))
    s = p.simplify()
    assert _lines(s) == [
        "program(x: float64[3]) -> float64[3]",
        "  v0: float64[3] = multiply(x, 4.0)",
        "  v1: float64[3] = add(v0, 1.0)",
        "  return v1",
    ]
    assert s.report == ["like_terms: v4 = add(v3, 1) is 4*x + 1 (5 instructions -> 2)"]
    x = np.random.default_rng(0).standard_normal(3)
    np.testing.assert_allclose(s(x), p(x), rtol=1e-15)


def test_like_terms_only_rewrites_when_it_saves_instructions():
    p = make_program(lambda x, y: -x + y / 2 - 3 * x - 2)(np.ones(3), np.ones(3))
    new, changes = passes.like_terms(p)
    assert _lines(new)[1:-1] == [
        "  v0: float64[3] = multiply(x, -4.0)",
        "  v1: float64[3] = multiply(y, 0.5)",
        "  v2: float64[3] = add(v0, v1)",
        "  v3: float64[3] = subtract(v2, 2.0)",
    ]
    assert changes == ["like_terms: v5 = subtract(v4, 2) is -4*x + 0.5*y - 2 (6 instructions -> 4)"]
    for f in (lambda x, y: x + y, lambda x, y: 2 * x - y / 3):  # nothing to save
        assert passes.like_terms(make_program(f)(np.ones(3), np.ones(3)))[1] == []
    # a value used twice is computed once; float32 stays float32
    q = make_program(lambda x: ((x + x) * 2, (x + x) - x))(np.ones(3, np.float32))
    s = q.simplify()
    assert [v.type_text() for v in s.outputs] == ["float32[3]", "float32[3]"]
    np.testing.assert_array_equal(s(np.arange(3, dtype=np.float32))[1], [0.0, 1.0, 2.0])


# -- the pipeline ------------------------------------------------------------------------------
def test_the_second_derivative_of_sin_x_times_x_shrinks_from_17_to_6_instructions():
    d2 = make_program(lambda x: mg.sin(x) * x)(2.0).grad().grad()
    s = d2.simplify()
    assert (len(d2), len(s)) == (17, 6)
    assert _lines(s)[1:] == [
        "  v0: float64[] = sin(x)",
        "  v1: float64[] = cos(x)",
        "  v2: float64[] = negative(x)",
        "  v3: float64[] = multiply(v2, v0)",
        "  v4: float64[] = add(v3, v1)",
        "  v5: float64[] = add(v4, v1)",
        "  return v5",
    ]
    assert sum(line.startswith("identities") for line in s.report) == 6
    for x in (0.3, -1.7, 2.0):
        assert float(s(x)) == float(d2(x)) == pytest.approx(2 * np.cos(x) - x * np.sin(x))


def test_the_gradient_of_a_small_layer_loses_its_dead_value_and_its_multiply_by_ones():
    g = make_program(lambda x, w: mg.tanh(x @ w).sum())(np.ones((4, 3)), np.ones((3, 2))).grad()
    s = g.simplify()
    assert (len(g), len(s)) == (8, 6)
    assert s.report == ["identities: v5 = multiply(c1, v4) -> v4", "dce: removed v2 = sum(v1)"]
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((4, 3)), rng.standard_normal((3, 2))
    np.testing.assert_array_equal(s(x, w), g(x, w))


def test_a_simplified_program_is_a_program_like_any_other():
    p = make_program(lambda x: (mg.sin(x) * x * 1.0).sum())(np.ones(3))
    s = p.simplify()
    x = np.array([0.1, -2.0, 3.0])
    np.testing.assert_allclose(s.grad()(x), p.grad()(x), rtol=1e-15)
    assert len(s.grad().simplify()) < len(p.grad())
    only = p.simplify(passes=["dead_code", passes.identities])
    assert only.report == ["identities: v2 = multiply(v1, 1.0) -> v1"]
    assert p.simplify(passes=[]).report == [] and str(p.simplify(passes=[])) == str(p)
    with pytest.raises(ValueError, match="unknown pass 'cse'; the passes are identities, "):
        p.simplify(passes=["cse"])


def test_guards_follow_the_values_they_check():
    """mg.compile's guards name values by index: a rewrite moves them to what replaces the
    value, and keeps the instructions they check alive."""
    p = make_program(lambda x: (x * 1.0).sum() + mg.sin(x).sum())(np.ones(3))
    times_one, _, sine, guarded, _ = p.instructions
    p.guards = [
        (times_one.out.index, "bool", True, "f.py:1"),
        (guarded.out.index, "float", 0.5, ""),
    ]
    s = p.simplify()
    assert len(s) == 4  # sum(sin(x)) stays: a guard reads it
    by_index = {v.index: v.name for v in (*s.inputs, *(i.out for i in s.instructions))}
    assert [by_index[g[0]] for g in s.guards] == ["x", "v2"]
    assert [g[1:] for g in s.guards] == [g[1:] for g in p.guards]
    assert _lines(s)[3] == "  v2: float64[] = sum(v1)  axis=(0,) keepdims=False"
    assert p.guards[0][0] == times_one.out.index  # the original keeps its own
    # like terms would round the guarded value otherwise, and the guard compares exactly
    q = make_program(lambda x: (2 * x - x + x).sum())(np.ones(2))
    assert len(q.simplify()) == 2
    q.guards = [(q.outputs[0].index, "float", 4.0, "f.py:2")]
    assert len(q.simplify()) == 4 and q.simplify().report == []


def test_constants_keep_their_meaning_when_simplifying():
    """A NumPy array from outside is copied when traced (as eager mode copies NumPy operands):
    the program and its simplified form use its value then. A tensor from outside is borrowed:
    both read its data when they run, and no rewrite relies on its value."""
    ones = np.ones(3)
    w = np.ones(3)
    p = make_program(lambda x: x * w)(ones)
    s = p.simplify()
    w[:] = 2.0
    assert p(ones).tolist() == s(ones).tolist() == [1.0, 1.0, 1.0]
    t = mg.tensor(np.ones(3))
    p = make_program(lambda x: x * t)(ones)
    s = p.simplify()
    assert len(s) == 1  # x * t stays, although t holds ones now
    t.data[:] = 2.0
    assert p(ones).tolist() == s(ones).tolist() == [2.0, 2.0, 2.0]
    t.data = np.full(3, 3.0)  # rebound, not changed in place: still what a replay reads
    assert p(ones).tolist() == s(ones).tolist() == [3.0, 3.0, 3.0]


# -- every op case -----------------------------------------------------------------------------
def _traced(case, data):
    arrays, params = data.draw(case.inputs, label="inputs")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    program = make_program(lambda *xs: case.fn(*xs, **params))(*arrays)
    others = [a + 1e-3 * rng.standard_normal(a.shape) for a in arrays]  # (inside each domain)
    return program, others, rng


def _programs(program, others, rng):
    """(program, the arrays to run it on): the program, its vjp program and, where the output
    and the first input are scalars, its second derivative."""
    cts = [rng.standard_normal(v.shape) for v in program.outputs if v.dtype.kind == "f"]
    yield program, others
    yield program.vjp(), [*others, *cts]
    if program.outputs[0].shape == () and program.inputs[0].shape == ():
        yield program.grad().grad(), others


def _check(got, want, exact: bool) -> None:
    got = got if isinstance(got, tuple) else (got,)
    want = want if isinstance(want, tuple) else (want,)
    for g, w in zip(got, want, strict=True):
        assert g.shape == w.shape and g.dtype == w.dtype
        if exact:
            np.testing.assert_array_equal(g, w)  # NaN where NaN; zeros compared as numbers
        else:
            np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)


@cases
@given(data=st.data())
def test_simplified_programs_compute_what_the_originals_compute(case, data):
    program, others, rng = _traced(case, data)
    for original, arrays in _programs(program, others, rng):
        text = str(original)
        simplified = original.simplify()
        assert len(simplified) <= len(original) and str(original) == text
        _check(simplified(*arrays), original(*arrays), exact=False)


@cases
@given(data=st.data())
def test_the_exact_passes_keep_nan_and_inf_where_they_were(case, data):
    program, others, rng = _traced(case, data)
    specials = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0])
    for original, arrays in _programs(program, others, rng):
        arrays = [
            np.where(rng.random(a.shape) < 0.3, rng.choice(specials, a.shape), a) for a in arrays
        ]
        simplified = passes.simplify(original, EXACT)
        with np.errstate(all="ignore"):
            _check(simplified(*arrays), original(*arrays), exact=True)
