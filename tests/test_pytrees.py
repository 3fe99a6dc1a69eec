"""Pytrees (nested tuples, lists, dicts, namedtuples, None) in the transforms and gradcheck:
values against hand-derived derivatives and against the flat-argument form of the same
function, in float64; and every structure mismatch refused by name."""

from __future__ import annotations

import re
from collections import OrderedDict, namedtuple

import numpy as np
import pytest

import minigrad as mg
from minigrad import pytree

RNG = np.random.default_rng(0)
W = RNG.standard_normal(3)
B = np.float64(0.7)
VW = RNG.standard_normal(3)
VB = np.float64(-1.3)
Pair = namedtuple("Pair", "w b")
P = {"w": W, "b": B}


def flat(w, b):
    """f(w, b) = b sum(w^2) + sin(b) sum(w): df/dw = 2 b w + sin b, df/db = sum(w^2) +
    cos(b) sum(w)."""
    return b * (w * w).sum() + mg.sin(b) * w.sum()


def of_dict(params):
    return flat(params["w"], params["b"])


def grad_w(w, b):
    return 2 * b * w + np.sin(b)


def grad_b(w, b):
    return np.sum(w * w) + np.cos(b) * np.sum(w)


def hessian_blocks(w, b):
    """[[d2f/dw2, d2f/dw db], [d2f/db dw, d2f/db2]] by hand."""
    ww = 2 * b * np.eye(w.size)
    wb = 2 * w + np.cos(b)
    bb = -np.sin(b) * np.sum(w)
    return ww, wb, bb


def close(actual, expected):
    data = actual.data if isinstance(actual, mg.Tensor) else actual
    np.testing.assert_allclose(data, expected, rtol=1e-12, atol=1e-14)


# -- the pytree module ---------------------------------------------------------------------
def test_flatten_unflatten_round_trip_and_names():
    tree = {"w": [W, (B, None)], "a": Pair(1.0, np.int64(2)), "e": ()}
    leaves, treedef = pytree.flatten(tree)
    # dict keys sorted, as JAX: 'a' before 'e' before 'w'; None and () hold no leaves
    assert [type(x) for x in leaves] == [float, np.int64, np.ndarray, np.float64]
    assert treedef.paths() == ["['a'].w", "['a'].b", "['w'][0]", "['w'][1][0]"]
    rebuilt = treedef.unflatten(leaves)
    assert rebuilt.keys() == tree.keys() and rebuilt["w"][1][1] is None
    assert type(rebuilt["a"]) is Pair and type(rebuilt["w"]) is list and rebuilt["e"] == ()
    assert str(treedef) == "dict with keys ('a', 'e', 'w')"
    assert repr(treedef) == "TreeDef({'a': Pair(w=*, b=*), 'e': (), 'w': [*, (*, None)]})"
    assert str(pytree.flatten((1, 2))[1]) == "tuple of 2"
    assert str(pytree.flatten([1])[1]) == "list of 1"
    with pytest.raises(ValueError, match="holds 4 leaves, got 3"):
        treedef.unflatten(leaves[:3])


def test_structures_compare_by_containers_keys_and_order():
    def structure(t):
        return pytree.flatten(t)[1]

    assert structure({"w": 1, "b": 2}) == structure({"b": 3.0, "w": W})  # insertion order
    assert hash(structure({"w": 1, "b": 2})) == hash(structure({"b": 3.0, "w": W}))
    assert structure((1, 2)) != structure([1, 2])
    assert structure((1, 2)) != structure(Pair(1, 2))
    assert structure({"a": 1}) != structure({"b": 1})
    assert structure((1, (2,))) != structure((1, 2))
    assert structure(None) != structure(())
    assert pytree.mismatch({"w": [1, 2]}, {"w": (1, 2)}) == ("['w']", "a list of 2", "a tuple of 2")
    assert pytree.mismatch({"w": [1, 2]}, {"w": [3, 4]}) is None


def test_dict_keys_that_do_not_sort_are_refused_by_name():
    with pytest.raises(TypeError, match=r"grad: a dict in a pytree must have keys that sort"):
        mg.grad(lambda p: p[1] * p["b"])({1: B, "b": B})


