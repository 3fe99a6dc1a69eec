"""Differential fuzzing of random programs: short sequences of operations (with reuse,
broadcasting, indexing, reductions and shape ops), run by minigrad and by NumPy on the same
text, checked for values, between modes, and against central differences to second order."""

from __future__ import annotations

import math
from dataclasses import dataclass

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

import minigrad as mg
from minigrad.numerical import central_directional, central_jacobian


# -- two interpreters of one program text --------------------------------------------------
def _np_logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def _np_log_softmax(x, axis=-1):
    return x - _np_logsumexp(x, axis=axis, keepdims=True)


SHARED = (
    "exp log sqrt sin cos tanh abs maximum power where sum mean max var prod reshape transpose "
    "expand_dims squeeze broadcast_to concatenate stack split matmul einsum"
).split()
NUMPY = {name: getattr(np, name) for name in SHARED} | {
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "logsumexp": _np_logsumexp,
    "softmax": lambda x, axis=-1: np.exp(_np_log_softmax(x, axis)),
    "log_softmax": _np_log_softmax,
}
MINIGRAD = {name: getattr(mg, name) for name in NUMPY}


@dataclass(frozen=True)
class Step:
    expr: str  # Python over v0, v1, ... with NumPy's names; split makes several values
    outputs: int = 1


@dataclass(frozen=True)
class Program:
    """Inputs v0.. drawn from `seed` (C-ordered, Fortran-ordered or strided), then one step per
    line; the output is the last value."""

    seed: int
    shapes: tuple[tuple[int, ...], ...]
    layouts: tuple[str, ...]
    steps: tuple[Step, ...] = ()

    @property
    def inputs(self) -> list[np.ndarray]:
        rng = np.random.default_rng(self.seed)
        xs = [rng.uniform(-2, 2, s) for s in self.shapes]
        return [_layout(x, layout) for x, layout in zip(xs, self.layouts, strict=True)]

    def run(self, namespace: dict, xs) -> list:
        """Every value of the program, inputs first."""
        values = list(xs)
        for step in self.steps:
            values.extend(_evaluate(step, namespace, values))
        return values

    def output(self, *xs) -> mg.Tensor:
        """The last value, by minigrad (arrays become constant tensors)."""
        return self.run(MINIGRAD, [x if isinstance(x, mg.Tensor) else mg.Tensor(x) for x in xs])[-1]

    def _repr_pretty_(self, printer, cycle) -> None:  # how hypothesis shows a failing example
        printer.text(repr(self))

    def __repr__(self) -> str:
        names = ", ".join(f"v{k}" for k in range(len(self.shapes)))
        shapes = ", ".join(
            f"{s} {layout}" for s, layout in zip(self.shapes, self.layouts, strict=True)
        )
        lines = [f"{names} = uniform(-2, 2) of shapes {shapes} from default_rng({self.seed})"]
        k = len(self.shapes)
        for step in self.steps:
            lines.append(", ".join(f"v{k + j}" for j in range(step.outputs)) + f" = {step.expr}")
            k += step.outputs
        return "\n".join(lines)


def _layout(x: np.ndarray, layout: str) -> np.ndarray:
    if layout == "F":
        return np.asfortranarray(x) if x.ndim else x  # (asfortranarray makes a 0-d array 1-d)
    if layout == "strided" and x.ndim:
        wide = np.zeros(x.shape[:-1] + (2 * x.shape[-1],))
        wide[..., ::2] = x
        return wide[..., ::2]
    return x


def _evaluate(step: Step, namespace: dict, values: list) -> list:
    scope = {"__builtins__": {}, **namespace} | {f"v{k}": v for k, v in enumerate(values)}
    out = eval(step.expr, scope)
    return list(out) if isinstance(out, list) else [out]


# -- the generator: each step is drawn from the values so far (NumPy's), in safe domains ---
class Skip(Exception):
    """The drawn step does not apply to the values so far (it is left out)."""


def _pick(draw, values, ok=lambda v: True) -> str:
    """The name of an earlier value satisfying `ok`; shrinks towards the latest (a chain)."""
    ks = [k for k in reversed(range(len(values))) if ok(values[k])]
    if not ks:
        raise Skip
    return f"v{ks[draw(st.integers(0, len(ks) - 1))]}"


def _value(name: str, values: list) -> np.ndarray:
    return values[int(name[1:])]


def _broadcasts(a: np.ndarray, b: np.ndarray) -> bool:
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        return False
    return True


