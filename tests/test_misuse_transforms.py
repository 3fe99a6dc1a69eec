"""Misuse table, transforms, forward mode, custom ops and gradient checking."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
from tests.misuse import bad, good, ids, leaf, run, same

X = np.array([1.0, 2.0])
S = np.float64(1.5)
square_sum = lambda x: (x * x).sum()  # noqa: E731
square_sum_w = lambda p: (p["w"] * p["w"]).sum()  # noqa: E731


def op(forward=None, backward=None, jvp=None, name="Op"):
    """A custom op from plain functions (defaults: x -> 2x, exact derivatives)."""
    body = {
        "forward": staticmethod(forward or (lambda ctx, x: 2 * x)),
        "backward": staticmethod(backward or (lambda ctx, g: 2 * g)),
    }
    if jvp is not False:
        body["jvp"] = staticmethod(jvp or (lambda ctx, dx: 2 * dx))
    return type(name, (mg.Function,), body)


def check(f, *xs, **options):
    return mg.gradcheck(f, *xs, raise_exception=False, **options)


def _failed_with(pattern):
    def test(result):
        assert not result, "gradcheck passed"
        import re

        message = result.message()
        assert re.search(pattern, message, re.S), message
        return True

    return test


NAN_BACK = op(backward=lambda ctx, g: g * np.nan, name="NanBack")
INF_JVP = op(jvp=lambda ctx, dx: dx * np.inf, name="InfJvp")
NO_JVP = op(jvp=False, name="NoJvp")
WRONG = op(backward=lambda ctx, g: 3 * g, name="Wrong")


def _hooks_under_jacrev():
    """A hook on an intermediate tensor sees each cotangent of jacrev's batch, one by one,
    and its replacement is used."""
    seen = []

    def f(x):
        y = x * 2.0
        y.register_hook(lambda g: seen.append(g.shape) or g * 1.5)
        return y

    j = mg.jacrev(f)(X)
    assert seen == [(2,), (2,)]
    return j


def _vjp_dict():
    out, pull = mg.vjp(lambda x: {"a": x * 2, "b": (x * x).sum()}, X)
    return pull({"a": np.ones(2), "b": np.float64(1.0)})[0]


def _nested_levels():
    with mg.dual_level() as outer:
        x = mg.make_dual(mg.tensor(3.0, dtype=np.float64), 1.0, outer)
        with mg.dual_level() as inner:
            z = mg.make_dual(x, 1.0, inner) ** 2
            tangent = mg.unpack_dual(z, outer).tangent
        return mg.unpack_dual(tangent, outer).primal  # the outer tangent's own primal: 6


CASES = [
    # -- grad and friends --------------------------------------------------------------
    bad("grad/not-callable", lambda: mg.grad(5), TypeError, "expected a function"),
    bad(
        "grad/argnums-str",
        lambda: mg.grad(square_sum, argnums="0"),
        TypeError,
        "argnums must be an int or a non-empty tuple",
    ),
    bad("grad/argnums-empty", lambda: mg.grad(square_sum, argnums=()), TypeError, "non-empty"),
    bad("grad/argnums-float", lambda: mg.grad(square_sum, argnums=0.0), TypeError, "argnums"),
    bad(
        "grad/argnums-range",
        lambda: mg.grad(square_sum, argnums=1)(X),
        ValueError,
        "argnums 1 asks for argument 1, but the function was called with 1 positional argument",
    ),
    bad(
        "grad/argnums-repeat",
        lambda: mg.grad(lambda a, b: a.sum(), argnums=(0, 0))(X, X),
        ValueError,
        "names an argument twice",
    ),
    bad(
        "grad/has-aux-str",
        lambda: mg.grad(square_sum, has_aux="yes"),
        TypeError,
        "has_aux must be True or False",
    ),
    bad(
        "grad/has-aux-missing",
        lambda: mg.grad(square_sum, has_aux=True)(X),
        TypeError,
        r"has_aux=True: the function must return a pair \(value, aux\)",
    ),
    bad(
        "grad/aux-forgotten",
        lambda: mg.grad(lambda x: ((x * x).sum(), 1))(X),
        TypeError,
        r"return \(value, aux\) with has_aux=True",
    ),
    bad(
        "grad/non-scalar",
        lambda: mg.grad(lambda x: x * 2)(X),
        TypeError,
        r"scalar float Tensor, got a Tensor of shape \(2,\)",
    ),
    bad("grad/returns-none", lambda: mg.grad(lambda x: None)(X), TypeError, "NoneType"),
    bad("grad/returns-float", lambda: mg.grad(lambda x: 1.0)(X), TypeError, "float"),
    bad(
        "grad/int-output",
        lambda: mg.grad(lambda x: mg.argmax(x))(X),
        TypeError,
        "scalar float Tensor",
    ),
    bad(
        "grad/int-input",
        lambda: mg.grad(square_sum)(np.array([1, 2])),
        TypeError,
        "argument 0 has dtype int64; only floating-point",
    ),
    good(
        "grad/tuple-input",
        lambda: mg.grad(lambda t: t[0] * t[1])((S, np.float64(2.0))),
        lambda g: type(g) is tuple and [t.item() for t in g] == [2.0, 1.5],
    ),
    good(
        "grad/dict-input",
        lambda: mg.grad(square_sum_w)({"w": X}),
        lambda g: list(g) == ["w"] and g["w"].tolist() == [2.0, 4.0],
    ),
    bad("grad/wrong-arity", lambda: mg.grad(square_sum)(X, X), TypeError, "positional argument"),
    good(
        "grad/negative-argnums",
        lambda: mg.grad(lambda a, b: (a * b).sum(), argnums=-1)(X, X),
        same(X),
    ),
    good(
        "grad/kwargs", lambda: mg.grad(lambda x, k=1.0: (x * k).sum())(X, k=3.0), same([3.0, 3.0])
    ),
    good("grad/constant-function", lambda: mg.grad(lambda x: mg.tensor(1.0))(X), same([0, 0])),
    good(
        "grad/value-is-plain",
        lambda: mg.value_and_grad(square_sum)(X)[0].requires_grad,
        lambda r: r is False,
    ),
    good(
        "grad/numpy-argument-closure",
        lambda: mg.grad(lambda x: (x * np.array([2.0, 3.0])).sum())(X),
        same([2.0, 3.0]),
    ),
    # -- vjp, jacobians ----------------------------------------------------------------
    bad(
        "vjp/cotangent-shape",
        lambda: mg.vjp(lambda x: x * 2, X)[1](np.ones(3)),
        ValueError,
        r"the cotangent has shape \(3,\) but the output has shape \(2,\)",
    ),
    bad(
        "vjp/cotangent-structure",
        lambda: mg.vjp(lambda x: (x, x), X)[1](np.ones(2)),
        TypeError,
        r"the cotangent is an array of shape \(2,\) and dtype float64 but the output is a tuple "
        "of 2",
    ),
    bad(
        "vjp/dict-keys",
        lambda: mg.vjp(lambda x: {"a": x}, X)[1]({"b": np.ones(2)}),
        TypeError,
        r"the cotangent is a dict with keys \('b',\) but the output is a dict with keys \('a',\)",
    ),
    bad(
        "vjp/non-tensor-output",
        lambda: mg.vjp(lambda x: [x, "s"], X),
        TypeError,
        r"must return a Tensor or a tuple, list or dict of them, but output\[1\] is a str",
    ),
    good("vjp/dict-output", _vjp_dict, same([2.0 + 2.0, 2.0 + 4.0])),
    good(
        "vjp/constant-output",
        lambda: mg.vjp(lambda x: (x * 2, mg.tensor([5.0])), X)[1]((np.ones(2), np.ones(1)))[0],
        same([2.0, 2.0]),
    ),
    good("jacrev/empty-output", lambda: mg.jacrev(lambda x: x[:0])(X), lambda j: j.shape == (0, 2)),
    good(
        "jacrev/dtype",
        lambda: mg.jacrev(lambda x: x.astype(np.float64))(X.astype(np.float32)),
        lambda j: j.dtype == np.float64,
    ),
    good(
        "jacfwd/dtype",
        lambda: mg.jacfwd(lambda x: x.astype(np.float32))(X),
        lambda j: j.dtype == np.float64,
    ),
    good("jacrev/kwargs", lambda: mg.jacrev(lambda x, s=1.0: x * s)(X, s=2.0), same(2 * np.eye(2))),
    good(
        "jacrev/tuple-output",
        lambda: mg.jacrev(lambda x: (x, x * 2))(X),
        lambda j: [b.tolist() for b in j] == [np.eye(2).tolist(), (2 * np.eye(2)).tolist()],
    ),
    bad(
        "jacrev/int-output",
        lambda: mg.jacrev(lambda x: (x, mg.argmax(x)))(X),
        TypeError,
        r"must return a float Tensor .*, but output\[1\] is a Tensor of shape \(\) and dtype int",
    ),
    bad("jacfwd/chunk-zero", lambda: mg.jacfwd(square_sum, chunk_size=0), ValueError, "at least 1"),
    bad("jacrev/chunk-float", lambda: mg.jacrev(square_sum, chunk_size=1.5), TypeError, "an int"),
    bad("jacrev/chunk-bool", lambda: mg.jacrev(square_sum, chunk_size=True), TypeError, "an int"),
    good(
        "jacfwd/chunk-larger-than-input",
        lambda: mg.jacfwd(lambda x: x * 3.0, chunk_size=7)(X),
        same(3 * np.eye(2)),
    ),
    good(
        "jacrev/chunk-uneven",
        lambda: mg.jacrev(lambda x: x * 3.0, chunk_size=1)(X),
        same(3 * np.eye(2)),
    ),
    good(
        "jacfwd/empty-input", lambda: mg.jacfwd(lambda x: x.sum())(X[:0]), lambda j: j.shape == (0,)
    ),
    good(
        "jacrev/constant-output",
        lambda: mg.jacrev(lambda x: mg.tensor([1.0, 2.0, 3.0]) + 0 * x.sum())(X),
        same(np.zeros((3, 2))),
    ),
    good("jacrev/hooks-see-each-row", _hooks_under_jacrev, same([[3.0, 0.0], [0.0, 3.0]])),
    good(
        "jacfwd/inside-jvp",  # a forward level is open: one sweep per element, still right
        lambda: mg.jvp(lambda x: mg.jacfwd(lambda y: y * y * x)(x), (X,), (np.ones(2),))[1],
        lambda t: np.allclose(t.data, np.diag(4 * np.ones(2) * X)),
    ),
    good(
        "grad/of-batched-jacfwd",  # reverse mode through a sweep with batched tangents
        lambda: mg.grad(lambda x: mg.jacfwd(lambda y: mg.sin(y) * y)(x).sum())(X),
        same(2 * np.cos(X) - X * np.sin(X)),
    ),
    bad(
        "jacfwd/argnums-range",
        lambda: mg.jacfwd(lambda x: x, argnums=2)(X),
        ValueError,
        "argnums 2",
    ),
    good(
        "hessian/blocks-plain",
        lambda: mg.hessian(lambda x, y: (x * y * y).sum(), argnums=(0, 1))(X, X),
        lambda h: not any(b.requires_grad for row in h for b in row),
    ),
    good(
        "hessian/kwargs",
        lambda: mg.hessian(lambda x, s=1.0: (x * x * s).sum())(X, s=2.0),
        same(4 * np.eye(2)),
    ),
    good(
        "hvp/tuple",
        lambda: mg.hvp(lambda t: (t[0] * t[1]).sum(), (X, X), (X, 2 * X)),
        lambda h: type(h) is tuple and h[0].tolist() == [2.0, 4.0] and h[1].tolist() == [1.0, 2.0],
    ),
    bad(
        "hvp/shape",
        lambda: mg.hvp(square_sum, X, np.ones(3)),
        ValueError,
        r"v has shape \(3,\) but x has shape \(2,\)",
    ),
    good("hvp/value", lambda: mg.hvp(square_sum, X, np.array([1.0, 0.0])), same([2.0, 0.0])),
    # -- forward mode ------------------------------------------------------------------
    bad(
        "jvp/bare-arrays",
        lambda: mg.jvp(square_sum, X, X),
        TypeError,
        r"primals must be a tuple or list.*jvp\(f, \(x,\), \(v,\)\)",
    ),
    bad(
        "jvp/count",
        lambda: mg.jvp(square_sum, (X,), (X, X)),
        ValueError,
        "1 primals but 2 tangents",
    ),
    bad(
        "jvp/tangent-shape",
        lambda: mg.jvp(square_sum, (X,), (np.ones(3),)),
        ValueError,
        r"tangent 0 has shape \(3,\) but primal 0 has shape \(2,\)",
    ),
    bad(
        "jvp/int-primal",
        lambda: mg.jvp(square_sum, (np.array([1, 2]),), (X,)),
        TypeError,
        "primal 0 has dtype int64",
    ),
    bad("jvp/not-callable", lambda: mg.jvp(3, (X,), (X,)), TypeError, "expected a function"),
    bad(
        "dual/no-level",
        lambda: mg.make_dual(mg.tensor(1.0), 1.0),
        RuntimeError,
        "no forward-mode level is open",
    ),
    bad(
        "dual/closed-level",
        lambda: mg.make_dual(mg.tensor(1.0), 1.0, level=10**9),
        RuntimeError,
        "is not open",
    ),
    bad(
        "dual/unpack-closed",
        lambda: mg.unpack_dual(mg.tensor(1.0), level=10**9),
        RuntimeError,
        "unpack_dual: level 1000000000 is not open",
    ),
    bad(
        "dual/int",
        lambda: _in_level(lambda: mg.make_dual(mg.tensor([1]), [1])),
        TypeError,
        "only floating-point",
    ),
    bad(
        "dual/shape",
        lambda: _in_level(lambda: mg.make_dual(mg.tensor([1.0]), [1.0, 2.0])),
        ValueError,
        r"tangent has shape \(2,\)",
    ),
    bad(
        "dual/twice",
        lambda: _in_level(lambda: mg.make_dual(mg.make_dual(mg.tensor([1.0]), [1.0]), [1.0])),
        ValueError,
        "already carries a tangent",
    ),
    bad(
        "dual/in-place",
        lambda: _in_level(lambda: mg.make_dual(mg.tensor([1.0]), [1.0]).add_(1)),
        RuntimeError,
        "dual tensor",
    ),
    good("dual/nested-outer-tangent", _nested_levels, same(6.0)),
    good("dual/backward-through", lambda: _dual_backward(), same([2.0, 4.0])),
    # -- custom ops --------------------------------------------------------------------
    bad(
        "function/forward-tuple",
        lambda: op(forward=lambda ctx, x: (x, x)).apply(leaf(X)),
        TypeError,
        "forward must return one NumPy array",
    ),
    bad(
        "function/forward-none",
        lambda: op(forward=lambda ctx, x: None).apply(leaf(X)),
        TypeError,
        "got NoneType",
    ),
    bad(
        "function/forward-str",
        lambda: op(forward=lambda ctx, x: "a").apply(leaf(X)),
        TypeError,
        "dtype <U1",
    ),
    bad(
        "function/backward-count",
        lambda: _backward(op(backward=lambda ctx, g: (g, g))),
        ValueError,
        "backward returned 2 gradients for 1 inputs",
    ),
    bad(
        "function/backward-shape",
        lambda: _backward(op(backward=lambda ctx, g: g[:1])),
        ValueError,
        r"gradient of shape \(1,\) for input 0 of shape \(2,\)",
    ),
    bad(
        "function/backward-str",
        lambda: _backward(op(backward=lambda ctx, g: "abc")),
        TypeError,
        "dtype <U3",
    ),
    bad(
        "function/jvp-shape",
        lambda: mg.jvp(op(jvp=lambda ctx, dx: dx[:1]).apply, (X,), (X,)),
        ValueError,
        r"jvp returned a tangent of shape \(1,\) for its output of shape \(2,\)",
    ),
    bad(
        "function/jvp-none-op",
        lambda: mg.jvp(NO_JVP.apply, (X,), (X,)),
        RuntimeError,
        "`NoJvp`: it defines no jvp",
    ),
    bad(
        "function/second-order",
        lambda: mg.hessian(lambda x: op().apply(x).sum())(X),
        RuntimeError,
        "cannot be differentiated again",
    ),
    bad(
        "function/no-forward",
        lambda: type("Empty", (mg.Function,), {}).apply(leaf(X)),
        NotImplementedError,
        "`Empty` defines no forward",
    ),
    bad(
        "function/no-backward",
        lambda: (
            type("Half", (mg.Function,), {"forward": staticmethod(lambda ctx, x: x)})
            .apply(leaf(X))
            .sum()
            .backward()
        ),
        NotImplementedError,
        r"`Half` defines no backward\(ctx, g\)",
    ),
    good(
        "function/jvp-none-is-zero",
        lambda: mg.jvp(op(jvp=lambda ctx, dx: None).apply, (X,), (X,))[1],
        same([0.0, 0.0]),
    ),
    # -- gradcheck ---------------------------------------------------------------------
    good(
        "gradcheck/nan-backward",
        lambda: check(NAN_BACK.apply, X),
        _failed_with(r"non-finite analytic derivative.*reverse mode|reverse mode.*non-finite"),
    ),
    good(
        "gradcheck/nan-fast",
        lambda: check(NAN_BACK.apply, X, fast=True),
        _failed_with("non-finite"),
    ),
    good(
        "gradcheck/inf-jvp",
        lambda: check(INF_JVP.apply, X),
        _failed_with(r"forward mode: non-finite analytic"),
    ),
    good(
        "gradcheck/nan-input",
        lambda: check(mg.sin, np.array([np.nan])),
        _failed_with("non-finite input 0 at element"),
    ),
    good(
        "gradcheck/inf-output",
        lambda: check(lambda x: 1 / x, np.array([0.0])),
        _failed_with("non-finite output 0"),
    ),
    good(
        "gradcheck/numeric-nonfinite",
        lambda: check(lambda x: mg.log(x), np.array([1e-9])),
        _failed_with(r"non-finite numeric derivative.*not finite within eps"),
    ),
    good(
        "gradcheck/numeric-no-culprit",
        lambda: check(mg.log, np.array([1e-9])).culprit,
        lambda c: c is None,
    ),
    good(
        "gradcheck/both-nonfinite",
        lambda: check(mg.sqrt, np.array([0.0])),
        _failed_with("analytic and numeric derivative.*not differentiable at this input"),
    ),
    good(
        "gradcheck/nothing-compared",
        lambda: check(NO_JVP.apply, X, modes=("fwd",)),
        _failed_with("nothing was compared"),
    ),
    bad(
        "gradcheck/nothing-raises",
        lambda: mg.gradcheck(NO_JVP.apply, X, modes=("fwd",)),
        mg.GradcheckError,
        "nothing was compared",
    ),
    good(
        "gradcheck/wrong-value",
        lambda: check(WRONG.apply, X),
        _failed_with("culprit: node 1, `Wrong`"),
    ),
    bad(
        "gradcheck/eps-zero",
        lambda: check(mg.sin, X, eps=0),
        ValueError,
        r"eps must be in \(0, 0.1\]",
    ),
    bad("gradcheck/eps-negative", lambda: check(mg.sin, X, eps=-1), ValueError, "eps"),
    bad("gradcheck/eps-huge", lambda: check(mg.sin, X, eps=1e6), ValueError, "eps"),
    bad("gradcheck/eps-nan", lambda: check(mg.sin, X, eps=float("nan")), ValueError, "finite"),
    bad("gradcheck/atol-negative", lambda: check(mg.sin, X, atol=-1), ValueError, "atol"),
    bad("gradcheck/rtol-str", lambda: check(mg.sin, X, rtol="1"), TypeError, "rtol"),
    bad(
        "gradcheck/modes-str",
        lambda: check(mg.sin, X, modes="rev"),
        TypeError,
        "modes must be a non-empty tuple",
    ),
    bad(
        "gradcheck/modes-unknown",
        lambda: check(mg.sin, X, modes=("back",)),
        ValueError,
        "'rev', 'fwd'",
    ),
    bad("gradcheck/no-inputs", lambda: check(lambda: mg.tensor(1.0)), ValueError, "no inputs"),
    bad("gradcheck/empty-input", lambda: check(mg.sin, np.zeros(0)), ValueError, "no elements"),
    bad("gradcheck/int-input", lambda: check(mg.sin, np.array([1, 2])), TypeError, "int64"),
    bad("gradcheck/str-input", lambda: check(mg.sin, "x"), TypeError, "input 0"),
    bad("gradcheck/returns-none", lambda: check(lambda x: None, X), TypeError, "NoneType"),
    bad(
        "gradcheck/int-output",
        lambda: check(lambda x: mg.argmax(x), X),
        TypeError,
        "output 0 has dtype int64",
    ),
    bad("gradcheck/not-callable", lambda: check(3, X), TypeError, "expected a function"),
    bad(
        "gradcheck/raise-str",
        lambda: mg.gradcheck(mg.sin, X, raise_exception="no"),
        TypeError,
        "raise_exception",
    ),
    bad("check/trials-zero", lambda: op().check(trials=0), ValueError, "trials must be at least 1"),
    bad("check/shape-negative", lambda: op().check((-1,)), ValueError, "at least 1"),
    bad("check/shape-float", lambda: op().check((2.5,)), TypeError, "shape 0"),
    bad("check/low-high", lambda: op().check(low=1.0, high=0.0), ValueError, "low < high"),
    good("check/passes", lambda: op().check(), lambda rs: all(rs)),
]


def _in_level(f):
    with mg.dual_level():
        return f()


def _dual_backward():
    x = leaf([1.0, 2.0])
    with mg.dual_level():
        d = mg.make_dual(x, np.ones(2))
        (d * d).sum().backward()
    return x.grad


def _backward(custom):
    custom.apply(leaf(X)).sum().backward()


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_misuse(case):
    run(case)
