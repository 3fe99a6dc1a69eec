"""karpathy/micrograd's and minitorch's test suites re-expressed for minigrad: micrograd's two
hand-checked expressions, and minitorch's operator properties, its MathTest functions (forward
vs NumPy, derivatives vs central differences, under broadcasting and on strided inputs),
permute, views, matmul and custom-function backprop, drawn by hypothesis where minitorch does."""

from __future__ import annotations

import math

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import assume, given, settings

import minigrad as mg
from minigrad.numerical import central_jacobian

F = np.float64
small = st.floats(-100, 100, allow_nan=False)


def close(a, b, rtol=1e-9, atol=1e-9):
    return np.allclose(np.asarray(a, dtype=F), np.asarray(b, dtype=F), rtol=rtol, atol=atol)


def num_grads(f, *xs):
    """Central differences of a float function, one partial derivative per argument."""
    return [j.item() for j in central_jacobian(lambda *a: f(*map(float, a)), [F(x) for x in xs])]


# -- micrograd (test/test_engine.py) -------------------------------------------------------
def sanity(x, relu):
    z = 2 * x + 2 + x
    q = relu(z) + z * x
    h = relu(z * z)
    return h + q + q * x


def more_ops(a, b, relu):
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + relu(b + a)
    d = d + 3 * d + relu(b - a)
    f = (c - d) ** 2
    return f / 2.0 + 10.0 / f


def test_micrograd_sanity_check():
    x = mg.tensor(F(-4.0), requires_grad=True)
    y = sanity(x, mg.relu)
    y.backward()
    # by hand (z < 0, so relu(z) = 0): z = 3x + 2 = -10, q = z x = 40, h = z^2 = 100,
    # y = h + q + q x = -20; dy/dx = 6z + (6x + 2)(1 + x) + q = -60 + 66 + 40 = 46
    assert y.item() == -20.0 and x.grad.item() == 46.0
    assert math.isclose(num_grads(lambda v: sanity(v, lambda t: max(t, 0.0)), -4.0)[0], 46.0)


def test_micrograd_more_ops():
    a = mg.tensor(F(-4.0), requires_grad=True)
    b = mg.tensor(F(2.0), requires_grad=True)
    g = more_ops(a, b, mg.relu)
    g.backward()
    ga, gb = num_grads(lambda u, v: more_ops(u, v, lambda t: max(t, 0.0)), -4.0, 2.0)
    assert abs(g.item() - 24.70408163265306) < 1e-12
    assert abs(a.grad.item() - 138.83381924198252) < 1e-9 and abs(a.grad.item() - ga) < 1e-5
    assert abs(b.grad.item() - 645.5772594752186) < 1e-9 and abs(b.grad.item() - gb) < 1e-5


def test_micrograd_augmented_assignment_rebinds_as_for_python_numbers():
    a = mg.tensor(F(-4.0), requires_grad=True)
    c = a + 1
    before = c
    c += c + 1  # micrograd's Value: c = c + (c + 1), a new node
    assert c is not before and before.item() == -3.0
    c.backward()
    assert a.grad.item() == 2.0


# -- minitorch operators (tests/test_operators.py): properties on 0-d tensors ---------------
def t(v):
    return mg.tensor(F(v))


@given(small, small)
def test_same_as_python(x, y):
    assert (t(x) * y).item() == x * y and (t(x) + y).item() == x + y
    assert (-t(x)).item() == -x and mg.maximum(t(x), y).item() == max(x, y)
    if abs(x) > 1e-5:
        assert close((1 / t(x)).item(), 1.0 / x)


@given(small, small)
def test_relu_and_its_backward(a, b):
    out, pullback = mg.vjp(mg.relu, F(a))
    (g,) = pullback(F(b))
    assert out.item() == (a if a > 0 else 0.0)
    assert g.item() == (b if a > 0 else 0.0)  # relu'(0) := 0