POSITIVE = lambda v: v.min() > 0.2
AWAY_FROM_0 = lambda v: np.abs(v).min() > 0.3
UNARY = {
    "exp(tanh({0}))": None,
    "exp({0})": lambda v: v.max() < 2,
    "log({0})": POSITIVE,
    "log(1 + {0} * {0})": None,
    "sqrt({0})": POSITIVE,
    "sin({0})": None,
    "cos({0})": None,
    "tanh({0})": None,
    "sigmoid({0})": None,
    "abs({0})": lambda v: np.abs(v).min() > 0.05,
    "{0} ** 2": None,
    "{0} ** 3": None,
    "{0} ** -1": AWAY_FROM_0,
    "{0} ** 0.5": POSITIVE,
    "{0} ** 1.5": POSITIVE,
    "{0} ** -0.5": POSITIVE,
    "0.5 - 2 * {0}": None,
    "3 / {0}": AWAY_FROM_0,
}
BINARY = {
    "{0} + {1}": None,
    "{0} - {1}": None,
    "{0} * {1}": None,
    "{0} / {1}": lambda a, b: AWAY_FROM_0(b),
    "{0} / (1 + {1} * {1})": None,
    "maximum({0}, {1})": lambda a, b: np.abs(a - b).min() > 0.01,
    "power({0}, {1})": lambda a, b: POSITIVE(a) and np.abs(b).max() < 3,
}
REDUCTIONS = ["sum", "mean", "max", "var", "prod", "logsumexp", "softmax", "log_softmax"]
EINSUM_SPECS = ["ij,jk->ik", "i,i->", "ij->j", "ijk,ik->ij", "bij,bjk->bik", "i,j->ij", "ij,ij->i"]


def _unary(draw, values):
    template, ok = draw(st.sampled_from(list(UNARY.items())))
    a = _pick(draw, values, ok or (lambda v: True))
    return Step(template.format(a))


def _binary(draw, values):
    template, ok = draw(st.sampled_from(list(BINARY.items())))
    a = _pick(draw, values)
    ok = ok or (lambda a, b: True)
    x = _value(a, values)
    b = _pick(draw, values, lambda y: _broadcasts(x, y) and ok(x, y))
    return Step(template.format(a, b))


def _where(draw, values):
    a = _pick(draw, values)
    b = _pick(draw, values, lambda y: _broadcasts(_value(a, values), y))
    shape = np.broadcast_shapes(_value(a, values).shape, _value(b, values).shape)
    cut = draw(st.integers(0, len(shape)))  # the condition may have fewer or more axes
    extra = draw(st.lists(st.integers(1, 2), max_size=1)) if cut == 0 else []
    shape = extra + [n if draw(st.booleans()) else 1 for n in shape[cut:]]
    condition = draw(hnp.arrays(np.bool_, tuple(shape))).tolist()
    return Step(f"where({condition}, {a}, {b})")


def _index(draw, values):
    a = _pick(draw, values, lambda v: v.ndim >= 1)
    shape = _value(a, values).shape
    kind = draw(st.sampled_from(["basic", "array", "mask"]))
    if kind == "basic":
        index = draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
        index = index if isinstance(index, tuple) else (index,)
        return Step(f"{a}[{', '.join(_format_index(k) for k in index) or '()'}]")
    start = draw(st.integers(0, len(shape) - 1))  # the axis of the mask or first integer array
    parts = [draw(st.sampled_from([":", "::-1", "0"])) for _ in range(start)]
    if kind == "mask":
        mask = draw(hnp.arrays(np.bool_, shape[start : draw(st.integers(start + 1, len(shape)))]))
        return Step(f"{a}[{', '.join([*parts, str(mask.tolist())])}]")
    size = draw(st.integers(1, 4))  # integer arrays, with repeats (gradients accumulate)
    parts.append(_ids(draw, shape[start], size))
    for n in shape[start + 1 :]:
        part = draw(st.sampled_from(["", ":", "::-1", "array"]))
        if not part:
            break
        parts.append(_ids(draw, n, draw(st.sampled_from([size, 1]))) if part == "array" else part)
    return Step(f"{a}[{', '.join(parts)}]")


def _ids(draw, n: int, size: int) -> str:
    return str(draw(st.lists(st.integers(-n, n - 1), min_size=size, max_size=size)))


def _format_index(k) -> str:
    if isinstance(k, slice):
        ends = ["" if e is None else str(e) for e in (k.start, k.stop)]
        return ":".join(ends + ([] if k.step is None else [str(k.step)]))
    return "..." if k is Ellipsis else str(k)


