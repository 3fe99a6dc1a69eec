"""Misuse table, tensors: construction, dtypes, names, gradients, hooks, in-place changes,
aliasing, backward and NumPy interplay. Each case: a clear error naming the problem, or the
right result (see tests/misuse.py)."""

from __future__ import annotations

import datetime

import numpy as np
import pytest

import minigrad as mg
from tests.misuse import bad, good, ids, leaf, run, same

rng = np.random.default_rng(0)


def _twice_backward():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    y.backward()


def _backward_after_change():
    x = leaf([1.0, 2.0])
    w = mg.tensor([3.0, 4.0])
    y = (x * w).sum()
    w += 1
    y.backward()


def _view_change():
    x = mg.tensor([1.0, 2.0, 3.0])
    w = leaf([1.0, 1.0, 1.0])
    y = (w * x).sum()
    x[0:2].add_(5)  # a view of x: the same memory, the same version counter
    y.backward()


def _detached_change():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    x.detach().mul_(3)
    y.backward()


def _user_array_after_graph():
    a = np.array([1.0, 2.0])
    x = leaf([3.0, 4.0])
    y = (x * mg.Tensor(a)).sum()
    a += 10  # the tensor copied a: the gradient is still [1, 2]
    y.backward()
    return x.grad


def _numpy_operand_after_graph():
    c = np.array([10.0, 20.0])
    x = leaf([1.0, 1.0])
    y = (x * c).sum()
    c[:] = 0  # the node kept its own copy
    y.backward()
    return x.grad


def _index_after_graph():
    x = leaf([1.0, 2.0, 3.0])
    idx = np.array([0, 1])
    y = (x[idx] * mg.tensor([10.0, 20.0], dtype=np.float64)).sum()
    idx[0] = 2
    y.backward()
    return x.grad


def _retry_after_failed_backward():
    x = leaf([1.0, 2.0])
    y = x.exp().sum()

    def boom(g):
        raise RuntimeError("hook failed")

    h = y.register_hook(boom)
    with pytest.raises(RuntimeError, match="hook failed"):
        y.backward()
    h.remove()
    y.backward()  # nothing was freed by the failed sweep
    return x.grad


def _hook(returns):
    x = leaf([1.0, 2.0])
    x.register_hook(lambda g: returns)
    (x * 2).sum().backward()
    return x.grad


def _grad_set(value):
    x = leaf([1.0, 2.0, 3.0])
    x.grad = value
    return x.grad


def _accumulate_into_shared_leaf():
    x = leaf([1.0, 2.0])
    for _ in range(3):
        (x * x).sum().backward()
    return x.grad


def _einsum_view_then_change():
    a = mg.tensor(np.ones(3))
    w = leaf([1.0, 2.0, 3.0])
    e = mg.einsum("i->i", a)
    y = (w * a).sum()
    e.mul_(3)  # e is a copy: a and y's gradient are unaffected
    y.backward()
    return w.grad


def _reshape_copy_then_change():
    a = mg.tensor(np.arange(6.0).reshape(2, 3))
    w = leaf(np.ones((2, 3)))
    y = (w * a).sum()
    b = a.T.reshape(6)  # a copy (a.T is not contiguous): its own version counter
    b.add_(1)
    y.backward()
    return w.grad


