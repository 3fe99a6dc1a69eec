"""Misuse table, values: every op and composite against NumPy for each dtype (bool, signed and
unsigned integers, float16/32/64, Python scalars mixed in), NaN and inf propagation, and empty
inputs. Generated cases, each a (function, inputs) pair compared with NumPy's value and dtype."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad.dtypes import float_for
from tests.misuse import Case, bad, good, ids, run

DTYPES = ["bool", "int8", "uint8", "int32", "int64", "float16", "float32", "float64"]
VALUES = [0, 1, 3]  # fits every dtype; 0 exercises unsigned wrap-around and kinks


def _array(dtype: str, values=VALUES) -> np.ndarray:
    return np.array([bool(v) for v in values] if dtype == "bool" else values, dtype=dtype)


def _exp_ref(f):
    """A NumPy reference computed in the float type NumPy's exp gives for the input."""
    return lambda a: f(a.astype(float_for(a.dtype)))


def _softmax(a):
    z = np.exp(a - a.max())
    return z / z.sum()


def _logsumexp(a):
    m = a.max()
    return np.log(np.exp(a - m).sum()) + m


UNARY = {  # minigrad function -> NumPy reference, on one array
    "negative": (mg.negative, np.negative),
    "abs": (mg.abs, np.abs),
    "exp": (mg.exp, np.exp),
    "log1p": (mg.log1p, np.log1p),
    "sqrt": (mg.sqrt, lambda a: np.power(a, 0.5)),
    "sin": (mg.sin, np.sin),
    "cos": (mg.cos, np.cos),
    "tanh": (mg.tanh, np.tanh),
    "sigmoid": (mg.sigmoid, _exp_ref(lambda a: 1 / (1 + np.exp(-a)))),
    "sign": (mg.sign, np.sign),
    "relu": (mg.relu, lambda a: np.where(a <= 0, 0, a)),
    "sum": (mg.sum, np.sum),
    "mean": (mg.mean, np.mean),
    "var": (mg.var, np.var),
    "std": (mg.std, np.std),
    "max": (mg.max, np.max),
    "min": (mg.min, np.min),
    "prod": (mg.prod, np.prod),
    "argmax": (mg.argmax, np.argmax),
    "argmin": (mg.argmin, np.argmin),
    "logsumexp": (mg.logsumexp, _exp_ref(_logsumexp)),
    "softmax": (mg.softmax, _exp_ref(_softmax)),
    "log_softmax": (mg.log_softmax, _exp_ref(lambda a: a - _logsumexp(a))),
    "square": (lambda x: x * x, lambda a: a * a),
    "cube": (lambda x: x**3, lambda a: a**3),
    "transpose": (mg.transpose, np.transpose),
    "flatten": (mg.flatten, np.ravel),
}
LOOSE = {"float16": 2e-3, "float32": 1e-6}  # NumPy and minigrad may round differently

BINARY = {
    "add": (mg.add, np.add),
    "subtract": (mg.subtract, np.subtract),
    "multiply": (mg.multiply, np.multiply),
    "divide": (mg.divide, np.divide),
    "maximum": (mg.maximum, np.maximum),
    "minimum": (mg.minimum, np.minimum),
    "where": (
        lambda a, b: mg.where(np.array([True, False, True]), a, b),
        lambda a, b: np.where(np.array([True, False, True]), a, b),
    ),
}
PAIRS = [
    ("int8", "uint8"),
    ("uint8", "float32"),
    ("int64", "float16"),
    ("bool", "int32"),
    ("float32", "float64"),
    ("uint8", "uint8"),
    ("bool", "float32"),
    ("int32", "float32"),
]
SCALARS = [2, 2.5, True]


def _compare(result, expected, dtype) -> bool:
    data = result.data if isinstance(result, mg.Tensor) else np.asarray(result)
    expected = np.asarray(expected)
    assert data.dtype == expected.dtype, f"dtype {data.dtype}, NumPy gives {expected.dtype}"
    tol = LOOSE.get(str(expected.dtype), 1e-12)
    np.testing.assert_allclose(
        data.astype(np.float64), expected.astype(np.float64), rtol=tol, atol=tol, equal_nan=True
    )
    return True