def _reduce(draw, values):
    name = draw(st.sampled_from(REDUCTIONS))
    a = _pick(draw, values, lambda v: v.ndim >= 1 or name not in ("softmax", "log_softmax"))
    x = _value(a, values)
    if name in ("softmax", "log_softmax"):
        return Step(f"{name}({a}, axis={draw(st.integers(-x.ndim, x.ndim - 1))})")
    ints = st.integers(-x.ndim, x.ndim - 1) if x.ndim else st.nothing()
    axis = draw(st.none() | ints | hnp.valid_tuple_axes(x.ndim))
    if name == "max" and not _no_ties(x, axis):
        raise Skip
    return Step(f"{name}({a}, axis={axis}, keepdims={draw(st.booleans())})")


def _no_ties(x: np.ndarray, axis) -> bool:
    """The largest and second largest entries of each reduced slice are 0.01 apart."""
    axes = range(x.ndim) if axis is None else (axis,) if isinstance(axis, int) else axis
    axes = [a % x.ndim for a in axes]
    n = math.prod(x.shape[a] for a in axes)
    top = np.sort(np.moveaxis(x, axes, range(len(axes))).reshape(n, -1), axis=0)
    return n < 2 or (top[-1] - top[-2]).min() > 0.01


def _reshape(draw, values):
    a = _pick(draw, values)
    shape = list(_value(a, values).shape)
    kind = draw(st.sampled_from(["reshape", "transpose", "expand_dims", "squeeze", "broadcast"]))
    if kind == "reshape":
        new = (-1,) if draw(st.booleans()) else tuple(draw(st.permutations(shape + [1])))
        return Step(f"reshape({a}, {new})")
    if kind == "transpose":
        return Step(f"transpose({a}, {tuple(draw(st.permutations(range(len(shape)))))})")
    if kind == "expand_dims":
        return Step(f"expand_dims({a}, {draw(st.integers(-len(shape) - 1, len(shape)))})")
    if kind == "squeeze":
        ones = [k for k, n in enumerate(shape) if n == 1]
        if not ones:
            raise Skip
        return Step(f"squeeze({a}, axis={draw(st.sampled_from([None, *ones]))})")
    lead = draw(st.lists(st.integers(1, 3), max_size=1))
    target = tuple(lead + [draw(st.integers(1, 3)) if n == 1 else n for n in shape])
    return Step(f"broadcast_to({a}, {target})")


def _join(draw, values):
    """concatenate, stack or split (which makes several values)."""
    kind = draw(st.sampled_from(["concatenate", "stack", "split"]))
    a = _pick(draw, values, lambda v: v.ndim >= 1 or kind == "stack")
    x = _value(a, values)
    if kind == "split":
        axis = draw(st.integers(-x.ndim, x.ndim - 1))
        n = x.shape[axis]
        if n == 1 or draw(st.booleans()):  # equal sections
            cut = draw(st.sampled_from([d for d in range(1, n + 1) if n % d == 0]))
            return Step(f"split({a}, {cut}, axis={axis})", outputs=cut)
        cut = sorted(draw(st.lists(st.integers(1, n - 1), min_size=1, max_size=2, unique=True)))
        return Step(f"split({a}, {cut}, axis={axis})", outputs=len(cut) + 1)
    if kind == "stack":
        axis = draw(st.integers(-x.ndim - 1, x.ndim))
        same = lambda v: v.shape == x.shape
    else:
        axis = draw(st.integers(-x.ndim, x.ndim - 1))
        others = lambda shape: shape[: axis % x.ndim] + shape[axis % x.ndim + 1 :]
        same = lambda v: v.ndim == x.ndim and others(v.shape) == others(x.shape)
    rest = [_pick(draw, values, same) for _ in range(draw(st.integers(0, 2)))]
    return Step(f"{kind}([{', '.join([a, *rest])}], axis={axis})")


def _contract(draw, values):
    """matmul of a pair (b possibly transposed), or einsum."""
    if draw(st.booleans()):
        a = _pick(draw, values, lambda v: v.ndim >= 1)
        x = _value(a, values)
        swap = lambda v: np.swapaxes(v, -1, -2) if v.ndim >= 2 else v
        transposed = draw(st.booleans())
        b = _pick(draw, values, lambda v: _matmul_ok(x, swap(v) if transposed else v))
        if transposed and _value(b, values).ndim >= 2:
            n = _value(b, values).ndim
            b = f"transpose({b}, {tuple(range(n - 2)) + (n - 1, n - 2)})"
        return Step(f"matmul({a}, {b})")
    spec = draw(st.sampled_from(EINSUM_SPECS))
    operands, sizes = [], {}
    for letters in spec.split("->")[0].split(","):
        name = _pick(draw, values, lambda v, s=letters, d=dict(sizes): _fits(v, s, d))
        sizes |= dict(zip(letters, _value(name, values).shape, strict=True))
        operands.append(name)
    return Step(f"einsum({spec!r}, {', '.join(operands)})")


