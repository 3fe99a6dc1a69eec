"""HIPS/autograd's per-function tests (test_numpy, test_scalar_ops, test_systematic,
test_binary_ops) re-expressed for minigrad: values and dtypes against NumPy, derivatives against
central differences in float64 (reverse and forward mode, and second order where autograd checks
it), kinks and ties by PyTorch/JAX conventions. Graphs, transforms: test_peers_autograd_graphs."""

from __future__ import annotations

import operator

import numpy as np
import pytest

import minigrad as mg

RNG = np.random.default_rng(1)
F = np.float64


def R(*shape):
    return RNG.standard_normal(shape)


def check(f, *xs, order=2):
    """autograd's check_grads: both modes vs central differences, to second order."""
    mg.gradcheck(f, *xs)
    if order >= 2:
        mg.gradgradcheck(f, *xs)


def same(out, expected, rtol=1e-12):
    expected = np.asarray(expected)
    assert isinstance(out, mg.Tensor)
    assert out.shape == expected.shape and out.dtype == expected.dtype
    np.testing.assert_allclose(out.data, expected, rtol=rtol, atol=1e-14)


# -- reductions (test_numpy, test_systematic.stat_check) ----------------------------------
REDUCTIONS = ["sum", "mean", "var", "std", "max", "min", "prod"]


@pytest.mark.parametrize("name", REDUCTIONS)
@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduction(name, axis, keepdims):
    x = R(2, 3, 4)
    same(
        getattr(mg, name)(x, axis=axis, keepdims=keepdims),
        getattr(np, name)(x, axis, keepdims=keepdims),
    )
    check(lambda t: getattr(mg, name)(t, axis=axis, keepdims=keepdims), x, order=1)


@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_of_scalars_and_flat_arrays(name):
    for x in [F(3.5), R(3), R(1, 3)]:
        same(getattr(mg, name)(x), getattr(np, name)(x))
        check(getattr(mg, name), x)


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("ddof", [0, 1, 2])
def test_var_std_ddof(name, ddof):
    for x in [R(3), R(3, 4), R(1, 3)]:
        for axis in [None, 1] if x.ndim == 2 and x.shape[1] > ddof else [None]:
            for keepdims in [False, True]:
                fn = lambda t, a=axis, k=keepdims: getattr(mg, name)(t, a, ddof=ddof, keepdims=k)
                same(fn(x), getattr(np, name)(x, axis, ddof=ddof, keepdims=keepdims))
                check(fn, x, order=1)


def test_mean_var_std_of_a_pair_built_from_one_scalar():
    pair = lambda x: mg.stack([x, x + 2])
    assert mg.grad(lambda x: mg.mean(pair(x)))(F(0.0)).item() == 1.0
    assert mg.grad(lambda x: mg.std(pair(x)))(F(0.0)).item() == 0.0
    assert mg.grad(lambda x: mg.var(pair(x)))(F(0.0)).item() == 0.0


def test_prod_gradient_is_exact_at_zeros():
    assert mg.grad(mg.prod)(np.array([0.0, 2.0, 3.0])).tolist() == [6.0, 0.0, 0.0]
    assert mg.grad(mg.prod)(np.array([0.0, 0.0, 3.0])).tolist() == [0.0, 0.0, 0.0]
    assert mg.jacfwd(mg.prod)(np.array([0.0, 2.0, 3.0])).tolist() == [6.0, 0.0, 0.0]


def test_prod_of_small_ints_promotes_like_numpy():
    for x in [np.array([100000, 100000], np.int32), np.array([100, 100], np.int8)]:
        same(mg.prod(x), np.prod(x))
    same(mg.prod(np.array([True, True])), np.prod(np.array([True, True])))


def test_prod_with_an_empty_axis_kept():
    same(mg.prod(np.ones((2, 0)), axis=0), np.prod(np.ones((2, 0)), axis=0))


# -- elementwise (test_scalar_ops, test_systematic.unary_ufunc_check) ----------------------
UNARY = [  # minigrad, NumPy, domain
    (mg.abs, np.abs, (0.1, 4.0)),
    (mg.negative, np.negative, (-2, 2)),
    (mg.exp, np.exp, (-2, 2)),
    (mg.log, np.log, (0.2, 2.0)),
    (mg.log1p, np.log1p, (0.2, 2.0)),
    (mg.sqrt, np.sqrt, (1.0, 3.0)),
    (mg.sin, np.sin, (-2, 2)),
    (mg.cos, np.cos, (-2, 2)),
    (mg.tanh, np.tanh, (-2, 2)),
    (mg.sigmoid, lambda x: 1 / (1 + np.exp(-x)), (-2, 2)),
    (lambda x: x * x, np.square, (-2, 2)),
    (lambda x: 1 / x, np.reciprocal, (0.5, 2.0)),
]