@given(small, small, small)
def test_order_and_equality(a, b, c):
    assert bool(t(a - 1.0) < a) and not bool(t(a) < a - 1.0)
    assert mg.maximum(t(a - 1.0), a).item() == a and mg.maximum(t(a), a + 1.0).item() == a + 1.0
    assert bool(t(a) == a) and not bool(t(a) == a + 1.0)
    if bool(t(a) < b) and bool(t(b) < c):
        assert bool(t(a) < c)


@given(small)
def test_sigmoid_properties(a):
    s = mg.sigmoid(t(a)).item()
    assert 0.0 <= s <= 1.0
    assert close(1.0 - s, mg.sigmoid(t(-a)).item(), atol=1e-15)
    assert mg.sigmoid(t(0.0)).item() == 0.5
    assert mg.sigmoid(t(a + 1.0)).item() >= s
    if abs(a) < 30:
        assert mg.sigmoid(t(a + 1.0)).item() > s


@given(small, small, small)
def test_arithmetic_laws(x, y, z):
    assert (t(x) * y).item() == (t(y) * x).item()
    assert close((t(z) * (t(x) + y)).item(), (t(z) * x + t(z) * y).item(), rtol=1e-9, atol=1e-9)
    assert close(mg.prod(np.array([x, y, z])).item(), x * y * z, rtol=1e-12)
    assert close(mg.log(mg.exp(t(x))).item(), x, atol=1e-12)
    assert close(mg.exp(mg.log(t(abs(x) + 1.0))).item(), abs(x) + 1.0, rtol=1e-12)


@given(st.lists(small, min_size=5, max_size=5), st.lists(small, min_size=5, max_size=5))
def test_sum_distributes_and_negation(ls1, ls2):
    a, b = mg.tensor(np.array(ls1)), mg.tensor(np.array(ls2))
    assert close((a.sum() + b.sum()).item(), (a + b).sum().item())
    assert (-a).tolist() == [-v for v in ls1]


# -- minitorch MathTest (minitorch/testing.py) on hypothesis tensors ------------------------
@st.composite
def arrays(draw, shape=None, lo=-100.0, hi=100.0):
    """Values in [lo, hi], shapes of up to 3 axes of 1 to 3, in a permuted (strided) layout
    as minitorch's tensor_data strategy draws them."""
    if shape is None:
        shape = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)))
    n = math.prod(shape)
    x = np.array(draw(st.lists(st.floats(lo, hi), min_size=n, max_size=n))).reshape(shape)
    perm = draw(st.permutations(range(len(shape))))
    return np.transpose(np.ascontiguousarray(np.transpose(x, perm)), np.argsort(perm))


def complex_fn(a, relu, sigmoid, log):
    return log(sigmoid(relu(relu(a * 10 + 7) * 6 + 5) * 10)) / 50


ONE_ARG = {  # minigrad, NumPy
    "neg": (lambda a: -a, lambda a: -a),
    "addConstant": (lambda a: 5 + a, lambda a: 5 + a),
    "square": (lambda a: a * a, lambda a: a * a),
    "cube": (lambda a: a * a * a, lambda a: a * a * a),
    "subConstant": (lambda a: a - 5, lambda a: a - 5),
    "multConstant": (lambda a: 5 * a, lambda a: 5 * a),
    "div": (lambda a: a / 5, lambda a: a / 5),
    "inv": (lambda a: 1.0 / (a + 3.5), lambda a: 1.0 / (a + 3.5)),
    "sig": (lambda a: a.sigmoid(), lambda a: 1 / (1 + np.exp(-a))),
    "log": (lambda a: (a + 100000).log(), lambda a: np.log(a + 100000)),
    "relu": (lambda a: (a + 5.5).relu(), lambda a: np.maximum(a + 5.5, 0)),
    "exp": (lambda a: (a - 200).exp(), lambda a: np.exp(a - 200)),
    "explog": (
        lambda a: (a + 100000).log() + (a - 200).exp(),
        lambda a: np.log(a + 100000) + np.exp(a - 200),
    ),
    "complex": (
        lambda a: complex_fn(a, mg.relu, mg.sigmoid, mg.log),
        lambda a: complex_fn(a, lambda v: np.maximum(v, 0), lambda v: 1 / (1 + np.exp(-v)), np.log),
    ),
}


