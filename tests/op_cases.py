"""The table of op cases that drives the op tests: each case is a minigrad function, its NumPy
reference and a hypothesis strategy for inputs in the op's domain (arrays and parameters)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np

import minigrad as mg
from minigrad.ops.shape import ScatterAdd

SMALL = dict(min_dims=0, max_dims=3, min_side=1, max_side=4)


@dataclass(frozen=True)
class Case:
    name: str
    fn: Callable  # (*tensors, **params) -> Tensor
    ref: Callable  # (*arrays, **params) -> array
    inputs: st.SearchStrategy  # -> (list of float64 arrays, params dict)

    def __repr__(self) -> str:
        return self.name


# -- values ----------------------------------------------------------------------------
DOMAINS = {
    "real": lambda rng, s: rng.uniform(-2, 2, s),
    "positive": lambda rng, s: rng.uniform(0.5, 2.5, s),
    "nonzero": lambda rng, s: rng.uniform(0.3, 2, s) * rng.choice([-1, 1], s),
    "above_minus_one": lambda rng, s: rng.uniform(-0.8, 2, s),
    "clip": lambda rng, s: rng.choice([-1.5, -0.25, 0.25, 1.5], s) + rng.uniform(-0.2, 0.2, s),
}


@st.composite
def values(draw, shape, domain="real", salt=0):
    """Generic values (no ties, no kinks) in `domain`; the layout may be C, Fortran or
    strided (non-contiguous). Arrays drawn with different salts differ even for one seed."""
    rng = np.random.default_rng([draw(st.integers(0, 2**32 - 1)), salt])
    layout = draw(st.sampled_from(["C", "F", "strided"]))
    shape = tuple(shape)
    if layout == "strided" and shape:
        big = DOMAINS[domain](rng, shape[:-1] + (2 * shape[-1],))
        return big[..., ::2]
    arr = np.asarray(DOMAINS[domain](rng, shape), dtype=np.float64)
    return np.asfortranarray(arr) if layout == "F" and arr.ndim > 1 else arr


def unary(domain="real", **shape_kw):
    kw = {**SMALL, **shape_kw}
    return st.builds(
        lambda x: ([x], {}), hnp.array_shapes(**kw).flatmap(lambda s: values(s, domain))
    )


@st.composite
def broadcast(draw, *domains, signature=None):
    if signature:
        shapes = draw(
            hnp.mutually_broadcastable_shapes(signature=signature, max_dims=3, max_side=4)
        ).input_shapes
    else:
        shapes = draw(
            hnp.mutually_broadcastable_shapes(num_shapes=len(domains), max_dims=3, max_side=4)
        ).input_shapes
    return [
        draw(values(s, d, salt=k)) for k, (s, d) in enumerate(zip(shapes, domains, strict=True))
    ], {}


@st.composite
def reduction(draw, domain="real", keepdims=True):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    axis = draw(
        st.none()
        | st.integers(-len(shape), len(shape) - 1)
        | hnp.valid_tuple_axes(len(shape), min_size=1)
    )
    params = {"axis": axis}
    if keepdims:
        params["keepdims"] = draw(st.booleans())
    return [draw(values(shape, domain))], params


@st.composite
def where_inputs(draw):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=4))
    c, xs, ys = shapes.input_shapes
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return [draw(values(xs)), draw(values(ys, salt=1))], {"condition": rng.random(c) < 0.5}


@st.composite
def reshaped(draw):
    shape = draw(hnp.array_shapes(**SMALL))
    x = draw(values(shape))
    new = draw(st.permutations(list(shape) + [1])) if shape else (1,)
    return [x], {"shape": tuple(new)}


@st.composite
def permuted(draw):
    shape = draw(hnp.array_shapes(**SMALL))
    return [draw(values(shape))], {"axes": tuple(draw(st.permutations(range(len(shape)))))}


@st.composite
def broadcast_target(draw):
    target = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    keep = draw(st.integers(0, len(target)))
    shape = [1 if draw(st.booleans()) else n for n in target[len(target) - keep :]]
    return [draw(values(shape))], {"shape": target}


@st.composite
def basic_index(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5))
    index = draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
    return [draw(values(shape))], {"index": index}


@st.composite
def array_index(draw):
    """Integer-array indices, with repeats (their gradients must accumulate)."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5))
    index = draw(
        hnp.integer_array_indices(
            shape, result_shape=hnp.array_shapes(min_dims=1, max_dims=2, max_side=6)
        )
    )
    return [draw(values(shape))], {"index": index}