def _fits(v: np.ndarray, letters: str, sizes: dict) -> bool:
    return v.ndim == len(letters) and all(
        sizes.get(c, n) == n for c, n in zip(letters, v.shape, strict=True)
    )


def _matmul_ok(x: np.ndarray, y: np.ndarray) -> bool:
    if y.ndim == 0 or x.shape[-1] != y.shape[0 if y.ndim == 1 else -2]:
        return False
    try:
        np.broadcast_shapes(x.shape[:-2], y.shape[:-2])
    except ValueError:
        return False
    return True


BUILDERS = [_unary, _unary, _binary, _binary, _where, _index, _reduce, _reshape, _join, _contract]


def _tame(outs) -> bool:
    """Non-empty, finite and moderate: finite differences stay accurate."""
    return all(o.size and np.isfinite(o).all() and np.abs(o).max() < 100 for o in outs)


@st.composite
def programs(draw, min_steps: int = 3, max_steps: int = 10) -> Program:
    n = draw(st.integers(1, 3))
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=n, max_dims=3, max_side=3))
    layouts = draw(st.lists(st.sampled_from(["C", "F", "strided"]), min_size=n, max_size=n))
    program = Program(draw(st.integers(0, 2**32 - 1)), shapes.input_shapes, tuple(layouts))
    values, steps = program.inputs, []
    length = draw(st.integers(min_steps, max_steps))
    for _ in range(3 * length):
        try:
            step = draw(st.sampled_from(BUILDERS))(draw, values)
        except Skip:
            continue
        with np.errstate(all="ignore"):
            outs = _evaluate(step, NUMPY, values)
        if _tame(outs):
            steps.append(step)
            values.extend(outs)
        if len(steps) == length:
            break
    return Program(program.seed, program.shapes, program.layouts, tuple(steps))


# -- the checks: minigrad vs NumPy, mode vs mode, and vs central differences ----------------
def _directions(program: Program, out_shape, salt: int = 1):
    """Fixed random u (one per input) and v (like the output) for this program."""
    rng = np.random.default_rng([program.seed, salt])
    return [rng.standard_normal(x.shape) for x in program.inputs], rng.standard_normal(out_shape)


def _numeric(program: Program):
    """The output as a function of float64 arrays, for finite differences."""
    return lambda *arrays: program.output(*arrays).data


def _close(got, expected, what: str, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    got = got.data if isinstance(got, mg.Tensor) else got
    assert np.shape(got) == np.shape(expected), f"{what}: shape {np.shape(got)}"
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=what)


@settings(max_examples=100)
@given(programs())
def test_forward_values_match_numpy(program):
    expected = program.run(NUMPY, program.inputs)
    tensors = [mg.Tensor(x, requires_grad=True) for x in program.inputs]
    for k, (got, want) in enumerate(zip(program.run(MINIGRAD, tensors), expected, strict=True)):
        assert isinstance(got, mg.Tensor) and got.dtype == want.dtype, f"v{k}: {got!r:.60}"
        _close(got, want, f"v{k}", rtol=1e-11, atol=1e-12)


@settings(max_examples=100)
@given(programs())
def test_adjoint_identity_between_modes(program):
    """<v, J u> by forward mode equals <J^T v, u> by reverse mode, with no eps at all."""
    xs = program.inputs
    out, pullback = mg.vjp(program.output, *xs)
    us, v = _directions(program, out.shape)
    primal, tangent = mg.jvp(program.output, xs, us)
    _close(primal, out.data, "jvp's primal", rtol=1e-13, atol=1e-13)
    cotangents = [g.data for g in pullback(v)]
    forward = np.sum(v * tangent.data)
    reverse = sum(np.sum(g * u) for g, u in zip(cotangents, us, strict=True))
    terms = [v * tangent.data] + [g * u for g, u in zip(cotangents, us, strict=True)]
    scale = sum(np.abs(t).sum() for t in terms)
    assert forward == pytest.approx(reverse, rel=1e-10, abs=1e-10 * max(1.0, scale))