# -- grad and value_and_grad ---------------------------------------------------------------
def test_grad_of_a_dict_equals_hand_derivation_and_the_flat_form():
    g = mg.grad(of_dict)({"w": W, "b": B})
    assert type(g) is dict and list(g) == ["b", "w"]  # NOTE: sorted keys, as JAX
    close(g["w"], grad_w(W, B))
    close(g["b"], grad_b(W, B))
    gw, gb = mg.grad(flat, argnums=(0, 1))(W, B)
    close(g["w"], gw.data)
    close(g["b"], gb.data)
    value, g2 = mg.value_and_grad(of_dict)({"b": B, "w": W})
    close(value, flat(mg.tensor(W), mg.tensor(B)).data)
    close(g2["w"], grad_w(W, B))


def test_grad_of_tuples_lists_namedtuples_and_three_deep_nesting():
    gt = mg.grad(lambda t: flat(*t))((W, B))
    assert type(gt) is tuple
    gl = mg.grad(lambda t: flat(*t))([W, B])
    assert type(gl) is list
    gn = mg.grad(lambda p: flat(p.w, p.b))(Pair(W, B))
    assert type(gn) is Pair
    deep = {"layers": [({"w": W}, B)]}
    gd = mg.grad(lambda p: flat(p["layers"][0][0]["w"], p["layers"][0][1]))(deep)
    assert type(gd["layers"]) is list and type(gd["layers"][0]) is tuple
    for gw, gb in [gt, gl, (gn.w, gn.b), (gd["layers"][0][0]["w"], gd["layers"][0][1])]:
        close(gw, grad_w(W, B))
        close(gb, grad_b(W, B))


def test_grad_with_several_pytree_argnums_and_has_aux():
    def g(params, x, scale):
        return flat(params["w"] * x, params["b"]) * scale, "aux"

    x = np.float64(2.0)
    (gp, gx), aux = mg.grad(g, argnums=(0, 1), has_aux=True)({"w": W, "b": B}, x, np.float64(3.0))
    assert aux == "aux"
    close(gp["w"], 3 * x * grad_w(x * W, B))
    close(gp["b"], 3 * grad_b(x * W, B))
    close(gx, 3 * np.sum(W * grad_w(x * W, B)))


def test_aliasing_each_leaf_gets_its_own_gradient():
    a = np.array([1.0, 2.0])
    g = mg.grad(lambda t: (t[0] * 2.0 + t[1] * t[1]).sum())((a, a))
    close(g[0], [2.0, 2.0])
    close(g[1], 2 * a)
    gd = mg.grad(lambda p: (p["x"] * 5.0).sum() + (p["y"] ** 3).sum())({"x": a, "y": a})
    close(gd["x"], [5.0, 5.0])
    close(gd["y"], 3 * a**2)
    t = mg.tensor(a)  # the same Tensor object twice
    g2 = mg.grad(lambda p: (p[0] * p[1]).sum())([t, t])
    close(g2[0], a)
    close(g2[1], a)


def test_none_and_empty_containers_hold_no_leaves():
    g = mg.grad(lambda p: (p["w"] ** 2).sum())({"w": W, "frozen": None, "empty": []})
    assert g["frozen"] is None and g["empty"] == [] and list(g) == ["empty", "frozen", "w"]
    close(g["w"], 2 * W)
    assert mg.grad(lambda p: mg.tensor(1.0))({}) == {}
    gt = mg.grad(lambda t: (t[1] ** 2).sum())(((), W))
    assert gt[0] == ()
    close(gt[1], 2 * W)


def test_leaves_of_the_user_that_require_grad_stay_connected():
    w = mg.tensor(W, requires_grad=True)
    g = mg.grad(lambda p: (p["w"] ** 3).sum())({"w": w})["w"]  # 3 w^2, a function of w
    assert g.requires_grad
    g.sum().backward()
    close(w.grad, 6 * W)


def test_nested_transforms_over_pytrees_do_not_confuse_their_variables():
    # d/dx [x * d/dy (x y)|_{y=x}] = 2x, the arguments in dicts
    def h(p):
        inner = mg.grad(lambda q: (p["x"] * q["y"]).sum())({"y": p["x"]})["y"]
        return (p["x"] * inner).sum()

    close(mg.grad(h)({"x": W})["x"], 2 * W)


# -- vjp, jvp, linearize -------------------------------------------------------------------
def test_vjp_with_pytree_primals_and_outputs():
    def f(p):
        return {"y": p["w"] * p["b"], "s": (p["w"] ** 2).sum()}

    out, pullback = mg.vjp(f, {"w": W, "b": B})
    close(out["y"], W * B)
    ct = {"y": VW, "s": np.float64(2.0)}
    (g,) = pullback(ct)
    close(g["w"], VW * B + 2.0 * 2 * W)
    close(g["b"], np.sum(VW * W))
    _, flat_pullback = mg.vjp(lambda w, b: (w * b, (w**2).sum()), W, B)
    gw, gb = flat_pullback((VW, np.float64(2.0)))
    close(g["w"], gw.data)
    close(g["b"], gb.data)