@st.composite
def mask_index(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    k = draw(st.integers(1, len(shape)))
    mask = draw(hnp.arrays(np.bool_, shape[:k]))
    return [draw(values(shape))], {"index": mask}


@st.composite
def pieces(draw, same_shape=False):
    shape = list(draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    arrays = []
    for k in range(draw(st.integers(1, 3))):
        if not same_shape:
            shape[axis] = draw(st.integers(1, 3))
        arrays.append(draw(values(shape, salt=k)))
    return arrays, {"axis": axis}


@st.composite
def sections(draw):
    shape = list(draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6)))
    axis = draw(st.integers(0, len(shape) - 1))
    n = shape[axis]
    if draw(st.booleans()):
        cut = draw(st.sampled_from([d for d in range(1, n + 1) if n % d == 0]))
    else:
        cut = sorted(draw(st.lists(st.integers(0, n), max_size=3)))
    return [draw(values(shape))], {"cut": cut, "axis": axis}


@st.composite
def scatter(draw):
    (x,), params = draw(array_index())
    shape = x.shape
    index = params["index"]
    return [draw(values(np.zeros(shape)[index].shape))], {"index": index, "shape": shape}


EINSUM_SPECS = [
    "ij,jk->ik",
    "i,i->",
    "ij->j",
    "ijk,ik->ij",
    "bij,bjk->bik",
    "i,j->ij",
    "ij->ji",
    "ij,jk,kl->il",
    "ijk",
    "ij,ij->i",
]


@st.composite
def einsum_inputs(draw):
    spec = draw(st.sampled_from(EINSUM_SPECS))
    sizes = {c: draw(st.integers(1, 3)) for c in sorted(set(spec) - set(",->"))}
    operands = spec.split("->")[0].split(",")
    arrays = [draw(values([sizes[c] for c in op], salt=k)) for k, op in enumerate(operands)]
    return arrays, {"subscripts": spec}


@st.composite
def linear_inputs(draw):
    """x (..., in), w (out, in) and, maybe, b (out,)."""
    batch = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3))
    n_in, n_out = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    arrays = [draw(values(batch + (n_in,))), draw(values((n_out, n_in), salt=1))]
    if draw(st.booleans()):
        arrays.append(draw(values((n_out,), salt=2)))
    return arrays, {}