@settings(max_examples=60)
@given(programs())
def test_first_order_matches_central_differences(program):
    """jacrev, jacfwd, vjp, jvp and backward() (accumulating in .grad) vs central differences."""
    xs, argnums = program.inputs, tuple(range(len(program.shapes)))
    jacobians = central_jacobian(_numeric(program), xs)
    out, pullback = mg.vjp(program.output, *xs)
    us, v = _directions(program, out.shape)
    reverse, forward = (
        mg.jacrev(program.output, argnums)(*xs),
        mg.jacfwd(program.output, argnums)(*xs),
    )
    _, tangent = mg.jvp(program.output, xs, us)
    ju = sum(j @ u.reshape(-1) for j, u in zip(jacobians, us, strict=True))
    _close(tangent, ju.reshape(out.shape), "J u")
    leaves = [mg.Tensor(x, requires_grad=True) for x in xs]
    result = program.output(*leaves)
    result.backward(v, retain_graph=True)
    grads = [x.grad for x in leaves]
    for k, (x, jac, g) in enumerate(zip(xs, jacobians, pullback(v), strict=True)):
        _close(reverse[k], jac.reshape(out.shape + x.shape), f"jacrev, v{k}")
        _close(forward[k], jac.reshape(out.shape + x.shape), f"jacfwd, v{k}")
        _close(g, (v.reshape(-1) @ jac).reshape(x.shape), f"J^T v, v{k}")
        _close(np.zeros(x.shape) if grads[k] is None else grads[k], g.data, f".grad, v{k}")
    shared = [g.data for g in grads if g is not None]
    assert not any(np.shares_memory(a, b) for k, a in enumerate(shared) for b in shared[:k])
    result.backward(v)  # accumulates
    for k, (leaf, g) in enumerate(zip(leaves, pullback(v), strict=True)):
        _close(np.zeros(g.shape) if leaf.grad is None else leaf.grad, 2 * g.data, f"2 .grad, v{k}")


@settings(max_examples=40)
@given(programs())
def test_second_order_matches_central_differences(program):
    """H u of s(x) = <w, f(x)>: forward-over-reverse, reverse-over-reverse, reverse-over-forward
    and forward-over-forward agree with each other and with central differences of the gradient;
    so do mg.hvp and mg.hessian in the first input, the others held constant."""
    xs, argnums = program.inputs, tuple(range(len(program.shapes)))
    us, w = _directions(program, program.output(*xs).shape)
    vs, _ = _directions(program, (), salt=2)
    scalar = lambda *a: (program.output(*a) * w).sum()
    gradient = mg.grad(scalar, argnums)
    _, fwd_rev = mg.jvp(gradient, xs, us)
    project = lambda *a: sum((g * u).sum() for g, u in zip(gradient(*a), us, strict=True))
    rev_rev = mg.grad(project, argnums)(*xs)
    rev_fwd = mg.grad(lambda *a: (mg.jvp(program.output, a, us)[1] * w).sum(), argnums)(*xs)
    _, fwd_fwd = mg.jvp(lambda *a: mg.jvp(scalar, a, us)[1], xs, vs)
    for k in argnums:
        numeric = central_directional(lambda *a, k=k: gradient(*a)[k].data, xs, us)
        _close(fwd_rev[k], numeric, f"fwd-rev, v{k}")
        _close(rev_rev[k], fwd_rev[k].data, f"rev-rev, v{k}", rtol=1e-9, atol=1e-9)
        _close(rev_fwd[k], fwd_rev[k].data, f"rev-fwd, v{k}", rtol=1e-9, atol=1e-9)
    fwd_rev_v = sum(np.sum(h.data * v) for h, v in zip(fwd_rev, vs, strict=True))
    assert fwd_fwd.item() == pytest.approx(fwd_rev_v, rel=1e-9, abs=1e-9), "fwd-fwd"
    x0, rest = xs[0], xs[1:]
    hvp = mg.hvp(lambda x: scalar(x, *rest), x0, us[0])
    _close(hvp, central_directional(lambda a: gradient(a, *rest)[0].data, [x0], [us[0]]), "hvp")
    hessian = mg.hessian(lambda x: scalar(x, *rest))(x0).data.reshape(x0.size, x0.size)
    _close(hessian, hessian.T, "hessian symmetric", rtol=1e-9, atol=1e-9)
    _close((hessian @ us[0].reshape(-1)).reshape(x0.shape), hvp.data, "hessian u", 1e-9, 1e-9)