def _quiet(f, *args):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return f(*args)


def _unary_cases() -> list[Case]:
    cases = []
    for name, (fn, ref) in UNARY.items():
        for dtype in DTYPES:
            a = _array(dtype)
            try:
                expected = _quiet(ref, a)
            except TypeError:  # NumPy refuses (a boolean negative): so must minigrad
                cases.append(
                    bad(
                        f"dtype/{name}-{dtype}",
                        lambda fn=fn, a=a: fn(mg.tensor(a)),
                        TypeError,
                        f"(?i){name}: .*bool",
                    )
                )
                continue
            cases.append(
                good(
                    f"dtype/{name}-{dtype}",
                    lambda fn=fn, a=a: _quiet(fn, mg.tensor(a)),
                    lambda r, e=expected, d=dtype: _compare(r, e, d),
                )
            )
    return cases


def _binary_cases() -> list[Case]:
    cases = []
    for name, (fn, ref) in BINARY.items():
        for left, right in PAIRS:
            a, b = _array(left), _array(right, [2, 1, 0])
            expected = _quiet(ref, a, b)
            cases.append(
                good(
                    f"dtype/{name}-{left}-{right}",
                    lambda fn=fn, a=a, b=b: _quiet(fn, mg.tensor(a), mg.tensor(b)),
                    lambda r, e=expected, d=left: _compare(r, e, d),
                )
            )
        for scalar in SCALARS:
            a = _array("uint8")
            expected = _quiet(ref, a, scalar)
            cases.append(
                good(
                    f"dtype/{name}-uint8-scalar-{scalar!r}",
                    lambda fn=fn, a=a, s=scalar: _quiet(fn, mg.tensor(a), s),
                    lambda r, e=expected: _compare(r, e, "uint8"),
                )
            )
    return cases


NAN = np.array([1.0, np.nan, -2.0, np.inf, -np.inf, 0.0])
NAN_UNARY = {  # ops whose NaN and inf behaviour must be NumPy's
    "negative": (mg.negative, np.negative),
    "abs": (mg.abs, np.abs),
    "exp": (mg.exp, np.exp),
    "sin": (mg.sin, np.sin),
    "tanh": (mg.tanh, np.tanh),
    "sigmoid": (mg.sigmoid, lambda a: 1 / (1 + np.exp(-a))),
    "sign": (mg.sign, np.sign),
    "relu": (mg.relu, lambda a: np.maximum(a, 0)),
    "clip": (lambda x: mg.clip(x, -1.0, 1.0), lambda a: np.clip(a, -1.0, 1.0)),
    "maximum0": (lambda x: mg.maximum(x, 0.0), lambda a: np.maximum(a, 0.0)),
    "minimum0": (lambda x: mg.minimum(x, 0.0), lambda a: np.minimum(a, 0.0)),
    "sum": (mg.sum, np.sum),
    "mean": (mg.mean, np.mean),
    "max": (mg.max, np.max),
    "min": (mg.min, np.min),
    "prod": (mg.prod, np.prod),
    "var": (mg.var, np.var),
    "std": (mg.std, np.std),
    "logsumexp": (mg.logsumexp, lambda a: np.full((), np.nan)),
    "softmax": (mg.softmax, lambda a: np.full(a.shape, np.nan)),
    "leaky_relu": (mg.nn.leaky_relu, lambda a: np.where(a > 0, a, a * 0.01)),
    "elu": (mg.nn.elu, lambda a: np.where(a > 0, a, np.expm1(np.minimum(a, 0)))),
    "softplus": (mg.nn.softplus, lambda a: np.logaddexp(a, 0)),
    "softsign": (mg.nn.softsign, lambda a: a / (1 + np.abs(a))),
    "hard_tanh": (mg.nn.hard_tanh, lambda a: np.clip(a, -1, 1)),
    "hard_sigmoid": (mg.nn.hard_sigmoid, lambda a: np.clip(0.25 * a + 0.5, 0, 1)),
    "silu": (mg.nn.silu, lambda a: a / (1 + np.exp(-a))),
}