def test_jvp_and_linearize_with_pytree_primals():
    primal = {"w": W, "b": B}
    tangent = {"b": VB, "w": VW}  # insertion order does not matter
    out, t = mg.jvp(of_dict, (primal,), (tangent,))
    close(out, flat(mg.tensor(W), mg.tensor(B)).data)
    expected = np.sum(grad_w(W, B) * VW) + grad_b(W, B) * VB
    close(t, expected)
    _, t_flat = mg.jvp(flat, (W, B), (VW, VB))
    close(t, t_flat.data)
    out, f_jvp = mg.linearize(of_dict, primal)
    close(f_jvp(tangent), expected)
    # a namedtuple output keeps its type
    _, tn = mg.jvp(lambda p: Pair(p.w * 2.0, p.b), (Pair(W, B),), (Pair(VW, VB),))
    assert type(tn) is Pair
    close(tn.w, 2 * VW)


# -- Jacobians and second order ------------------------------------------------------------
def _outputs(p):
    return {"y": p["w"] * p["b"], "s": mg.sin(p["b"])}


@pytest.mark.parametrize("jac", [mg.jacrev, mg.jacfwd], ids=["jacrev", "jacfwd"])
def test_jacobians_nest_output_outside_input_inside(jac):
    j = jac(_outputs)({"w": W, "b": B})
    assert list(j) == ["s", "y"] and list(j["y"]) == ["b", "w"]
    close(j["y"]["w"], B * np.eye(3))
    close(j["y"]["b"], W)
    close(j["s"]["w"], np.zeros(3))
    close(j["s"]["b"], np.cos(B))
    (jy_w, jy_b), (js_w, js_b) = jac(lambda w, b: (w * b, mg.sin(b)), argnums=(0, 1))(W, B)
    for nested, flat_block in [
        (j["y"]["w"], jy_w),
        (j["y"]["b"], jy_b),
        (j["s"]["w"], js_w),
        (j["s"]["b"], js_b),
    ]:
        close(nested, flat_block.data)


@pytest.mark.parametrize("jac", [mg.jacrev, mg.jacfwd], ids=["jacrev", "jacfwd"])
def test_jacobians_with_several_argnums_nest_a_tuple_inside(jac):
    j = jac(lambda p, x: p["w"] * x, argnums=(0, 1))({"w": W}, np.float64(2.0))
    assert type(j) is tuple and list(j[0]) == ["w"]
    close(j[0]["w"], 2.0 * np.eye(3))
    close(j[1], W)


def test_hessian_of_a_function_of_a_dict_nests_twice():
    h = mg.hessian(of_dict)({"w": W, "b": B})
    ww, wb, bb = hessian_blocks(W, B)
    close(h["w"]["w"], ww)
    close(h["w"]["b"], wb)
    close(h["b"]["w"], wb)
    close(h["b"]["b"], bb)
    flat_h = mg.hessian(flat, argnums=(0, 1))(W, B)
    close(h["w"]["b"], flat_h[0][1].data)
    close(h["b"]["w"], flat_h[1][0].data)


def test_hvp_with_tuples_and_dicts():
    ww, wb, bb = hessian_blocks(W, B)
    hv_w = ww @ VW + wb * VB
    hv_b = wb @ VW + bb * VB
    h = mg.hvp(lambda t: flat(*t), (W, B), (VW, VB))
    assert type(h) is tuple
    close(h[0], hv_w)
    close(h[1], hv_b)
    hd = mg.hvp(of_dict, {"w": W, "b": B}, {"w": VW, "b": VB})
    close(hd["w"], hv_w)
    close(hd["b"], hv_b)


def test_every_second_order_nesting_agrees_and_third_order_works():
    h = mg.hessian(of_dict)(P)
    for nesting in (mg.jacrev(mg.grad(of_dict)), mg.jacfwd(mg.jacrev(of_dict))):
        other = nesting(P)
        for a in "wb":
            for b in "wb":
                close(other[a][b], h[a][b].data)
    # d/dp of (H v)_b = sum(2 w + cos b) v_w - sin(b) sum(w) v_b, at v = ones
    ones = {"w": np.ones(3), "b": np.float64(1.0)}
    g = mg.grad(lambda p: mg.hvp(of_dict, p, ones)["b"])(P)
    close(g["w"], (2 - np.sin(B)) * np.ones(3))
    close(g["b"], -3 * np.sin(B) - np.cos(B) * np.sum(W))


