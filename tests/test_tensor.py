"""Tensor basics: construction, dtypes, attributes, conversions and clear errors."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg


def test_dtypes_follow_pytorch_defaults():
    assert mg.tensor(1.0).dtype == np.float32
    assert mg.tensor([1.0, 2]).dtype == np.float32
    assert mg.tensor([1, 2]).dtype == np.int64
    assert mg.tensor([True]).dtype == np.bool_
    assert mg.tensor(np.zeros(2)).dtype == np.float64  # NumPy arrays keep their dtype
    assert mg.tensor(np.zeros(2, np.float16)).dtype == np.float16
    assert mg.tensor(0.1, dtype=np.float64).item() == 0.1
    mg.set_default_dtype(np.float64)
    try:
        assert mg.tensor(1.0).dtype == np.float64
        assert mg.zeros(2).dtype == np.float64
    finally:
        mg.set_default_dtype(np.float32)
    with pytest.raises(TypeError, match="float dtype"):
        mg.set_default_dtype(np.int32)


def test_constructors():
    assert mg.zeros(2, 3).shape == (2, 3) and mg.zeros((2, 3)).shape == (2, 3)
    assert mg.ones(4).data.sum() == 4
    assert mg.full((2,), 7).dtype == np.int64 and mg.full(2, 7.0).dtype == np.float32
    assert mg.arange(3).tolist() == [0, 1, 2] and mg.arange(3).dtype == np.int64
    assert mg.arange(0.0, 1.0, 0.5).dtype == np.float32
    np.testing.assert_array_equal(mg.eye(2).data, np.eye(2))
    a = mg.randn(2, 3, rng=np.random.default_rng(0))
    b = mg.randn(2, 3, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(a.data, b.data)
    assert a.dtype == np.float32
    u = mg.rand(1000, rng=np.random.default_rng(1))
    assert 0 <= u.data.min() and u.data.max() < 1
    assert mg.zeros_like(a).shape == (2, 3) and mg.ones_like(mg.arange(3)).dtype == np.int64
    assert mg.full_like(a, 2.0).data.sum() == 12
    assert mg.randn_like(a, rng=np.random.default_rng(0)).shape == (2, 3)
    assert mg.rand_like(a, rng=np.random.default_rng(0)).shape == (2, 3)
    with pytest.raises(TypeError, match="rng"):
        mg.randn(2, 3, rng=0)  # rng=None is the default generator (tests/test_rng_defaults.py)


def test_constructors_copy_and_from_numpy_shares():
    arr = np.zeros(2)
    for make in (mg.tensor, mg.Tensor, mg.nn.Parameter):
        make(arr).data[0] = 1
        assert arr[0] == 0, make
    shared = mg.from_numpy(arr)
    shared.data[0] = 1
    assert arr[0] == 1
    arr[1] = 7
    assert shared.data[1] == 7


def test_attributes_and_conversions():
    x = mg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, name="x")
    assert (x.shape, x.ndim, x.size, x.dtype) == ((2, 2), 2, 4, np.float32)
    assert x.is_leaf and x.requires_grad and x.name == "x"
    assert isinstance(x.numpy(), np.ndarray) and x.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert x[1, 0].item() == 3.0 and float(x[0, 0]) == 1.0 and len(x) == 2
    assert [r.shape for r in x] == [(2,), (2,)]
    with pytest.raises(TypeError, match=r"would drop its gradient.*mg.stack.*x.detach\(\)"):
        np.asarray(x)  # as PyTorch: the array would drop the gradient
    assert np.asarray(x.detach()).shape == (2, 2) and np.asarray(x.data).shape == (2, 2)
    with mg.no_grad():
        assert np.asarray(x).shape == (2, 2)  # nothing is recorded: nothing is lost
    y = x * 2
    assert not y.is_leaf and y.requires_grad
    d = y.detach()
    assert d.is_leaf and not d.requires_grad and np.shares_memory(d.data, y.data)
    assert "requires_grad=True" in repr(x) and "op=multiply" in repr(y)
    assert {x: 1}[x] == 1  # hashable by identity, like PyTorch


def test_requires_grad_errors():
    with pytest.raises(TypeError, match="floating-point.*int64"):
        mg.tensor([1, 2], requires_grad=True)
    i = mg.tensor([1, 2])
    with pytest.raises(TypeError, match="floating-point"):
        i.requires_grad_()
    x = mg.tensor([1.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="leaf.*multiply.*detach"):
        y.requires_grad = False
    with pytest.raises(RuntimeError, match="does not require grad"):
        mg.tensor([1.0]).register_hook(print)


def test_integer_and_bool_results_do_not_require_grad():
    x = mg.tensor([1.5, -2.0], requires_grad=True)
    assert not (x > 0).requires_grad and (x > 0).dtype == np.bool_
    assert not x.astype(np.int32).requires_grad
    assert not x.argmax().requires_grad and x.argmax().item() == 0
    assert not x.sign().requires_grad


def test_comparisons_return_bool_tensors():
    x = mg.tensor([1.0, 2.0, 3.0])
    assert (x < 2).tolist() == [True, False, False]
    assert (x <= 2).tolist() == [True, True, False]
    assert (x > 2).tolist() == [False, False, True]
    assert (x >= 2).tolist() == [False, True, True]
    assert (x == 2).tolist() == [False, True, False]
    assert (x != 2).tolist() == [True, False, True]
    assert ((x > 1) & (x < 3)).tolist() == [False, True, False]
    assert (~(x > 1) | (x > 2)).tolist() == [True, False, True]


def test_shape_mismatches_name_the_op_and_both_shapes():
    a, b = mg.ones(2, 3), mg.ones(4)
    with pytest.raises(ValueError, match=r"add: .*\(2, 3\), \(4,\)"):
        a + b
    with pytest.raises(ValueError, match=r"multiply: .*\(2, 3\), \(4,\)"):
        a * b
    with pytest.raises(ValueError, match=r"matmul: inner dimensions differ: \(2, 3\) @ \(4,\)"):
        a @ b
    with pytest.raises(ValueError, match=r"matmul: inner dimensions differ: \(3, 4\) @ \(5, 2\)"):
        mg.ones(3, 4) @ mg.ones(5, 2)
    with pytest.raises(ValueError, match=r"reshape: .*\(2, 3\)"):
        a.reshape(4)
    with pytest.raises(ValueError, match=r"concatenate: .*\(2, 3\), \(4,\)"):
        mg.concatenate([a, b])
    with pytest.raises(ValueError, match="axis 2 is out of bounds"):
        a.sum(axis=2)
    with pytest.raises(ValueError, match=r"add_: .*\(2, 3\).*\(4,\)"):
        a.add_(b)


def test_wrong_types_say_what_was_expected():
    with pytest.raises(TypeError, match="cannot make a tensor from str"):
        mg.tensor("abc")
    with pytest.raises(TypeError, match="cannot make a tensor from"):
        mg.ones(2) + "abc"


def test_numpy_arrays_on_the_left_defer_to_tensors():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = np.array([3.0, 4.0], dtype=np.float32) * x
    assert isinstance(y, mg.Tensor) and y.requires_grad
    z = np.ones((2, 2), dtype=np.float32) @ x
    assert isinstance(z, mg.Tensor) and z.shape == (2,)


def test_shape_methods():
    x = mg.arange(24.0).reshape(2, 3, 4)
    assert x.reshape((6, 4)).shape == (6, 4) and x.flatten().shape == (24,)
    assert x.transpose().shape == (4, 3, 2) and x.transpose(1, 0, 2).shape == (3, 2, 4)
    assert x.permute(2, 0, 1).shape == (4, 2, 3) and x.T.shape == (4, 3, 2)
    assert x.mT.shape == (2, 4, 3) and x.swapaxes(0, 1).shape == (3, 2, 4)
    assert x[:, :1].squeeze(1).shape == (2, 4) and x.unsqueeze(0).shape == (1, 2, 3, 4)
    assert mg.ones(3).expand(2, 3).shape == (2, 3)
    assert mg.ones(1, 3).broadcast_to((4, 3)).shape == (4, 3)
    assert [p.shape for p in mg.split(x, 3, axis=1)] == [(2, 1, 4)] * 3
    assert mg.stack([x, x], axis=1).shape == (2, 2, 3, 4)
    with pytest.raises(ValueError, match="squeeze"):
        x.squeeze(0)


def test_reductions_match_numpy():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 4))
    x = mg.Tensor(a)
    for name in ["sum", "mean", "max", "min", "prod", "var", "std"]:
        for axis in [None, 0, 1, (0, 1)]:
            got = getattr(x, name)(axis=axis)
            np.testing.assert_allclose(got.data, getattr(np, name)(a, axis=axis), rtol=1e-12)
    np.testing.assert_allclose(x.var(axis=0, ddof=1).data, a.var(axis=0, ddof=1))
    assert x.argmax(axis=1).tolist() == a.argmax(axis=1).tolist()
    assert x.argmin().item() == a.argmin()
