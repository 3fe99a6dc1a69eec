"""Misuse table, operations: axes, shapes, indexing, broadcasting, matmul/einsum, reductions
and the derivatives at awkward points (0 ** 0, spread 0, NaN in a max, kinks)."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
from tests.misuse import bad, good, grad_of, ids, run, same

X = np.arange(6.0).reshape(2, 3)
T = mg.tensor(X)


def _second(f, x):
    return mg.grad(mg.grad(f))(np.float64(x)).item()


CASES = [
    # -- axes ----------------------------------------------------------------------------
    bad(
        "axis/sum-out-of-range",
        lambda: mg.sum(X, axis=2),
        ValueError,
        "sum: axis 2 is out of bounds for an array of dimension 2",
    ),
    bad("axis/sum-negative-out", lambda: mg.sum(X, axis=-3), ValueError, "axis -3 is out"),
    bad("axis/sum-float", lambda: mg.sum(X, axis=1.0), TypeError, "axis must be None, an int"),
    bad("axis/sum-str", lambda: mg.sum(X, axis="0"), TypeError, "axis must be"),
    bad("axis/sum-bool", lambda: mg.sum(X, axis=True), TypeError, "axis must be"),
    bad("axis/sum-repeated", lambda: mg.sum(X, axis=(0, -2)), ValueError, "repeated axis"),
    bad("axis/mean-0d", lambda: mg.mean(mg.tensor(1.0), axis=0), ValueError, "dimension 0"),
    good("axis/sum-list", lambda: mg.sum(X, axis=[0, 1]), same(15.0)),
    good("axis/sum-np-int", lambda: mg.sum(X, axis=np.int64(1)), same([3.0, 12.0])),
    good("axis/sum-negative", lambda: mg.sum(X, axis=-1, keepdims=True), same([[3.0], [12.0]])),
    bad(
        "axis/concatenate-5",
        lambda: mg.concatenate([X, X], axis=5),
        ValueError,
        "concatenate: axis 5 is out of bounds",
    ),
    bad(
        "axis/concatenate-float",
        lambda: mg.concatenate([X, X], axis=1.0),
        TypeError,
        "axis must be an int",
    ),
    bad(
        "axis/concatenate-none",
        lambda: mg.concatenate([X, X], axis=None),
        ValueError,
        "axis=None is not supported",
    ),
    bad(
        "axis/concatenate-ndims",
        lambda: mg.concatenate([X, np.ones(3)]),
        ValueError,
        r"same number of dimensions.*\(2, 3\), \(3,\)",
    ),
    bad("axis/concatenate-0d", lambda: mg.concatenate([1.0, 2.0]), ValueError, "at least 1"),
    bad(
        "axis/concatenate-one-tensor",
        lambda: mg.concatenate(T),
        TypeError,
        r"concatenate\(\[a, b\], axis\)",
    ),
    bad("axis/concatenate-empty-list", lambda: mg.concatenate([]), ValueError, "at least one"),
    bad(
        "axis/concatenate-shapes",
        lambda: mg.concatenate([X, np.ones((2, 2))], axis=0),
        ValueError,
        r"concatenate: .*input shapes \(2, 3\), \(2, 2\)",
    ),
    bad("axis/stack-shapes", lambda: mg.stack([X, np.ones((3, 2))]), ValueError, "same shape"),
    bad("axis/stack-one-tensor", lambda: mg.stack(T), TypeError, "list or tuple"),
    bad("axis/stack-axis", lambda: mg.stack([X, X], axis=4), ValueError, "out of bounds"),
    bad("axis/split-axis", lambda: mg.split(X, 3, axis=2), ValueError, "split: axis 2"),
    bad(
        "axis/split-uneven",
        lambda: mg.split(X, 2, axis=1),
        ValueError,
        "3 elements do not divide into 2",
    ),
    bad("axis/split-negative", lambda: mg.split(X, -1, axis=1), ValueError, "at least 1"),
    bad(
        "axis/split-indices-float",
        lambda: mg.split(X, [1.5], axis=1),
        TypeError,
        "indices_or_sections",
    ),
    good(
        "axis/split-indices",
        lambda: [p.shape for p in mg.split(X, [1], axis=1)],
        lambda s: s == [(2, 1), (2, 2)],
    ),
    bad(
        "axis/transpose-wrong-length",
        lambda: mg.transpose(X, (0,)),
        ValueError,
        "not a permutation of the 2 axes",
    ),
    bad("axis/transpose-repeat", lambda: mg.transpose(X, (0, 0)), ValueError, "repeated axis"),
    bad("axis/transpose-out", lambda: mg.transpose(X, (0, 5)), ValueError, "axis 5 is out"),
    bad("axis/swapaxes-out", lambda: T.swapaxes(0, 3), ValueError, "swapaxes: axis 3"),
    bad("axis/swapaxes-float", lambda: T.swapaxes(0, 1.0), TypeError, "axis must be"),
    good("axis/transpose-1d", lambda: mg.tensor([1.0, 2.0]).transpose(0), same([1.0, 2.0])),
    good("axis/permute-1d", lambda: mg.tensor([1.0, 2.0]).permute(0), same([1.0, 2.0])),
    good("axis/transpose-negative", lambda: mg.transpose(X, (-1, 0)), same(X.T)),
    bad("axis/squeeze-not-one", lambda: T.squeeze(0), ValueError, "does not have length 1"),
    bad("axis/expand-out", lambda: T.unsqueeze(4), ValueError, "expand_dims: axis 4"),
    bad(
        "axis/log_softmax-tuple",
        lambda: mg.log_softmax(X, axis=(0, 1)),
        TypeError,
        "axis must be an int",
    ),
    bad("axis/softmax-out", lambda: mg.softmax(X, axis=2), ValueError, "log_softmax: axis 2"),
    bad("axis/logsumexp-out", lambda: mg.logsumexp(X, axis=3), ValueError, "logsumexp: axis 3"),
    bad("axis/prod-out", lambda: mg.prod(X, axis=2), ValueError, "prod: axis 2"),
    bad("axis/max-out", lambda: mg.max(X, axis=2), ValueError, "max: axis 2"),
    # -- shapes ----------------------------------------------------------------------------
    bad("shape/add", lambda: T + np.ones(4), ValueError, r"add: .*input shapes \(2, 3\), \(4,\)"),
    bad("shape/reshape", lambda: T.reshape(4), ValueError, r"reshape: .*size 6"),
    bad("shape/reshape-float", lambda: T.reshape(2.0, 3), TypeError, "shape must be an int"),
    bad("shape/broadcast", lambda: mg.broadcast_to(T, (3, 3)), ValueError, "broadcast_to"),
    bad(
        "shape/matmul-inner",
        lambda: T @ np.ones((2, 2)),
        ValueError,
        r"matmul: inner dimensions differ: \(2, 3\) @ \(2, 2\)",
    ),
    bad(
        "shape/matmul-vector",
        lambda: mg.tensor(np.ones(3)) @ np.ones(2),
        ValueError,
        "inner dimensions differ",
    ),
    bad(
        "shape/matmul-scalar",
        lambda: mg.tensor(2.0) @ np.ones(2),
        ValueError,
        "at least 1 dimension",
    ),
    bad(
        "shape/einsum-ellipsis",
        lambda: mg.einsum("...i->i", X),
        ValueError,
        "ellipsis is not supported",
    ),
    bad("shape/einsum-diagonal", lambda: mg.einsum("ii->i", np.eye(2)), ValueError, "a diagonal"),
    bad("shape/einsum-operands", lambda: mg.einsum("ij,jk->ik", X), ValueError, "needs 2 operands"),
    bad(
        "shape/where-shapes", lambda: mg.where(np.array([True, False]), T, 0.0), ValueError, "where"
    ),
    bad("shape/maximum-names-itself", lambda: mg.maximum(T, np.ones(4)), ValueError, r"^maximum: "),
    bad("shape/minimum-names-itself", lambda: mg.minimum(T, np.ones(4)), ValueError, r"^minimum: "),
    good(
        "shape/matmul-batched",
        lambda: (mg.tensor(np.ones((4, 2, 3))) @ np.ones((3, 5))).shape,
        lambda s: s == (4, 2, 5),
    ),
    # -- indexing ----------------------------------------------------------------------
    bad(
        "index/out-of-range",
        lambda: T[5],
        IndexError,
        "getitem: index 5 is out of bounds",
        allowed=(IndexError,),
    ),
    bad(
        "index/too-many", lambda: T[0, 0, 0], IndexError, "too many indices", allowed=(IndexError,)
    ),
    bad(
        "index/mask-short",
        lambda: T[np.array([True])],
        IndexError,
        "boolean index did not match",
        allowed=(IndexError,),
    ),
    bad(
        "index/mask-long",
        lambda: mg.tensor([1.0, 2.0])[np.array([True, False, True])],
        IndexError,
        "boolean index did not match",
        allowed=(IndexError,),
    ),
    bad(
        "index/mask-2d",
        lambda: T[np.ones((3, 2), bool)],
        IndexError,
        "did not match",
        allowed=(IndexError,),
    ),
    bad(
        "index/float-array",
        lambda: T[np.array([0.0])],
        IndexError,
        "integer or boolean type",
        allowed=(IndexError,),
    ),
    bad("index/float", lambda: T[1.5], IndexError, "getitem", allowed=(IndexError,)),
    bad(
        "index/0d-mask-in-tuple",
        lambda: T[np.array(True), 0],
        IndexError,
        "0-d boolean index",
        allowed=(IndexError,),
    ),
    good("index/mask", lambda: T[X > 2], same([3.0, 4.0, 5.0])),
    good("index/mask-tensor", lambda: T[T > 2], same([3.0, 4.0, 5.0])),
    good("index/0d-mask-true", lambda: mg.tensor(3.0)[mg.tensor(3.0) > 0], same([3.0])),
    good("index/0d-mask-false", lambda: T[False].shape, lambda s: s == (0, 2, 3)),
    good("index/negative-step", lambda: T[:, ::-1], same(X[:, ::-1])),
    good("index/ellipsis-none", lambda: T[..., None, 1], same(X[..., None, 1])),
    good("index/list", lambda: T[[1, 0]], same(X[[1, 0]])),
    good(
        "index/repeated-grad",
        lambda: grad_of(lambda x: x[[0, 0, 2]].sum(), [1.0, 2.0, 3.0]),
        same([2.0, 0.0, 1.0]),
    ),
    good(
        "index/mask-grad",
        lambda: grad_of(lambda x: x[x.data > 1].sum(), [1.0, 2.0, 3.0]),
        same([0.0, 1.0, 1.0]),
    ),
    bad(
        "index/setitem-mask-short",
        lambda: mg.zeros(3).__setitem__(np.array([True]), 1.0),
        IndexError,
        "boolean index",
        allowed=(IndexError,),
    ),
    good("index/setitem-0d-mask", lambda: _set(mg.zeros(2), True, 1.0), same([1.0, 1.0])),
    # -- derivatives at awkward points -------------------------------------------------
    good("deriv/pow0-second-at-0", lambda: _second(lambda x: x**0, 0.0), lambda v: v == 0.0),
    good("deriv/pow1-second-at-0", lambda: _second(lambda x: x**1, 0.0), lambda v: v == 0.0),
    good("deriv/pow2-second-at-0", lambda: _second(lambda x: x**2, 0.0), lambda v: v == 2.0),
    good(
        "deriv/pow-tensor-exponent-0",
        lambda: _second(lambda x: x ** mg.tensor(0.0), 0.0),
        lambda v: v == 0.0,
    ),
    good(
        "deriv/pow-base0-exponent-grad",
        lambda: mg.grad(lambda y: 0.0**y)(np.float64(2.0)),
        same(0.0),
    ),
    good("deriv/std-flat", lambda: grad_of(mg.std, [2.0, 2.0, 2.0]), same([0.0, 0.0, 0.0])),
    good("deriv/std-one", lambda: grad_of(mg.std, [2.0]), same([0.0])),
    good(
        "deriv/std-flat-second",
        lambda: mg.hessian(mg.std)(np.full(2, 3.0)),
        lambda h: np.isfinite(h.data).all(),
    ),
    good(
        "deriv/std-axis",
        lambda: grad_of(lambda x: mg.std(x, axis=1).sum(), [[1.0, 1.0]]),
        same([[0.0, 0.0]]),
    ),
    good("deriv/relu-at-0", lambda: grad_of(lambda x: mg.relu(x).sum(), [0.0]), same([0.0])),
    good("deriv/abs-at-0", lambda: grad_of(lambda x: mg.abs(x).sum(), [0.0]), same([0.0])),
    good("deriv/max-tie", lambda: grad_of(mg.max, [1.0, 1.0]), same([0.5, 0.5])),
    good("deriv/max-nan", lambda: grad_of(mg.max, [1.0, np.nan, 2.0]), same([0.0, 1.0, 0.0])),
    good("deriv/min-nan", lambda: grad_of(mg.min, [np.nan, 1.0]), same([1.0, 0.0])),
    good(
        "deriv/maximum-tie", lambda: grad_of(lambda x: mg.maximum(x, 1.0).sum(), [1.0]), same([0.5])
    ),
    good(
        "deriv/maximum-nan",
        lambda: grad_of(lambda x: mg.maximum(x, 0.0).sum(), [np.nan]),
        same([1.0]),
    ),
    good(
        "deriv/minimum-uint",
        lambda: mg.minimum(np.array([0, 5], np.uint8), np.uint8(3)),
        same([0, 3], np.uint8),
    ),
    good("deriv/min-uint", lambda: mg.min(np.array([0, 5], np.uint8)), same(0, np.uint8)),
    good("deriv/relu-nan", lambda: mg.relu(mg.tensor([np.nan, -1.0])), same([np.nan, 0.0])),
    good("deriv/relu-nan-grad", lambda: grad_of(lambda x: mg.relu(x).sum(), [np.nan]), same([1.0])),
    good("deriv/logsumexp-inf", lambda: mg.logsumexp(mg.tensor([-np.inf, -np.inf])), same(-np.inf)),
    good("deriv/softmax-large", lambda: mg.softmax(mg.tensor([1000.0, 1000.0])), same([0.5, 0.5])),
    good(
        "deriv/sigmoid-tail",
        lambda: mg.sigmoid(mg.tensor(np.float64(-700.0))),
        lambda r: 0 < r.item() < 1e-300,
    ),
    good("deriv/var-ddof-large", lambda: mg.var(np.array([1.0, 2.0]), ddof=3), same(np.inf)),
    good("deriv/sqrt-at-0", lambda: grad_of(lambda x: mg.sqrt(x).sum(), [0.0]), same([np.inf])),
    # -- composites on unusual inputs --------------------------------------------------
    good(
        "composite/logsumexp-uint8",
        lambda: mg.logsumexp(np.array([200, 250], np.uint8)),
        lambda r: r.item() == 250.0,
    ),
    good(
        "composite/sigmoid-uint8",
        lambda: mg.sigmoid(np.array([1, 3], np.uint8)),
        lambda r: (r.data > 0.7).all(),
    ),
    good(
        "composite/softplus-uint8",
        lambda: mg.nn.softplus(mg.tensor(np.array([1], np.uint8))),
        lambda r: abs(r.item() - np.log1p(np.e)) < 1e-3,
    ),
    good(
        "composite/mean-float16",
        lambda: mg.mean(np.ones(70000, np.float16)),
        lambda r: r.item() == 1.0 and r.dtype == np.float16,
    ),
    good(
        "composite/prod-int32",
        lambda: mg.prod(np.array([100000, 100000], np.int32)),
        same(10**10, np.int64),
    ),
    good("composite/clip-nan", lambda: mg.clip(mg.tensor([np.nan]), 0.0, 1.0), same([np.nan])),
]


def _set(t, index, value):
    t[index] = value
    return t


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_misuse(case):
    run(case)
