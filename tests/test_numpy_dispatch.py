"""NumPy's own functions on tensors (NumPy's dispatch protocols): recorded through minigrad's
ops where minigrad has them, checked against central differences in both modes and at second
order; refused with the function's name where a gradient would be dropped."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import minigrad as mg
from minigrad import interop

rng = np.random.default_rng(0)
POSITIVE = rng.uniform(0.5, 2.0, size=(2, 3))
ANY = rng.uniform(-1.0, 1.0, size=(2, 3))
OTHER = rng.uniform(0.5, 1.5, size=(2, 3))

# Each NumPy spelling, with inputs in its domain (ufuncs: every entry of interop's table).
UFUNCS = {
    "add": (lambda x: np.add(x, OTHER), ANY),
    "subtract": (lambda x: np.subtract(OTHER, x), ANY),
    "multiply": (lambda x: np.multiply(x, x), ANY),
    "divide": (lambda x: np.divide(OTHER, x), POSITIVE),
    "power": (lambda x: np.power(x, 3), ANY),
    "negative": (np.negative, ANY),
    "positive": (lambda x: np.positive(x) * x, ANY),
    "absolute": (np.absolute, ANY),
    "fabs": (np.fabs, ANY),
    "exp": (np.exp, ANY),
    "log": (np.log, POSITIVE),
    "log1p": (np.log1p, POSITIVE),
    "sqrt": (np.sqrt, POSITIVE),
    "square": (np.square, ANY),
    "reciprocal": (np.reciprocal, POSITIVE),
    "sin": (np.sin, ANY),
    "cos": (np.cos, ANY),
    "tan": (np.tan, ANY),
    "tanh": (np.tanh, ANY),
    "maximum": (lambda x: np.maximum(x, 0.1), ANY),
    "minimum": (lambda x: np.minimum(x, 0.1), ANY),
    "matmul": (lambda x: np.matmul(x, OTHER.T), ANY),
}
# Ufuncs whose results are not differentiable: bool or sign results, never requiring grad.
CONSTANT_UFUNCS = {
    "sign",
    "less",
    "less_equal",
    "greater",
    "greater_equal",
    "equal",
    "not_equal",
    "logical_and",
    "logical_or",
    "logical_not",
    "isfinite",
}
FUNCTIONS = {
    "sum": (lambda x: np.sum(x, axis=0), ANY),
    "mean": (lambda x: np.mean(x, axis=1, keepdims=True), ANY),
    "var": (lambda x: np.var(x, axis=0), ANY),
    "std": (lambda x: np.std(x), ANY),
    "max": (lambda x: np.max(x, axis=1), ANY),
    "amax": (lambda x: np.amax(x), ANY),
    "min": (lambda x: np.min(x, axis=0), ANY),
    "amin": (lambda x: np.amin(x), ANY),
    "prod": (lambda x: np.prod(x, axis=1), ANY),
    "reshape": (lambda x: np.reshape(x, (3, 2)) ** 2, ANY),
    "ravel": (lambda x: np.ravel(x) ** 2, ANY),
    "transpose": (lambda x: np.transpose(x) @ OTHER, ANY),
    "swapaxes": (lambda x: np.swapaxes(x, 0, 1) ** 2, ANY),
    "squeeze": (lambda x: np.squeeze(x[:1]) ** 2, ANY),
    "expand_dims": (lambda x: np.expand_dims(x, 0) ** 2, ANY),
    "broadcast_to": (lambda x: np.broadcast_to(x, (4, 2, 3)) ** 2, ANY),
    "concatenate": (lambda x: np.concatenate([x, x**2], axis=1), ANY),
    "stack": (lambda x: np.stack([x, x**2]), ANY),
    "split": (lambda x: np.split(x, 3, axis=1)[1] ** 2, ANY),
    "where": (lambda x: np.where(x > 0, x**2, -x), ANY),
    "clip": (lambda x: np.clip(x, -0.5, 0.5), ANY),
    "einsum": (lambda x: np.einsum("ij,kj->ik", x, OTHER), ANY),
    "dot": (lambda x: np.dot(x, OTHER.T), ANY),
    "vdot": (lambda x: np.vdot(x, OTHER), ANY),
    "outer": (lambda x: np.outer(x[0], x[1]), ANY),
    "linalg.norm": (lambda x: np.linalg.norm(x, axis=1), ANY),
}


def test_the_tables_are_covered():
    interop.load_tables()
    names = {u.__name__ for u in interop._UFUNCS}
    assert names == set(UFUNCS) | CONSTANT_UFUNCS
    functions = {f.__name__ for f in interop._FUNCTIONS} - {
        "argmax",
        "argmin",
        "all",
        "any",
        "isclose",
        "allclose",
        "zeros_like",
        "ones_like",
        "full_like",
    }
    assert functions == {n.split(".")[-1] for n in FUNCTIONS}


@pytest.mark.parametrize("name", sorted(UFUNCS) + sorted(FUNCTIONS))
def test_numpy_spelling_is_recorded_and_checks(name):
    f, x = {**UFUNCS, **FUNCTIONS}[name]
    out = f(mg.tensor(x, dtype=np.float64, requires_grad=True))
    assert isinstance(out, mg.Tensor) and out.requires_grad
    np.testing.assert_allclose(out.data, f(x), rtol=1e-12, atol=1e-12)  # NumPy on the data
    if name not in ("maximum", "minimum", "absolute", "fabs", "max", "min", "amax", "amin"):
        assert mg.gradgradcheck(f, x)  # kinks: second order is 0 almost everywhere
    assert mg.gradcheck(f, x)  # reverse and forward mode vs central differences


@pytest.mark.parametrize("name", sorted(CONSTANT_UFUNCS))
def test_constant_ufuncs_give_tensors_that_do_not_require_grad(name):
    ufunc = getattr(np, name)
    x = mg.tensor(ANY, dtype=np.float64, requires_grad=True)
    args = (x,) if ufunc.nin == 1 else (x, 0.2)
    out = ufunc(*args)
    assert isinstance(out, mg.Tensor) and not out.requires_grad
    np.testing.assert_array_equal(out.data, ufunc(ANY, *args[1:]))


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.integers(1, 5), elements=st.floats(-3, 3)))
def test_plain_numpy_code_differentiates_unchanged(x):
    numpy_code = mg.grad(lambda v: np.sum(np.tanh(v) ** 2))
    minigrad_code = mg.grad(lambda v: mg.sum(mg.tanh(v) ** 2))
    np.testing.assert_allclose(numpy_code(x).data, minigrad_code(x).data, rtol=1e-12)
    _, tangent = mg.jvp(lambda v: np.sum(np.sin(v) * np.exp(v)), (x,), (np.ones_like(x),))
    expected = np.sum(np.cos(x) * np.exp(x) + np.sin(x) * np.exp(x))
    np.testing.assert_allclose(tangent.item(), expected, rtol=1e-10)


def test_grad_of_a_ufunc_itself():
    assert np.isclose(mg.grad(np.tanh)(2.0).item(), 1 - np.tanh(2.0) ** 2, rtol=1e-6)
    assert np.isclose(mg.grad(mg.grad(np.sin))(np.float64(0.3)).item(), -np.sin(0.3))
    h = mg.hessian(lambda v: np.sum(np.exp(v) * v))(np.array([0.1, 0.2]))
    np.testing.assert_allclose(h.data, np.diag(np.exp([0.1, 0.2]) * (2 + np.array([0.1, 0.2]))))


def test_dual_through_a_ufunc():
    with mg.dual_level():
        x = mg.make_dual(mg.tensor(0.5, dtype=np.float64), mg.tensor(1.0, dtype=np.float64))
        assert np.isclose(mg.unpack_dual(np.sin(x)).tangent.item(), np.cos(0.5))
        with pytest.raises(TypeError, match="np.arctan on a tensor that requires grad"):
            np.arctan(x)


def test_arrays_on_the_left_are_recorded():
    x = mg.tensor([1.0, 2.0], dtype=np.float64, requires_grad=True)
    y = np.array([3.0, 4.0]) * x + np.float64(1.0) - np.ones(2) @ x
    y.sum().backward()
    assert isinstance(y, mg.Tensor) and x.grad.tolist() == [1.0, 2.0]


def test_micrograd_update_line_computes_on_the_data():
    p = mg.tensor([1.0, 2.0], requires_grad=True)
    (p * p).sum().backward()
    data = p.data
    p.data += -0.1 * p.grad
    assert p.data is data and np.allclose(p.data, [0.8, 1.6]) and p.is_leaf


def test_out_into_a_tensor_is_an_in_place_change():
    t = mg.zeros(2)
    assert np.add(t, 1.0, out=t) is t and t.tolist() == [1.0, 1.0] and t._version == 1
    with pytest.raises(RuntimeError, match=r"np.add\(..., out=x\).*leaf tensor that requires grad"):
        w = mg.zeros(2, requires_grad=True)
        np.add(w, 1.0, out=w)
    with mg.no_grad():
        w = mg.zeros(2, requires_grad=True)
        np.multiply(w, 2.0, out=w)


def test_refusals_name_the_function_and_their_advice_works():
    x = mg.tensor([1.0, 2.0], dtype=np.float64, requires_grad=True)
    for call, name in [
        (lambda v: np.cumsum(v), "np.cumsum"),
        (lambda v: np.arctan(v), "np.arctan"),
        (lambda v: np.add.accumulate(v), "np.add.accumulate"),
        (lambda v: np.multiply.outer(v, v), "np.multiply.outer"),
        (lambda v: np.sum(v, dtype=np.float32), "np.sum"),
        (lambda v: np.exp(v, dtype=np.float32), "np.exp"),
        (lambda v: np.add(v, 1.0, out=np.zeros(2)), "np.add"),
    ]:
        with pytest.raises(TypeError, match=f"{name} on a tensor that requires grad") as err:
            call(x)
        assert "x.detach()" in str(err.value)
        constant = call(x.detach())  # the advice: a constant, no gradient to lose
        assert not getattr(constant, "requires_grad", False)
        with mg.no_grad():  # nothing is recorded: nothing is lost
            call(x)


def test_other_numpy_functions_give_numpy_results_on_constants():
    t = mg.tensor([3.0, 1.0, 2.0])
    assert np.argsort(t).tolist() == [1, 2, 0]
    assert isinstance(np.cumsum(t), np.ndarray)
    assert np.where(t > 1.5)[0].tolist() == [0, 2]
    assert np.allclose(t, [3.0, 1.0, 2.0]) is True
    assert bool(np.isfinite(t).all())
    assert np.add.reduce(mg.tensor([[1.0, 2.0], [3.0, 4.0]])).tolist() == [4.0, 6.0]


def test_bad_operands_are_reported_with_the_op():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="cannot make a tensor from str 'a'"):
        np.add(x, "a")
    with pytest.raises(ValueError, match="add"):
        np.add(x, np.ones(3))


def test_arrays_built_from_tensors_that_require_grad_are_refused_with_advice():
    v = np.array([1.0, 2.0])
    with pytest.raises(TypeError, match=r"would drop its gradient.*mg.stack") as err:
        mg.grad(lambda x: np.sum(np.array([x[0], x[1]]) ** 2) + x.sum())(v)
    assert "mg.stack([...])" in str(err.value)
    g = mg.grad(lambda x: np.sum(mg.stack([x[0], x[1]]) ** 2) + x.sum())(v)  # the advice
    assert g.tolist() == [3.0, 5.0]
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="would drop its gradient"):
        mg.tensor([1.0, 2.0]) + [x[0], x[1]]  # a list of tensors as an operand
    with pytest.raises(TypeError, match="would drop its gradient"):
        mg.tensor([x[0], x[1]])
    assert mg.tensor([x[0].detach(), x[1].detach()]).tolist() == [1.0, 2.0]
    with mg.dual_level():
        d = mg.make_dual(mg.tensor(1.0), mg.tensor(1.0))
        with pytest.raises(TypeError, match="would drop its gradient"):
            np.asarray(d)