def _nan_cases() -> list[Case]:
    cases = []
    for name, (fn, ref) in NAN_UNARY.items():
        expected = _quiet(ref, NAN)
        cases.append(
            good(
                f"nan/{name}",
                lambda fn=fn: _quiet(fn, mg.tensor(NAN)),
                lambda r, e=expected: _nan_compare(r, e),
            )
        )
    return cases


def _nan_compare(result, expected) -> bool:
    data = result.data
    assert np.array_equal(np.isnan(data), np.isnan(expected)), f"NaN at {np.isnan(data)}"
    finite = ~np.isnan(expected)
    np.testing.assert_allclose(data[finite], expected[finite], rtol=1e-12)
    return True


EMPTY = np.zeros((0, 3))
EMPTY_CASES = [
    good("empty/sum-all", lambda: mg.sum(EMPTY), lambda r: r.item() == 0.0),
    good("empty/sum-axis0", lambda: mg.sum(EMPTY, axis=0), lambda r: r.shape == (3,)),
    good("empty/sum-axis1", lambda: mg.sum(EMPTY, axis=1), lambda r: r.shape == (0,)),
    good(
        "empty/mean-axis0",
        lambda: _quiet(mg.mean, EMPTY, 0),
        lambda r: r.shape == (3,) and np.isnan(r.data).all(),
    ),
    good("empty/prod-axis0", lambda: mg.prod(EMPTY, axis=0), lambda r: (r.data == 1).all()),
    good("empty/prod-axis1", lambda: mg.prod(EMPTY, axis=1), lambda r: r.shape == (0,)),
    good("empty/max-axis1", lambda: mg.max(EMPTY, axis=1), lambda r: r.shape == (0,)),
    bad(
        "empty/max-axis0",
        lambda: mg.max(EMPTY, axis=0),
        ValueError,
        r"max: axis 0 of shape \(0, 3\) is empty.*no maximum",
    ),
    bad("empty/min-all", lambda: mg.min(EMPTY), ValueError, r"min: axis 0 .*no minimum"),
    bad("empty/argmax", lambda: mg.argmax(EMPTY), ValueError, "empty"),
    good(
        "empty/logsumexp-axis0",
        lambda: mg.logsumexp(EMPTY, axis=0),
        lambda r: r.shape == (3,) and (r.data == -np.inf).all(),
    ),
    good("empty/logsumexp-axis1", lambda: mg.logsumexp(EMPTY, axis=1), lambda r: r.shape == (0,)),
    good("empty/softmax-axis0", lambda: mg.softmax(EMPTY, axis=0), lambda r: r.shape == (0, 3)),
    good("empty/log_softmax", lambda: mg.log_softmax(EMPTY, axis=1), lambda r: r.shape == (0, 3)),
    good("empty/split-sections", lambda: mg.split(np.zeros(0), 3), lambda r: len(r) == 3),
    bad("empty/split-zero", lambda: mg.split(np.zeros(4), 0), ValueError, "at least 1"),
    good(
        "empty/concatenate",
        lambda: mg.concatenate([EMPTY, np.ones((2, 3))]),
        lambda r: r.shape == (2, 3),
    ),
    good(
        "empty/matmul",
        lambda: mg.matmul(np.zeros((2, 0)), np.zeros((0, 3))),
        lambda r: r.shape == (2, 3) and (r.data == 0).all(),
    ),
    good("empty/grad", lambda: mg.grad(lambda x: x.sum())(np.zeros(0)), lambda r: r.shape == (0,)),
    good(
        "empty/flatten-layer",
        lambda: mg.nn.Flatten()(mg.zeros(0, 3, 2)),
        lambda r: r.shape == (0, 6),
    ),
    good("empty/index-list", lambda: mg.tensor([1.0, 2.0])[[]], lambda r: r.shape == (0,)),
]


def _argmax_empty():
    return mg.argmax(EMPTY)


CASES = _unary_cases() + _binary_cases() + _nan_cases() + EMPTY_CASES


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_misuse(case):
    run(case)