def test_hvp_of_a_tuple_is_not_a_row_regression():
    """hvp(f, (x1, x2), (v1, v2)) once returned one array of shape (1, 3), silently."""
    x1, x2 = RNG.standard_normal(3), RNG.standard_normal(3)
    v1, v2 = RNG.standard_normal(3), RNG.standard_normal(3)
    h = mg.hvp(lambda t: (t[0] * t[1]).sum(), (x1, x2), (v1, v2))  # H = [[0, I], [I, 0]]
    assert type(h) is tuple and [x.shape for x in h] == [(3,), (3,)]
    close(h[0], v2)
    close(h[1], v1)


# -- misuse: each mismatch named -----------------------------------------------------------
BAD = [
    (
        "keys",
        lambda: mg.hvp(of_dict, P, {"w": VW, "c": VB}),
        TypeError,
        "hvp: v is a dict with keys ('c', 'w') but x is a dict with keys ('b', 'w'); they must "
        "have the same structure",
    ),
    (
        "tuple-vs-list",
        lambda: mg.hvp(lambda t: flat(*t), (W, B), [VW, VB]),
        TypeError,
        "hvp: v is a list of 2 but x is a tuple of 2",
    ),
    (
        "length",
        lambda: mg.jvp(lambda t: flat(*t), ((W, B),), ((VW,),)),
        TypeError,
        "jvp: tangent 0 is a tuple of 1 but primal 0 is a tuple of 2",
    ),
    (
        "nested-mismatch",
        lambda: mg.jvp(lambda p: p["a"][0]["w"].sum(), ({"a": [{"w": W}]},), ({"a": [[VW]]},)),
        TypeError,
        "jvp: tangents[0]['a'][0] is a list of 1 but primals[0]['a'][0] is a dict with keys ('w',)",
    ),
    (
        "shape",
        lambda: mg.hvp(of_dict, P, {"w": VW[:2], "b": VB}),
        ValueError,
        "hvp: v['w'] has shape (2,) but x['w'] has shape (3,); they must be equal",
    ),
    (
        "dtype",
        lambda: mg.hvp(of_dict, P, {"w": VW.astype(np.float32), "b": VB}),
        TypeError,
        "hvp: v['w'] has dtype float32 but x['w'] has dtype float64; they must be equal",
    ),
    (
        "jvp-dtype",
        lambda: mg.jvp(of_dict, (P,), ({"w": VW, "b": np.float32(1.0)},)),
        TypeError,
        "jvp: tangents[0]['b'] has dtype float32 but primals[0]['b'] has dtype float64",
    ),
    (
        "none-vs-array",
        lambda: mg.hvp(of_dict, {**P, "n": None}, {"w": VW, "b": VB, "n": VB}),
        TypeError,
        "hvp: v['n'] is a NumPy float64 scalar but x['n'] is None",
    ),
    (
        "int-leaf",
        lambda: mg.grad(of_dict)({"w": np.array([1, 2, 3]), "b": B}),
        TypeError,
        "grad: params['w'] has dtype int64; only floating-point arguments can be differentiated",
    ),
    (
        "str-leaf",
        lambda: mg.grad(of_dict)({"w": [W, "abc"], "b": B}),
        TypeError,
        "grad: params['w'][1] is a str; differentiate with respect to Tensors, NumPy arrays or "
        "numbers, alone or in (nested) tuples, lists, dicts and namedtuples",
    ),
    (
        "set-leaf",
        lambda: mg.jacrev(of_dict)({"w": {1.0, 2.0}, "b": B}),
        TypeError,
        "jacrev: params['w'] is a set; differentiate",
    ),
    (
        "object-leaf",
        lambda: mg.jacfwd(lambda t: t[0])((W, object())),
        TypeError,
        "jacfwd: t[1] is an object; differentiate",
    ),
    (
        "ordereddict-leaf",
        lambda: mg.value_and_grad(lambda p: p["w"].sum())(OrderedDict(w=W)),
        TypeError,
        "value_and_grad: argument 0 is an OrderedDict; differentiate",
    ),
    (
        "str-tangent",
        lambda: mg.jvp(of_dict, (P,), ({"w": VW, "b": "x"},)),
        TypeError,
        "jvp: tangents[0]['b'] is a str; give a Tensor, NumPy array or number",
    ),
    (
        "jvp-primal-leaf",
        lambda: mg.jvp(of_dict, ({"w": W, "b": "x"},), ({"w": VW, "b": VB},)),
        TypeError,
        "jvp: primals[0]['b'] is a str",
    ),
    (
        "cotangent-keys",
        lambda: mg.vjp(_outputs, P)[1]({"y": VW}),
        TypeError,
        "vjp: the cotangent is a dict with keys ('y',) but the output is a dict with keys "
        "('s', 'y')",
    ),
    (
        "cotangent-shape",
        lambda: mg.vjp(_outputs, P)[1]({"y": VW[:1], "s": VB}),
        ValueError,
        "vjp: cotangent['y'] has shape (1,) but output['y'] has shape (3,)",
    ),
    (
        "output-leaf",
        lambda: mg.jacrev(lambda p: {"y": p["w"], "n": "text"})(P),
        TypeError,
        "jacrev: the function must return a float Tensor or a tuple, list or dict of them, "
        "but output['n'] is a str",
    ),
    (
        "jvp-output-leaf",
        lambda: mg.jvp(lambda p: [p["w"], 3], (P,), (P,)),
        TypeError,
        "jvp: the function must return a Tensor or a tuple, list or dict of them, but "
        "output[1] is an int",
    ),
]