@pytest.mark.parametrize(
    "fn, ref, lims",
    UNARY,
    ids=[r.__name__ for _, r, _ in UNARY[:-3]] + ["sigmoid", "square", "reciprocal"],
)
def test_unary(fn, ref, lims):
    lo, hi = lims
    for u in [F(0.4), RNG.random(2), RNG.random((3, 2)), RNG.random((1, 2))]:
        x = lo + (hi - lo) * u
        same(fn(mg.Tensor(x)), ref(x))
        check(lambda t: 3.0 * fn(t), x)


def test_kinks_follow_pytorch_and_jax():
    for fn in [mg.abs, mg.relu]:
        assert mg.grad(fn)(F(0.0)).item() == 0.0
        assert mg.jvp(fn, (F(0.0),), (F(1.0),))[1].item() == 0.0
    check(lambda x: 3.0 * mg.abs(x), F(1.1))
    check(lambda x: 3.0 * mg.abs(x), F(-1.1))
    # sign is piecewise constant: its derivative is 0 wherever it exists
    assert mg.grad(lambda x: 3.0 * mg.sign(x))(F(1.1)).item() == 0.0
    same(mg.sign(np.array([-1.1, 0.0, 2.0])), np.array([-1.0, 0.0, 1.0]))


def test_power_in_each_argument():
    exponent, base = F(RNG.standard_normal() ** 2 + 1.0), F(RNG.standard_normal() ** 2)
    check(lambda x: mg.power(x, exponent), F(RNG.random() ** 2 + 1.0))
    check(lambda y: mg.power(base, y), F(RNG.random() ** 2))
    check(lambda y: mg.power(F(0.0), y), F(RNG.random() ** 2 + 0.1))  # 0 ** y is 0 for y > 0


def test_power_zero_exponent_at_zero_first_derivative():
    assert mg.grad(lambda x: mg.power(x, 0.0))(F(0.0)).item() == 0.0


def test_power_zero_exponent_at_zero_second_derivative():
    assert mg.grad(mg.grad(lambda x: mg.power(x, 0.0)))(F(0.0)).item() == 0.0


BINARY = {
    "add": (operator.add, lambda a, b: (a, b)),
    "sub": (operator.sub, lambda a, b: (a, b)),
    "mul": (operator.mul, lambda a, b: (a, b)),
    "div": (operator.truediv, lambda a, b: (np.sqrt(a * a + 0.5), np.sqrt(b * b + 0.5))),
    "pow": (operator.pow, lambda a, b: (np.abs(a) + 1.1, b)),
    "maximum": (mg.maximum, lambda a, b: (a, b)),
    "minimum": (mg.minimum, lambda a, b: (a, b)),
}
NUMPY_BINARY = {"maximum": np.maximum, "minimum": np.minimum}


@pytest.mark.parametrize("name", BINARY)
def test_binary_ops_on_every_pair_of_shapes(name):
    fn, domain = BINARY[name]
    ref = NUMPY_BINARY.get(name, fn)
    shapes = [(), (4,), (3, 4), (1, 4), (3, 1)]
    for s1 in shapes:
        for s2 in shapes:
            a, b = domain(R(*s1), R(*s2))
            a, b = F(a) if not s1 else a, F(b) if not s2 else b
            same(fn(mg.Tensor(a), b), ref(a, b))
            check(fn, a, b, order=1 if s1 == s2 == (3, 4) else 2)


@pytest.mark.parametrize("cmp", [operator.lt, operator.le, operator.gt, operator.ge, operator.eq])
def test_comparisons_are_constants(cmp):
    x, y = R(3, 4), R(1, 4)
    out = cmp(mg.tensor(x, requires_grad=True), y)
    same(out, cmp(x, y))
    assert not out.requires_grad
    gx, gy = mg.grad(lambda a, b: mg.sum(cmp(a, b)) + a.sum() * 0.0, argnums=(0, 1))(x, y)
    assert not gx.data.any() and not gy.data.any()