@pytest.mark.parametrize("name", ONE_ARG)
@settings(max_examples=10)
@given(x=arrays())
def test_one_arg(name, x):
    fn, ref = ONE_ARG[name]
    if name == "inv":
        assume(np.all(np.abs(x + 3.5) > 0.1))
    out = fn(mg.Tensor(x))
    assert out.shape == x.shape and out.dtype == np.float64
    np.testing.assert_allclose(out.data, ref(x), rtol=1e-10, atol=1e-300)
    mg.gradcheck(fn, x)


TWO_ARG = {
    "add2": (lambda a, b: a + b, lambda a, b: a + b),
    "mul2": (lambda a, b: a * b, lambda a, b: a * b),
    "div2": (lambda a, b: a / (b + 5.5), lambda a, b: a / (b + 5.5)),
}
COMPARISONS = {
    "gt2": (lambda a, b: a + 1.2 > b, lambda a, b: a + 1.2 > b),
    "lt2": (lambda a, b: a + 1.2 < b, lambda a, b: a + 1.2 < b),
    "eq2": (lambda a, b: a == (b + 5.5), lambda a, b: a == (b + 5.5)),
}


@st.composite
def pairs(draw):
    x = draw(arrays())
    return x, draw(arrays(shape=x.shape))


@pytest.mark.parametrize("name", TWO_ARG)
@settings(max_examples=10)
@given(ab=pairs())
def test_two_args_with_broadcasting(name, ab):
    fn, ref = TWO_ARG[name]
    a, b = ab
    if name == "div2":
        assume(np.all(np.abs(b + 5.5) > 0.1) and np.abs(b.sum(0) + 5.5).min() > 0.1)
    np.testing.assert_allclose(fn(mg.Tensor(a), mg.Tensor(b)).data, ref(a, b), rtol=1e-12)
    for x, y in [(a, b), (a.sum(0), b), (a, b.sum(0))]:
        mg.gradcheck(fn, x, y)


@pytest.mark.parametrize("name", COMPARISONS)
@given(ab=pairs())
def test_comparisons_are_not_differentiable(name, ab):
    fn, ref = COMPARISONS[name]
    a, b = (mg.tensor(v, requires_grad=True) for v in ab)
    out = fn(a, b)
    assert out.dtype == bool and not out.requires_grad
    assert (out.data == ref(*ab)).all()


REDUCE = {
    "sum_red": (lambda a: a.sum(0), lambda a: a.sum(0)),
    "mean_red": (lambda a: a.mean(0), lambda a: a.mean(0)),
    "mean_full_red": (lambda a: a.mean(), lambda a: a.mean()),
}


@pytest.mark.parametrize("name", REDUCE)
@settings(max_examples=10)
@given(x=arrays())
def test_reductions(name, x):
    fn, ref = REDUCE[name]
    out = fn(mg.Tensor(x))
    assert out.shape == np.shape(ref(x))
    np.testing.assert_allclose(out.data, ref(x), rtol=1e-12, atol=1e-12)
    mg.gradcheck(fn, x)


@settings(max_examples=15)
@given(data=st.data())
def test_permute(data):
    x = data.draw(arrays())
    perm = data.draw(st.permutations(range(x.ndim)))
    assert (mg.Tensor(x).permute(*perm).data == np.transpose(x, perm)).all()
    mg.gradcheck(lambda a: a.permute(*perm), x)
    # a view of a permuted tensor (minitorch needs contiguous() first; NumPy copies)
    assert (mg.Tensor(x).permute(*perm).reshape(-1).data == np.transpose(x, perm).ravel()).all()
    mg.gradcheck(lambda a: a.permute(*perm).reshape(x.size), x)