@pytest.mark.parametrize(("name", "action", "error", "message"), BAD, ids=[b[0] for b in BAD])
def test_structure_mismatches_are_refused_by_name(name, action, error, message):
    with pytest.raises(error, match=re.escape(message)):
        action()


def test_python_numbers_take_the_dtype_of_their_counterpart():
    x = {"w": W, "b": 2.0}  # b becomes float32 (the default dtype); a Python float fits
    hv = mg.hvp(lambda p: (p["w"] ** 2).sum() * p["b"], x, {"w": VW, "b": np.float64(1.0)})
    close(hv["w"], 2 * 2.0 * VW + 2 * W)
    _, t = mg.jvp(of_dict, (P,), ({"w": VW, "b": 1},))
    close(t, np.sum(grad_w(W, B) * VW) + grad_b(W, B))


# -- gradcheck -----------------------------------------------------------------------------
class WrongCube(mg.Function):
    """x**3 with a planted wrong backward (2 x^2 in place of 3 x^2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 2 * x**2

    @staticmethod
    def jvp(ctx, dx):
        (x,) = ctx.saved_tensors
        return dx * 3 * x**2


def test_gradcheck_passes_on_pytrees_and_checks_every_leaf():
    result = mg.gradcheck(of_dict, {"w": W, "b": B})
    assert result and result.inputs == ["params['b']", "params['w']"]
    assert {c.input for c in result.checks if c.mode == "rev"} == {0, 1}
    assert "params['w']" in repr(result)
    assert mg.gradgradcheck(lambda t: flat(*t), (W, B))


def test_gradcheck_fails_on_a_planted_wrong_gradient_and_names_the_leaf():
    def loss(params, x):
        return (WrongCube.apply(params["w"]) * x).sum() + (params["b"] ** 2).sum()

    x = np.array([1.0, 2.0, 3.0])
    with pytest.raises(mg.GradcheckError) as info:
        mg.gradcheck(loss, {"w": W, "b": np.array([0.5])}, x)
    message = str(info.value)
    assert "d(output 0)/d(params['w'])" in message, message
    assert "params['b']" not in message and "input 2" not in message
    result = mg.gradcheck(loss, {"w": W, "b": np.array([0.5])}, x, raise_exception=False)
    failed = {
        result.input_name(c.input) for c in result.checks if not c.passed and c.input is not None
    }
    assert failed == {"params['w']"}
    assert result.culprit is not None and "WrongCube" in str(result.culprit)


def test_gradcheck_of_flat_inputs_reports_as_before():
    result = mg.gradcheck(flat, W, B)
    assert result.inputs is None
    assert "  in" in repr(result).splitlines()[1]
    wrong = mg.gradcheck(lambda x: WrongCube.apply(x).sum(), W, raise_exception=False)
    assert "d(output 0)/d(input 0)" in wrong.message()


def test_gradcheck_refuses_bad_pytree_leaves_by_name():
    with pytest.raises(TypeError, match=r"gradcheck: params\['w'\] has dtype int64"):
        mg.gradcheck(of_dict, {"w": np.array([1, 2]), "b": B})
    with pytest.raises(TypeError, match=r"gradcheck: params\['b'\]: cannot make a tensor"):
        mg.gradcheck(of_dict, {"w": W, "b": "x"})
    with pytest.raises(ValueError, match="gradcheck: no inputs"):
        mg.gradcheck(lambda p: mg.tensor(1.0), {})