def test_where_and_clip():
    c = R(4, 5) > 0
    check(lambda x, y: mg.where(c, x, y), R(4, 5), R(4, 5))
    check(lambda x, y: mg.where(c, x, y), R(5), R(4, 1))
    x = R(5, 5)
    same(mg.clip(x, 0.1, 1.1), np.clip(x, 0.1, 1.1))
    check(lambda t: mg.clip(t, a_min=0.1, a_max=1.1), x)
    # at a bound, the derivative is 1 (PyTorch's clamp)
    at = np.array([0.1, 1.1, 0.5, -1.0, 2.0])
    assert mg.grad(lambda t: mg.clip(t, 0.1, 1.1).sum())(at).tolist() == [1, 1, 1, 0, 0]


# -- ties share the derivative equally (test_numpy: *_equal_values) -----------------------
def both_modes(f, x):
    return mg.jacrev(f)(F(x)).data, mg.jacfwd(f)(F(x)).data


def test_max_of_equal_values():
    for jac in both_modes(lambda x: mg.max(mg.stack([x, x])), 1.0):
        assert jac == 1.0
    half = mg.tensor(F(0.5))
    rows = lambda x: mg.stack([mg.stack([x, x]), mg.stack([x, half])])
    for x, expected in [(1.0, [1, 1]), (-1.0, [1, 0])]:
        for jac in both_modes(lambda t: mg.max(rows(t), axis=1), x):
            assert jac.tolist() == expected
    assert mg.grad(mg.max)(np.array([1.0, 3.0, 3.0])).tolist() == [0, 0.5, 0.5]


def test_min_three_way_equality():
    h = mg.tensor(F(0.5))
    grid = [[None, None, None], [None, h, h], [h, h, h], [None, None, h]]  # None: x
    table = lambda x: mg.stack([mg.stack([x if v is None else v for v in row]) for row in grid])
    for x, expected in [(1.0, [0, 0, 0]), (-1.0, [1, 1, 1])]:
        for jac in both_modes(lambda t: mg.min(table(t), axis=0), x):
            np.testing.assert_allclose(jac, expected, rtol=1e-15)


def test_maximum_of_equal_values():
    for jac in both_modes(lambda x: mg.maximum(x, x), 1.0):
        assert jac == 1.0
    h = mg.tensor(F(0.5))
    a = lambda x: mg.stack([x, x, h])
    b = lambda x: mg.stack([mg.stack([x, h, x]), mg.stack([x, x, h])])
    cases = {1.0: [[1, 1, 1], [1, 1, 0]], -1.0: [[1, 0, 0], [1, 1, 0]], 2.0: [[1, 1, 1], [1, 1, 0]]}
    for x, expected in cases.items():
        for jac in both_modes(lambda t: mg.maximum(a(t), b(t)), x):
            assert jac.tolist() == expected
    ga, gb = mg.grad(lambda u, v: mg.maximum(u, v).sum(), argnums=(0, 1))(
        np.ones(2), np.array([1.0, 3.0])
    )
    assert ga.tolist() == [0.5, 0.0] and gb.tolist() == [0.5, 1.0]


# -- linear algebra (test_numpy.test_dot, test_systematic: matmul, einsum, outer, inner) ---
MATMUL_SHAPES = [
    ((10, 11), (11,)),
    ((10, 11), (11, 10)),
    ((10,), (10, 11)),
    ((11,), (11,)),
    ((2, 3), (3, 4)),
    ((2, 2, 3), (2, 3, 4)),
    ((3,), (2, 3, 4)),
    ((2, 2, 3), (3,)),
    ((1, 2, 2), (3, 2, 1)),
]


@pytest.mark.parametrize("sa, sb", MATMUL_SHAPES, ids=str)
def test_matmul_shapes(sa, sb):
    a, b = R(*sa), R(*sb)
    same(mg.matmul(a, b), np.matmul(a, b), rtol=1e-10)
    check(lambda x, y: x @ y, a, b, order=2 if a.size + b.size < 50 else 1)


def test_matmul_errors_name_the_shapes():
    with pytest.raises(ValueError, match="at least 1 dimension"):
        mg.matmul(R(3), F(1.5))
    with pytest.raises(ValueError, match=r"inner dimensions differ.*\(2, 3\).*\(4,\)"):
        mg.matmul(R(2, 3), R(4))


EINSUM = [
    ("ij->ji", [(3, 4)]),
    ("ij->ji", [(1, 1)]),
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("i,j->ij", [(4,), (5,)]),  # outer
    ("i,i->", [(3,)] * 2),  # inner
    ("ij,kj->ik", [(2, 3), (4, 3)]),  # inner of matrices
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("ijk,jkl->il", [(2, 3, 2), (3, 2, 4)]),  # tensordot over two axes
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("ij,kl->ik", [(2, 3), (4, 5)]),
    ("ij->", [(2, 3)]),
]