@st.composite
def class_scores(draw):
    """Scores (N, C), labels and a reduction for the cross-entropy."""
    n, c = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    labels = np.asarray(draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    reduction = draw(st.sampled_from(["mean", "sum", "none"]))
    return [draw(values((n, c)))], {"labels": labels, "reduction": reduction}


def _cross_entropy_ref(x, labels, reduction):
    shifted = x - x.max(axis=-1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    losses = -logp[np.arange(len(labels)), labels]
    return {"mean": losses.mean(), "sum": losses.sum(), "none": losses}[reduction]


def _linear_ref(x, w, b=None):
    return x @ w.T if b is None else x @ w.T + b


def _scatter_ref(g, index, shape):
    out = np.zeros(shape)
    np.add.at(out, index, g)
    return out


def _split_ref(x, cut, axis):
    return np.concatenate([p.reshape(-1) * (k + 1) for k, p in enumerate(np.split(x, cut, axis))])


def _split_mg(x, cut, axis):
    return mg.concatenate([p.reshape(-1) * (k + 1) for k, p in enumerate(mg.split(x, cut, axis))])


def _reduces_several(example) -> bool:
    """std'(x) is infinite where the spread is 0, as over a single element."""
    (x,), params = example
    return np.std(x, axis=params["axis"]).min(initial=1) > 0.1


def _prod_ref(x, axis, keepdims):
    return np.prod(x, axis=axis, keepdims=keepdims)


def _sigmoid_ref(x):
    return 1 / (1 + np.exp(-x))


def _logsumexp_ref(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def _log_softmax_ref(x, axis):
    return x - _logsumexp_ref(x, axis, keepdims=True)


def _softmax_ref(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _axis_param(case_fn):
    """A reduction over one axis (softmax-like): the strategy's axis reduced to an int."""
    return lambda x, axis, **_: case_fn(x, axis=axis if isinstance(axis, int) else -1)


CASES = [
    # elementwise, unary
    Case("negative", lambda x: -x, np.negative, unary()),
    Case("exp", mg.exp, np.exp, unary()),
    Case("log", mg.log, np.log, unary("positive")),
    Case("log1p", mg.log1p, np.log1p, unary("above_minus_one")),
    Case("sqrt", mg.sqrt, np.sqrt, unary("positive")),
    Case("sin", mg.sin, np.sin, unary()),
    Case("cos", mg.cos, np.cos, unary()),
    Case("tanh", mg.tanh, np.tanh, unary()),
    Case("sigmoid", mg.sigmoid, _sigmoid_ref, unary()),
    Case("relu", mg.relu, lambda x: np.maximum(x, 0), unary("nonzero")),
    Case("abs", mg.abs, np.abs, unary("nonzero")),
    Case("clip", lambda x: mg.clip(x, -0.5, 0.5), lambda x: np.clip(x, -0.5, 0.5), unary("clip")),
    Case("astype", lambda x: x.astype(np.float64), lambda x: x.astype(np.float64), unary()),
    Case("square", lambda x: x**2, np.square, unary()),
    Case("cube_negative_base", lambda x: x**3, lambda x: x**3, unary("nonzero")),
    Case(
        "scalar_ops",
        lambda x: (2.0 - x) / 3.0 + 1.5 * x - 1 / (x * x + 1),
        lambda x: (2.0 - x) / 3.0 + 1.5 * x - 1 / (x * x + 1),
        unary(),
    ),
    # elementwise, binary with broadcasting
    Case("add", mg.add, np.add, broadcast("real", "real")),
    Case("subtract", mg.subtract, np.subtract, broadcast("real", "real")),
    Case("multiply", mg.multiply, np.multiply, broadcast("real", "real")),
    Case("divide", mg.divide, np.divide, broadcast("real", "nonzero")),
    Case("power", mg.power, np.power, broadcast("positive", "real")),
    Case("maximum", mg.maximum, np.maximum, broadcast("real", "real")),
    Case("minimum", mg.minimum, np.minimum, broadcast("real", "real")),
    Case(
        "where",
        lambda x, y, condition: mg.where(condition, x, y),
        lambda x, y, condition: np.where(condition, x, y),
        where_inputs(),
    ),
    # reductions
    Case("sum", mg.sum, np.sum, reduction()),
    Case("mean", mg.mean, np.mean, reduction()),
    Case("var", mg.var, np.var, reduction()),
    Case("std", mg.std, np.std, reduction().filter(_reduces_several)),
    Case("max", mg.max, np.max, reduction()),
    Case("min", mg.min, np.min, reduction()),
    Case("prod", mg.prod, _prod_ref, reduction()),
    Case("logsumexp", mg.logsumexp, _logsumexp_ref, reduction()),
    Case("softmax", _axis_param(mg.softmax), _axis_param(_softmax_ref), reduction(keepdims=False)),
    Case(
        "log_softmax",
        _axis_param(mg.log_softmax),
        _axis_param(_log_softmax_ref),
        reduction(keepdims=False),
    ),
    # shape
    Case("reshape", mg.reshape, np.reshape, reshaped()),
    Case("flatten", mg.flatten, np.ravel, unary()),
    Case("transpose", mg.transpose, np.transpose, permuted()),
    Case("T", lambda x: x.T, lambda x: x.T, unary()),
    Case(
        "swapaxes",
        lambda x: mg.swapaxes(x, 0, -1),
        lambda x: np.swapaxes(x, 0, -1),
        unary(min_dims=1),
    ),
    Case("broadcast_to", mg.broadcast_to, np.broadcast_to, broadcast_target()),
    Case(
        "expand_dims",
        lambda x: mg.expand_dims(x, 1),
        lambda x: np.expand_dims(x, 1),
        unary(min_dims=1),
    ),
    Case("squeeze", mg.squeeze, np.squeeze, unary(min_side=1, max_side=2)),
    Case("getitem_basic", lambda x, index: x[index], lambda x, index: x[index], basic_index()),
    Case("getitem_array", lambda x, index: x[index], lambda x, index: x[index], array_index()),
    Case("getitem_mask", lambda x, index: x[index], lambda x, index: x[index], mask_index()),
    Case(
        "scatter_add", lambda g, index, shape: ScatterAdd(index, shape)(g), _scatter_ref, scatter()
    ),
    Case(
        "concatenate",
        lambda *xs, axis: mg.concatenate(xs, axis),
        lambda *xs, axis: np.concatenate(xs, axis),
        pieces(),
    ),
    Case(
        "stack",
        lambda *xs, axis: mg.stack(xs, axis),
        lambda *xs, axis: np.stack(xs, axis),
        pieces(same_shape=True),
    ),
    Case("split", _split_mg, _split_ref, sections()),
    # linear algebra
    Case(
        "einsum",
        lambda *xs, subscripts: mg.einsum(subscripts, *xs),
        lambda *xs, subscripts: np.einsum(subscripts, *xs),
        einsum_inputs(),
    ),
    Case("linear", mg.linalg.linear, _linear_ref, linear_inputs()),
    Case(
        "cross_entropy",
        lambda x, labels, reduction: mg.nn.cross_entropy(x, labels, reduction),
        _cross_entropy_ref,
        class_scores(),
    ),
    Case(
        "matmul",
        mg.matmul,
        np.matmul,
        broadcast("real", "real", signature="(n?,k),(k,m?)->(n?,m?)"),
    ),
]