def _custom_identity_then_change():
    class Ident(mg.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    a = mg.tensor([1.0, 2.0])
    w = leaf([1.0, 1.0])
    y = (w * a).sum()
    Ident.apply(a).mul_(3)  # the op's output is a copy, not the input itself
    y.backward()
    return w.grad


CASES = [
    # -- construction ------------------------------------------------------------------
    bad("tensor/strings", lambda: mg.tensor(np.array(["a", "b"])), TypeError, r"dtype <U1"),
    bad("tensor/object", lambda: mg.tensor(np.array([1, None])), TypeError, r"dtype object"),
    bad(
        "tensor/datetime",
        lambda: mg.tensor(np.array([datetime.date(2020, 1, 1)], dtype="datetime64[D]")),
        TypeError,
        r"datetime64",
    ),
    bad("tensor/timedelta", lambda: mg.tensor(np.timedelta64(3, "s")), TypeError, "timedelta"),
    bad("tensor/complex", lambda: mg.tensor(1 + 2j), TypeError, "complex"),
    bad("tensor/complex-array", lambda: mg.tensor(np.ones(2, complex)), TypeError, "complex"),
    bad("tensor/str", lambda: mg.tensor("3.0"), TypeError, "str '3.0'"),
    bad("tensor/bytes", lambda: mg.tensor(b"ab"), TypeError, "bytes"),
    bad("tensor/dict", lambda: mg.tensor({"a": 1.0}), TypeError, "dict"),
    bad("tensor/set", lambda: mg.tensor({1.0, 2.0}), TypeError, "set"),
    bad("tensor/none", lambda: mg.tensor(None), TypeError, "NoneType"),
    bad("tensor/ragged", lambda: mg.tensor([[1, 2], [3]]), ValueError, "inhomogeneous"),
    bad("tensor/bad-dtype-name", lambda: mg.tensor(1.0, dtype="float33"), TypeError, "float33"),
    bad("tensor/dtype-object", lambda: mg.tensor(1.0, dtype=object), TypeError, "object"),
    bad("tensor/dtype-str", lambda: mg.tensor(1.0, dtype=str), TypeError, "not supported"),
    bad("tensor/name-int", lambda: mg.tensor(1.0, name=5), TypeError, "name must be a str"),
    bad("tensor/name-bytes", lambda: mg.tensor(1.0, name=b"x"), TypeError, "name must be a str"),
    bad("tensor/rg-string", lambda: mg.tensor(1.0, requires_grad="no"), TypeError, "True or"),
    bad("tensor/rg-int", lambda: mg.tensor(1.0, requires_grad=1), TypeError, "True or False"),
    bad("tensor/rg-none", lambda: mg.tensor(1.0, requires_grad=None), TypeError, "True or"),
    bad(
        "tensor/rg-integer-data",
        lambda: mg.tensor([1, 2], requires_grad=True),
        TypeError,
        "only floating-point",
    ),
    bad(
        "tensor/rg-bool-data",
        lambda: mg.tensor([True], requires_grad=True),
        TypeError,
        "only floating-point",
    ),
    bad(
        "tensor/rg-on-result",
        lambda: setattr(leaf(1.0) * 2, "requires_grad", False),
        RuntimeError,
        "leaf tensors",
    ),
    good(
        "tensor/rg-numpy-bool",
        lambda: mg.tensor(1.0, requires_grad=np.True_),
        lambda t: t.requires_grad,
    ),
    good("tensor/float-default", lambda: mg.tensor([1.0]), same([1.0], np.float32)),
    good("tensor/keeps-float64", lambda: mg.tensor(np.ones(1)), same([1.0], np.float64)),
    good("tensor/int-stays-int", lambda: mg.tensor([1, 2]), same([1, 2], np.int64)),
    good("tensor/uint8", lambda: mg.tensor(np.array([255], np.uint8)), same([255], np.uint8)),
    good("tensor/float16", lambda: mg.tensor(np.ones(2, np.float16)), same([1, 1], np.float16)),
    good("tensor/nan-kept", lambda: mg.tensor([np.nan, np.inf]), same([np.nan, np.inf])),
    good("tensor/empty", lambda: mg.tensor([]), lambda t: t.shape == (0,)),
    good("tensor/from-tensor-copies", lambda: _copied(mg.tensor), lambda ok: ok),
    good("tensor/Tensor-copies", lambda: _copied(mg.Tensor), lambda ok: ok),
    good("tensor/Parameter-copies", lambda: _copied(mg.nn.Parameter), lambda ok: ok),
    good("tensor/from_numpy-shares", lambda: _shares(), lambda ok: ok),
    bad("tensor/from_numpy-list", lambda: mg.from_numpy([1.0]), TypeError, "NumPy array"),
    bad("tensor/from_numpy-strings", lambda: mg.from_numpy(np.array(["a"])), TypeError, "<U1"),
    good("aliasing/user-array-changed", _user_array_after_graph, same([1.0, 2.0])),
    good("aliasing/numpy-operand-changed", _numpy_operand_after_graph, same([10.0, 20.0])),
    good("aliasing/index-array-changed", _index_after_graph, same([10.0, 20.0, 0.0])),
    good("aliasing/einsum-view", _einsum_view_then_change, same([1.0, 1.0, 1.0])),
    good("aliasing/reshape-copy", _reshape_copy_then_change, same(np.arange(6.0).reshape(2, 3))),
    good("aliasing/custom-op-identity", _custom_identity_then_change, same([1.0, 2.0])),
    # -- creation ----------------------------------------------------------------------
    bad("creation/zeros-negative", lambda: mg.zeros(-1, 2), ValueError, "non-negative"),
    bad("creation/zeros-float", lambda: mg.zeros(2.5), ValueError, "non-negative integers"),
    bad("creation/ones-bool", lambda: mg.ones(True), ValueError, "non-negative integers"),
    bad("creation/full-str-shape", lambda: mg.full("3", 1.0), ValueError, "non-negative"),
    bad("creation/arange-step0", lambda: mg.arange(0, 5, 0), ValueError, "step must not be 0"),
    bad("creation/eye-negative", lambda: mg.eye(-2), ValueError, "non-negative"),
    bad("creation/randn-str-rng", lambda: mg.randn(2, rng="0"), TypeError, "rng"),
    bad("creation/randn-int-rng", lambda: mg.randn(2, rng=0), TypeError, "np.random.Generator"),
    bad(
        "creation/rand-legacy-rng",
        lambda: mg.rand(2, rng=np.random.RandomState(0)),
        TypeError,
        "np.random.Generator",
    ),
    bad("creation/zeros-dtype", lambda: mg.zeros(2, dtype="U3"), TypeError, "not supported"),
    good("creation/zeros-empty", lambda: mg.zeros(0, 3), lambda t: t.shape == (0, 3)),
    good("creation/full-int", lambda: mg.full((2,), 3), same([3, 3], np.int64)),
    good(
        "creation/zeros_like-dtype",
        lambda: mg.zeros_like(np.ones(2, np.int8)),
        same([0, 0], np.int8),
    ),
    # -- the gradient and hooks --------------------------------------------------------
    bad(
        "grad/set-number",
        lambda: _grad_set(0.5),
        TypeError,
        r"assign None.*0 \(zeros\).*shape \(3,\)",
    ),
    good("grad/set-zero", lambda: _grad_set(0.0), same([0.0, 0.0, 0.0])),
    good("grad/set-int-zero", lambda: _grad_set(0), same([0.0, 0.0, 0.0])),
    bad("grad/set-false", lambda: _grad_set(False), TypeError, "assign None"),
    bad("grad/set-list", lambda: _grad_set([1.0, 2.0, 3.0]), TypeError, "assign None"),
    bad(
        "grad/set-wrong-shape",
        lambda: _grad_set(mg.tensor(np.ones(1))),
        ValueError,
        r"shape \(3,\).*got shape \(1,\)",
    ),
    bad(
        "grad/set-wrong-dtype",
        lambda: _grad_set(mg.tensor(np.ones(3, np.float32))),
        ValueError,
        "dtype float64",
    ),
    good("grad/set-none", lambda: _grad_set(None), lambda g: g is None),
    good("grad/set-array", lambda: _grad_set(np.ones(3)), same([1.0, 1.0, 1.0])),
    good("grad/accumulates", _accumulate_into_shared_leaf, same([6.0, 12.0])),
    bad("hook/int", lambda: leaf(1.0).register_hook(5), TypeError, "function of the gradient"),
    bad(
        "hook/no-grad",
        lambda: mg.tensor(1.0).register_hook(print),
        RuntimeError,
        "does not require grad",
    ),
    bad("hook/returns-list", lambda: _hook([1.0, 2.0]), ValueError, "must return None or"),
    bad(
        "hook/returns-float32",
        lambda: _hook(mg.tensor(np.ones(2, np.float32))),
        ValueError,
        "dtype float64",
    ),
    bad(
        "hook/returns-wrong-shape",
        lambda: _hook(mg.tensor(np.ones(3))),
        ValueError,
        r"shape \(2,\)",
    ),
    good("hook/returns-tensor", lambda: _hook(mg.tensor(np.full(2, 7.0))), same([7.0, 7.0])),
    good("backward/retry-after-error", _retry_after_failed_backward, same(np.exp([1.0, 2.0]))),
    # -- backward ----------------------------------------------------------------------
    bad(
        "backward/no-grad", lambda: mg.tensor(2.0).backward(), RuntimeError, "does not require grad"
    ),
    bad(
        "backward/non-scalar",
        lambda: (leaf([1.0, 2.0]) * 2).backward(),
        RuntimeError,
        r"shape \(2,\), not a scalar",
    ),
    bad(
        "backward/gradient-shape",
        lambda: (leaf([1.0, 2.0]) * 2).backward(np.ones(3)),
        ValueError,
        r"gradient has shape \(3,\)",
    ),
    bad(
        "backward/gradient-str",
        lambda: (leaf([1.0, 2.0]) * 2).backward("a"),
        TypeError,
        "gradient must be numbers",
    ),
    bad(
        "backward/retain-str",
        lambda: (leaf(1.0) * 2).backward(retain_graph="yes"),
        TypeError,
        "retain_graph must be True or False",
    ),
    bad(
        "backward/create-int",
        lambda: (leaf(1.0) * 2).backward(create_graph=1),
        TypeError,
        "create_graph must be True or False",
    ),
    bad("backward/twice", _twice_backward, RuntimeError, "already freed.*retain_graph=True"),
    bad(
        "backward/changed-input",
        _backward_after_change,
        RuntimeError,
        "changed in place afterwards",
    ),
    bad("backward/changed-view", _view_change, RuntimeError, "changed in place"),
    bad("backward/changed-detached", _detached_change, RuntimeError, "changed in place"),
    # -- in place ----------------------------------------------------------------------
    bad(
        "inplace/leaf-add",
        lambda: leaf(1.0).add_(1),
        RuntimeError,
        r"in place is not recorded.*mg.no_grad\(\):.*`x = x \+ y`",
    ),
    bad(
        "inplace/iadd-leaf",
        lambda: _iadd(leaf(1.0), 1.0),
        RuntimeError,
        r"leaf tensor that requires grad.*`with mg.no_grad\(\): x \+= \.\.\.`.*`y = x \+ \.\.\.`",
    ),
    good("inplace/iadd-result", lambda: _iadd(leaf(1.0) * 2, 1.0).requires_grad, same(True)),
    good("inplace/operand-requires-grad", lambda: _iadd(mg.tensor(0.0), leaf(2.0)), same(2.0)),
    bad(
        "inplace/iadd-view",
        lambda: _iadd((leaf([1.0, 2.0]) * 2)[0:1], 1.0),
        RuntimeError,
        r"shares its memory with a view.*`x = x \+ \.\.\.`",
    ),
    bad(
        "inplace/setitem-operand",
        lambda: _setitem(mg.zeros(2, dtype=np.float64), leaf(1.0)),
        RuntimeError,
        r"mg.where",
    ),
    bad(
        "inplace/copy-operand",
        lambda: mg.zeros(2).copy_(leaf([1.0, 2.0]) * 3),
        RuntimeError,
        "operand that requires grad",
    ),
    bad(
        "inplace/int-plus-float",
        lambda: mg.tensor([1, 2]).add_(0.5),
        TypeError,
        r"add_: .*Cannot cast.*dtype int64",
    ),
    bad(
        "inplace/shape",
        lambda: mg.zeros(3).add_(np.ones(2)),
        ValueError,
        r"tensor shape \(3,\).*other shape \(2,\)",
    ),
    bad(
        "inplace/broadcast-view",
        lambda: mg.broadcast_to(mg.zeros(1), (3,)).add_(1),
        ValueError,
        "read-only",
    ),
    good("inplace/no-grad-ok", lambda: _no_grad_update(), same([2.0])),
    good("inplace/plain-ok", lambda: mg.tensor([1.0]).mul_(3), same([3.0])),
    # -- NumPy functions on tensors ---------------------------------------------------
    good("numpy/sum-of-grad-tensor", lambda: np.sum(leaf([1.0, 2.0])).requires_grad, same(True)),
    good("numpy/concatenate", lambda: np.concatenate([leaf([1.0]), leaf([2.0])]), same([1.0, 2.0])),
    good("numpy/dot", lambda: np.dot(leaf([1.0]), leaf([2.0])).requires_grad, same(True)),
    good("numpy/where", lambda: np.where(np.array([True]), leaf([1.0]), 0.0), same([1.0])),
    good("numpy/ufunc", lambda: np.exp(leaf([0.0])).requires_grad, same(True)),
    bad(
        "numpy/cumsum",
        lambda: np.cumsum(leaf([1.0, 2.0])),
        TypeError,
        r"np.cumsum on a tensor that requires grad: minigrad cannot differentiate it.*detach",
    ),
    bad(
        "numpy/sum-dtype",
        lambda: np.sum(leaf([1.0, 2.0]), dtype=np.float32),
        TypeError,
        "minigrad's sum does not take these arguments",
    ),
    bad(
        "numpy/ufunc-out-array",
        lambda: np.add(leaf([1.0]), 1.0, out=np.zeros(1)),
        TypeError,
        r"np.add .*out=",
    ),
    bad(
        "numpy/ufunc-unknown",
        lambda: np.arctan2(leaf([1.0]), 1.0),
        TypeError,
        "np.arctan2 on a tensor that requires grad",
    ),
    good("numpy/sum-of-constant", lambda: np.sum(mg.tensor([1.0, 2.0])), lambda v: v == 3.0),
    good("numpy/allclose", lambda: np.allclose(leaf([1.0]), [1.0]), lambda v: v is True),
    good("numpy/shape", lambda: np.shape(leaf(np.ones((2, 3)))), lambda s: s == (2, 3)),
    good("numpy/asarray", lambda: np.asarray(mg.tensor([1.0])), same([1.0])),
    # -- conversions -------------------------------------------------------------------
    bad(
        "convert/float-of-vector",
        lambda: float(mg.tensor([1.0, 2.0])),
        TypeError,
        r"float\(\) of a tensor of shape \(2,\).*tolist",
    ),
    bad("convert/bool-of-vector", lambda: bool(mg.tensor([1.0, 2.0])), ValueError, "ambiguous"),
    bad("convert/len-0d", lambda: len(mg.tensor(1.0)), TypeError, "len"),
    bad("convert/index-float", lambda: [1, 2][mg.tensor(1.0)], TypeError, "integer"),
    good("convert/item", lambda: leaf(2.5).item(), lambda v: v == 2.5),
    good("convert/format", lambda: f"{float(leaf(2.5)):.2f}", lambda s: s == "2.50"),
]


def _copied(make) -> bool:
    a = np.zeros(2)
    t = make(a)
    a[0] = 5
    return t.data[0] == 0


def _shares() -> bool:
    a = np.zeros(2)
    t = mg.from_numpy(a)
    a[0] = 5
    return t.data[0] == 5


def _iadd(a, b):
    a += b
    return a


def _setitem(a, value):
    a[0] = value


def _no_grad_update():
    p = leaf([1.0])
    with mg.no_grad():
        p.add_(1.0)
    return p


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_misuse(case):
    run(case)