@pytest.mark.parametrize("spec, shapes", EINSUM, ids=[s for s, _ in EINSUM])
def test_einsum(spec, shapes):
    xs = [R(*s) for s in shapes]
    same(mg.einsum(spec, *xs), np.einsum(spec, *xs), rtol=1e-10)
    check(lambda *ts: mg.einsum(spec, *ts), *xs)


def test_einsum_refuses_what_it_does_not_support():
    with pytest.raises(ValueError, match="ellipsis"):
        mg.einsum("...ij,...jk->...ik", R(2, 3), R(3, 4))
    with pytest.raises(ValueError, match="repeats within one operand"):
        mg.einsum("ii->i", R(3, 3))


# -- shapes, joins and indexing (test_numpy) -----------------------------------------------
SHAPE_OPS = [  # minigrad on a Tensor, NumPy on an array, input shape
    ("reshape_method", lambda x: x.reshape((20, 6)), lambda a: a.reshape((20, 6)), (5, 6, 4)),
    ("reshape_nolist", lambda x: x.reshape(20, 6), lambda a: a.reshape(20, 6), (5, 6, 4)),
    ("reshape_call", lambda x: mg.reshape(x, (-1, 6)), lambda a: np.reshape(a, (-1, 6)), (5, 6, 4)),
    ("flatten", lambda x: x.flatten(), lambda a: a.flatten(), (5, 6, 4)),
    ("T", lambda x: x.T, lambda a: a.T, (2, 3, 4)),
    ("mT", lambda x: x.mT, lambda a: np.swapaxes(a, -1, -2), (2, 3, 4)),
    ("swapaxes", lambda x: mg.swapaxes(x, 0, -1), lambda a: np.swapaxes(a, 0, -1), (2, 3, 4)),
    ("squeeze", lambda x: mg.squeeze(x), lambda a: np.squeeze(a), (5, 1, 4)),
    ("squeeze_method", lambda x: x.squeeze(), lambda a: a.squeeze(), (5, 1, 4)),
    ("squeeze_axis", lambda x: mg.squeeze(x, -2), lambda a: np.squeeze(a, -2), (5, 1, 4)),
    ("expand_dims", lambda x: mg.expand_dims(x, 2), lambda a: np.expand_dims(a, 2), (5, 1, 4)),
    ("expand_dims_neg", lambda x: mg.expand_dims(x, -3), lambda a: np.expand_dims(a, -3), (5, 4)),
    (
        "expand_dims_2",
        lambda x: mg.expand_dims(x, (0, -1)),
        lambda a: np.expand_dims(a, (0, -1)),
        (3,),
    ),
    (
        "broadcast_to",
        lambda x: mg.broadcast_to(x, (3, 2, 4)),
        lambda a: np.broadcast_to(a, (3, 2, 4)),
        (2, 1),
    ),
]
for axes in [None, (0, 1, 2), (0, 2, 1), (2, 0, 1), (2, 1, 0), (1, 0, 2), (1, 2, 0), (-1, 0, 1)]:
    SHAPE_OPS.append(
        (
            f"transpose{axes}",
            lambda x, a=axes: mg.transpose(x, a),
            lambda v, a=axes: np.transpose(v, a),
            (2, 3, 4),
        )
    )


@pytest.mark.parametrize("name, fn, ref, shape", SHAPE_OPS, ids=[op[0] for op in SHAPE_OPS])
def test_shape_op(name, fn, ref, shape):
    x = R(*shape)
    same(fn(mg.Tensor(x)), ref(x))
    check(fn, x, order=1)