# -- minitorch tensor basics (tests/test_tensor.py) -----------------------------------------
def test_gradients_have_the_shape_of_their_tensor():
    a = mg.tensor([1.0], requires_grad=True)
    b = mg.tensor([[1.0, 1.0]], requires_grad=True)
    c = (a * b).sum()
    c.backward()
    assert c.shape == () and a.grad.shape == a.shape and b.grad.shape == b.shape
    assert a.grad.tolist() == [2.0] and b.grad.tolist() == [[1.0, 1.0]]


def test_creation_views_and_reductions():
    assert mg.tensor([[2, 3, 4], [4, 5, 7]]).shape == (2, 3)
    assert mg.tensor([[[2, 3, 4], [4, 5, 7]]]).shape == (1, 2, 3)
    x = mg.tensor([[2.0, 3, 4], [4, 5, 7]])
    v = x.reshape(6)
    assert v.shape == (6,) and v.reshape(1, 6).shape == (1, 6) and v.reshape(6, 1).shape == (6, 1)
    assert (v.reshape(2, 3).data == x.data).all()
    assert mg.tensor(x.numpy().tolist()).tolist() == x.tolist()
    y = mg.tensor([[2, 3], [4, 6], [5, 7]])
    assert y.sum(0).tolist() == [11, 16] and y.sum(1).tolist() == [5, 10, 12] and y.sum() == 27
    with pytest.raises(IndexError):
        x[50, 2]


@settings(max_examples=10)
@given(data=st.data())
def test_matmul_against_broadcast_products(data):
    d, i, j, k = (data.draw(st.integers(1, 4)) for _ in range(4))
    a, b = data.draw(arrays(shape=(i, j))), data.draw(arrays(shape=(j, k)))
    np.testing.assert_allclose((mg.Tensor(a) @ b).data, (a[:, :, None] * b[None]).sum(1))
    mg.gradcheck(lambda x, y: x @ y, a, b)
    a3, b3 = data.draw(arrays(shape=(d, i, j))), data.draw(arrays(shape=(1, j, k)))
    np.testing.assert_allclose((mg.Tensor(a3) @ b3).data, (a3[..., None] * b3[:, None]).sum(2))
    mg.gradcheck(lambda x, y: x @ y, a3, b3)


# -- minitorch autodiff (tests/test_autodiff.py, test_scalar.py) ---------------------------
class Function1(mg.Function):
    """f(x, y) = x + y + 10."""

    @staticmethod
    def forward(ctx, x, y):
        return x + y + 10

    @staticmethod
    def backward(ctx, g):
        return g, g


class Function2(mg.Function):
    """f(x, y) = x y + x."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y + x

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return g * (y + 1), g * x


def leaf(v):
    return mg.tensor(F(v), requires_grad=True)


def test_custom_functions_with_constants_and_shared_inputs():
    v = leaf(5)
    Function2.apply(10.0, v).backward(F(5.0))  # the constant gets nothing, v gets 5 * 10
    assert v.grad.item() == 50.0
    x, y = leaf(5), leaf(10)
    Function2.apply(x, y).backward(F(5.0))
    assert x.grad.item() == 5 * (10 + 1) and y.grad.item() == 5 * 5
    v = leaf(0)
    Function1.apply(0.0, Function1.apply(0.0, v)).backward(F(5.0))
    assert v.grad.item() == 5.0
    v0 = leaf(0)
    v1 = Function1.apply(0.0, v0)
    Function1.apply(Function1.apply(0.0, v1), Function1.apply(0.0, v1)).backward(F(5.0))
    assert v0.grad.item() == 10.0


def test_central_differences():
    assert close(num_grads(lambda x: x, 5.0), [1.0])
    assert close(num_grads(lambda x, y: x + y, 5.0, 10.0), [1.0, 1.0])
    assert close(num_grads(lambda x, y: x * y, 5.0, 10.0), [10.0, 5.0], rtol=1e-8)
    assert close(num_grads(math.exp, 2.0), [math.exp(2.0)], rtol=1e-8)