def test_concatenate_stack_split():
    a, b = R(5, 6, 4), R(4, 6, 4)
    same(mg.concatenate((a, mg.Tensor(b))), np.concatenate((a, b)))
    check(lambda x: mg.concatenate((a, x)), b)
    for axis in [0, 1, -1]:
        check(lambda x, ax=axis: mg.concatenate((b, x, b), ax), R(4, 6, 4), order=1)
    check(lambda x, y: mg.concatenate([x, y, x]), R(2, 3), R(1, 3))
    check(lambda x, s: mg.concatenate([x, mg.reshape(s, (1,))]), np.array([1.0, 2, 3]), F(4.0))
    c = R(5, 6, 4)
    for axis in [0, 1, 2, -1, -3]:
        same(mg.stack([a, mg.Tensor(c)], axis), np.stack([a, c], axis))
    check(lambda x, y: mg.stack([x, y], axis=-1), R(3, 2), R(3, 2))
    x = R(4, 3)
    for sections in [2, [1, 3], [0], [3, 1]]:
        got, ref = mg.split(x, sections), np.split(x, sections)
        assert len(got) == len(ref)
        for g, r in zip(got, ref, strict=True):
            same(g, r)
        check(
            lambda t, s=sections: mg.concatenate(
                [p * (i + 1) for i, p in enumerate(mg.split(t, s))]
            ),
            x,
        )
    check(lambda t: mg.split(t, 3, axis=-1)[2], x)


def test_arrays_built_from_scalars_and_fanout():
    check(lambda x: mg.stack([x, x * 1.0, x + 2.5]), F(3.0))
    grid = lambda x: mg.stack([mg.stack([x, x * 1.0, x + 2.5]), mg.stack([x**2, x, x / 2.0])])
    check(grid, F(3.0))
    check(lambda x: grid(x) + grid(x), F(3.0))
    check(lambda x: mg.stack([2 * x, x + 1]), R(3, 2))
    check(lambda x, y: sum([x, y]), R(10, 11), R(10, 11), order=1)  # Python's sum


INDEXES = [
    ("ints", lambda x: x[3, 0, 1]),
    ("reversed_slice", lambda x: x[::-1, 2:4, :]),
    ("negative_step_2", lambda x: x[::-2, 5:1:-2]),
    ("lists", lambda x: x[[0, 1, 2], :, :]),
    ("mixed", lambda x: x[3, 2:, [1, 3]]),
    ("arrays_split_by_slice", lambda x: x[[0, 1], :, [1, 0]]),
    ("repeated", lambda x: x[[0, 0, 4, 0]]),
    ("repeated_pairs", lambda x: x[[0, 2, 0], [1, 1, 1]]),
    ("fanout", lambda x: x[::-1, 2:4, :] + x[::-1, 3:5, :]),
    ("chained_slices", lambda x: x[2:5][1:3]),
    ("bool_mask", lambda x: x[np.array([True, False, True, False, True])]),
    ("ellipsis_none", lambda x: x[..., None, 1]),
    ("negative_ints", lambda x: x[-1, -2]),
]


@pytest.mark.parametrize("name, index", INDEXES, ids=[i[0] for i in INDEXES])
def test_indexing(name, index):
    x = R(5, 6, 4)
    same(index(mg.Tensor(x)), index(x))
    check(index, x, order=1)


def test_repeated_indices_accumulate():
    assert mg.grad(lambda x: x[[0, 1, 0]].sum())(np.arange(3.0)).tolist() == [2, 1, 0]
    assert mg.grad(lambda x: x[np.array([[0, 0], [1, 0]])].sum())(np.zeros(3)).tolist() == [3, 1, 0]
    check(lambda x: x[:2] @ x[2:], R(4))


def test_gradient_keeps_the_input_dtype_through_astype():
    grad = mg.grad(lambda x: mg.sin(x.astype(np.float64)).sum())(np.arange(3, dtype=np.float32))
    assert grad.dtype == np.float32


# -- plain NumPy functions called on a Tensor (test_numpy.test_plain_numpy_reductions_on_box) --
def test_plain_numpy_reductions_on_a_tensor():
    x = np.abs(R(5)) + 0.5
    for np_fn, mg_fn in [
        (np.sum, mg.sum),
        (np.prod, mg.prod),
        (np.max, mg.max),
        (np.mean, mg.mean),
    ]:
        np.testing.assert_allclose(mg.grad(np_fn)(x).data, mg.grad(mg_fn)(x).data)


def test_plain_numpy_functions_never_silently_drop_the_graph():
    t = mg.tensor(R(3), requires_grad=True)
    calls = {
        "concatenate": lambda: np.concatenate([t, t]),
        "stack": lambda: np.stack([t, t]),
        "where": lambda: np.where(t.data > 0, t, 0.0),
        "clip": lambda: np.clip(t, -0.5, 0.5),
        "dot": lambda: np.dot(t, t),
        "reshape": lambda: np.reshape(t, (3, 1)),
    }
    for name, call in calls.items():
        out = call()  # recorded through minigrad's function of the same name
        assert isinstance(out, mg.Tensor) and out.requires_grad, f"np.{name} dropped the graph"
