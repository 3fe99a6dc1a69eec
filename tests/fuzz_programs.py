"""Random programs for the differential fuzz test (tests/test_fuzz.py): short sequences of
operations (with reuse, broadcasting, indexing, reductions and shape ops) as one text that both
NumPy and minigrad run. Each step is drawn knowing NumPy's values so far: safe domains, no ties."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np

import minigrad as mg


# -- one program text, two interpreters ----------------------------------------------------
def _np_logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def _np_log_softmax(x, axis=-1):
    return x - _np_logsumexp(x, axis=axis, keepdims=True)


SHARED = (
    "exp log log1p sqrt sin cos tanh abs clip maximum minimum power where sum mean max min var "
    "std prod reshape transpose swapaxes expand_dims squeeze broadcast_to concatenate stack "
    "split matmul einsum"
).split()
NUMPY = {name: getattr(np, name) for name in SHARED} | {
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "relu": lambda x: np.maximum(x, 0),
    "logsumexp": _np_logsumexp,
    "softmax": lambda x, axis=-1: np.exp(_np_log_softmax(x, axis)),
    "log_softmax": _np_log_softmax,
}
MINIGRAD = {name: getattr(mg, name) for name in NUMPY}


@dataclass(frozen=True)
class Step:
    expr: str  # Python over v0, v1, ... with NumPy's names
    outputs: int = 1  # split makes several values


@dataclass(frozen=True)
class Program:
    """Inputs v0.. drawn from `seed` (C-ordered, Fortran-ordered or strided), one step per line,
    and the values returned: the last one, and maybe one more."""

    seed: int
    scale: int  # the inputs are uniform in [-scale, scale]
    shapes: tuple[tuple[int, ...], ...]
    layouts: tuple[str, ...]
    steps: tuple[Step, ...] = ()
    returns: tuple[int, ...] = (-1,)

    @property
    def inputs(self) -> list[np.ndarray]:
        rng = np.random.default_rng(self.seed)
        xs = [rng.uniform(-self.scale, self.scale, s) for s in self.shapes]
        return [_layout(x, layout) for x, layout in zip(xs, self.layouts, strict=True)]

    def run(self, namespace: dict, xs) -> list:
        """Every value of the program, inputs first."""
        values = list(xs)
        for step in self.steps:
            values.extend(_evaluate(step, namespace, values))
        return values

    def output(self, *xs):
        """The returned values (one Tensor or a tuple) by minigrad; arrays become constants."""
        values = self.run(MINIGRAD, [x if isinstance(x, mg.Tensor) else mg.Tensor(x) for x in xs])
        outs = tuple(values[k] for k in self.returns)
        return outs if len(outs) > 1 else outs[0]

    def flat_output(self, *xs) -> mg.Tensor:
        """The output, or the outputs flattened and concatenated: one Tensor."""
        outs = self.output(*xs)
        return mg.concatenate([o.reshape(-1) for o in outs]) if isinstance(outs, tuple) else outs

    def _repr_pretty_(self, printer, cycle) -> None:  # how hypothesis shows a failing example
        printer.text(repr(self))

    def __repr__(self) -> str:
        names = ", ".join(f"v{k}" for k in range(len(self.shapes)))
        shapes = ", ".join(f"{s} {kind}" for s, kind in zip(self.shapes, self.layouts, strict=True))
        inputs = f"uniform(-{self.scale}, {self.scale}) of shapes {shapes}, seed {self.seed}"
        lines = [f"{names} = {inputs}"]
        k = len(self.shapes)
        for step in self.steps:
            lines.append(", ".join(f"v{k + j}" for j in range(step.outputs)) + f" = {step.expr}")
            k += step.outputs
        return "\n".join([*lines, "return " + ", ".join(f"v{r % k}" for r in self.returns)])


def _evaluate(step: Step, namespace: dict, values: list) -> list:
    out = eval(step.expr, namespace | {f"v{k}": v for k, v in enumerate(values)})
    return out if isinstance(out, list) else [out]


def _layout(x: np.ndarray, layout: str) -> np.ndarray:
    if layout == "F":
        return np.asfortranarray(x) if x.ndim else x  # (asfortranarray makes a 0-d array 1-d)
    if layout == "strided" and x.ndim:
        wide = np.zeros(x.shape[:-1] + (2 * x.shape[-1],))
        wide[..., ::2] = x
        return wide[..., ::2]
    return x


# -- the generator: each step is drawn knowing NumPy's values so far (safe domains, no ties) --
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


def _broadcasts(s: tuple[int, ...], t: tuple[int, ...]) -> bool:
    try:
        np.broadcast_shapes(s, t)
    except ValueError:
        return False
    return True


POSITIVE = lambda x, y=None: np.all(x > 0.2)
AWAY_FROM_0 = lambda x, y=None: np.all(np.abs(x) > 0.3)
APART = lambda x, y: np.all(np.abs(x - y) > 0.01)  # no ties (kinks) of maximum and minimum
SMOOTH = (  # elementwise, of any values; {0} and {1} broadcast
    "exp(tanh({0})); log(1 + {0} * {0}); sin({0}); cos({0}); tanh({0}); sigmoid({0}); -{0}; "
    "{0} ** 0; {0} ** 2; {0} ** 3; 0.5 - 2 * {0}; {0} + {1}; {0} - {1}; {0} * {1}; "
    "{0} / (1 + {1} * {1})"
)
ELEMENTWISE = dict.fromkeys(SMOOTH.split("; ")) | {  # the others, with their domains
    "exp({0})": lambda x: np.all(x < 2),
    "2 ** {0}": lambda x: np.all(x < 4),
    "log1p({0})": lambda x: np.all(x > -0.8),
    "abs({0})": lambda x: np.all(np.abs(x) > 0.05),
    "relu({0})": lambda x: np.all(np.abs(x) > 0.05),
    "clip({0}, -0.5, 0.5)": lambda x: np.all(np.abs(np.abs(x) - 0.5) > 0.05),
    **dict.fromkeys(["log({0})", "sqrt({0})", "{0} ** 0.5", "{0} ** 1.5"], POSITIVE),
    **dict.fromkeys(["{0} ** -0.5", "power({0}, {1})"], POSITIVE),
    **dict.fromkeys(["{0} ** -1", "{0} ** -2", "3 / {0}"], AWAY_FROM_0),
    "{0} / {1}": lambda x, y: AWAY_FROM_0(y),
    **dict.fromkeys(["maximum({0}, {1})", "minimum({0}, {1})"], APART),
    "where({0} > {1}, {0}, {1})": APART,
}
REDUCTIONS = ["sum", "mean", "max", "min", "var", "std", "prod", "logsumexp"]
EINSUM_SPECS = (  # explicit and implicit outputs (`ji` is a transpose)
    "ij,jk->ik i,i-> ij->j ijk,ik->ij bij,bjk->bik i,j->ij ij,ij->i ji ij,jk i,i ij,jk,kl->il ijk->"
).split()


def _elementwise(draw, values):
    template, ok = draw(st.sampled_from(list(ELEMENTWISE.items())))
    ok = ok or (lambda *_: True)
    if "{1}" not in template:
        return Step(template.format(_pick(draw, values, ok)))
    a = _pick(draw, values)
    x = _value(a, values)
    b = _pick(draw, values, lambda y: _broadcasts(x.shape, y.shape) and ok(x, y))
    return Step(template.format(a, b))


def _where(draw, values):
    """where with a fixed condition, which may have fewer or more axes than x and y."""
    a = _pick(draw, values)
    b = _pick(draw, values, lambda y: _broadcasts(_value(a, values).shape, y.shape))
    shape = np.broadcast_shapes(_value(a, values).shape, _value(b, values).shape)
    cut = draw(st.integers(0, len(shape)))
    extra = draw(st.lists(st.integers(1, 2), max_size=1)) if cut == 0 else []
    shape = extra + [n if draw(st.booleans()) else 1 for n in shape[cut:]]
    return Step(f"where({draw(hnp.arrays(np.bool_, tuple(shape))).tolist()}, {a}, {b})")


def _index(draw, values):
    """Basic indices; or a mask, or integer arrays (with repeats) mixed with slices."""
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
    size = draw(st.integers(1, 4))  # of the integer arrays (or 1, broadcasting)
    for k, n in enumerate(shape[start:]):
        part = draw(st.sampled_from(["array", ":", "::-1", ""])) if k else "array"
        if part == "array":
            if not n:
                raise Skip
            length = draw(st.sampled_from([size, 1]))
            part = str(draw(st.lists(st.integers(-n, n - 1), min_size=length, max_size=length)))
        if not part:
            break
        parts.append(part)
    return Step(f"{a}[{', '.join(parts)}]")


def _format_index(k) -> str:
    if isinstance(k, slice):
        ends = ["" if e is None else str(e) for e in (k.start, k.stop)]
        return ":".join(ends + ([] if k.step is None else [str(k.step)]))
    return "..." if k is Ellipsis else str(k)


def _reduce(draw, values):
    """A reduction (as a function or a method) over any axes, or softmax / log_softmax."""
    if draw(st.integers(0, 4)) == 0:
        a = _pick(draw, values, lambda v: v.ndim >= 1)
        ndim = _value(a, values).ndim
        name = draw(st.sampled_from(["softmax", "log_softmax"]))
        return Step(f"{name}({a}, axis={draw(st.integers(-ndim, ndim - 1))})")
    name, a = draw(st.sampled_from(REDUCTIONS)), _pick(draw, values)
    x = _value(a, values)
    ints = st.integers(-x.ndim, x.ndim - 1) if x.ndim else st.nothing()
    axis = draw(st.none() | ints | hnp.valid_tuple_axes(x.ndim))
    if name in ("max", "min", "std") and not _unkinked(name, x, axis):
        raise Skip
    call = f"{a}.{name}(" if name != "logsumexp" and draw(st.booleans()) else f"{name}({a}, "
    return Step(f"{call}axis={axis}, keepdims={draw(st.booleans())})")


def _reduced(x: np.ndarray, axis) -> tuple[list[int], int]:
    """The reduced axes and the number of entries reduced into each result."""
    axes = range(x.ndim) if axis is None else (axis,) if isinstance(axis, int) else axis
    axes = [a % x.ndim for a in axes]
    return axes, math.prod(x.shape[a] for a in axes)


def _unkinked(name: str, x: np.ndarray, axis) -> bool:
    """No ties of max or min (the two extreme entries of each slice are 0.01 apart), and no
    std near 0 (where it has a kink), except over single entries."""
    axes, n = _reduced(x, axis)
    if n < 2 or not x.size:
        return True
    if name == "std":
        return np.all(np.std(x, axis=axis) > 0.1)
    ordered = np.sort(np.moveaxis(x, axes, range(len(axes))).reshape(n, -1), axis=0)
    return np.all(ordered[-1] - ordered[-2] > 0.01) and np.all(ordered[1] - ordered[0] > 0.01)


def _reshape(draw, values):
    a = _pick(draw, values)
    shape = list(_value(a, values).shape)
    ndim = len(shape)
    kind = draw(st.sampled_from(["reshape", "transpose", "swap", "expand", "squeeze", "to"]))
    if kind == "reshape":
        new = (-1,) if draw(st.booleans()) else tuple(draw(st.permutations(shape + [1])))
        return Step(f"{a}.reshape{new}" if draw(st.booleans()) else f"reshape({a}, {new})")
    if kind == "transpose":  # negative axes count from the end
        axes = tuple(k - ndim * draw(st.booleans()) for k in draw(st.permutations(range(ndim))))
        return Step(f"transpose({a}, {axes})" if axes or draw(st.booleans()) else f"{a}.T")
    if kind == "swap" and ndim >= 2:
        return Step(f"{a}.mT" if draw(st.booleans()) else f"swapaxes({a}, 0, -1)")
    if kind == "expand":
        axes = draw(st.lists(st.integers(0, ndim + 1), min_size=1, max_size=2, unique=True))
        if max(axes) >= ndim + len(axes):
            raise Skip
        return Step(f"expand_dims({a}, {axes[0] if len(axes) == 1 else tuple(axes)})")
    ones = [k for k, n in enumerate(shape) if n == 1]
    if kind == "squeeze" and ones:
        return Step(f"squeeze({a}, axis={draw(st.sampled_from([None, *ones]))})")
    lead = draw(st.lists(st.integers(1, 3), max_size=1))
    target = tuple(lead + [draw(st.integers(1, 3)) if n == 1 else n for n in shape])
    return Step(f"broadcast_to({a}, {target})")


def _join(draw, values):
    """concatenate or stack values (the same one several times too), or split one."""
    kind = draw(st.sampled_from(["concatenate", "stack", "split"]))
    a = _pick(draw, values, lambda v: v.ndim >= 1 or kind == "stack")
    x = _value(a, values)
    new = kind == "stack"  # stack makes a new axis
    axis = draw(st.integers(-x.ndim - new, x.ndim - 1 + new))
    if kind == "split":
        n = x.shape[axis]
        if draw(st.booleans()):  # equal sections
            cut = draw(st.sampled_from([d for d in range(1, n + 1) if n % d == 0] or [1]))
            return Step(f"split({a}, {cut}, axis={axis})", outputs=cut)
        cut = sorted(draw(st.lists(st.integers(0, n), min_size=1, max_size=2)))  # maybe empty
        return Step(f"split({a}, {cut}, axis={axis})", outputs=len(cut) + 1)
    others = lambda v: v.shape[: axis % x.ndim] + v.shape[axis % x.ndim + 1 :]
    if kind == "stack":
        same = lambda v: v.shape == x.shape
    else:
        same = lambda v: v.ndim == x.ndim and others(v) == others(x)
    rest = [_pick(draw, values, same) for _ in range(draw(st.integers(0, 2)))]
    return Step(f"{kind}([{', '.join([a, *rest])}], axis={axis})")


def _contract(draw, values):
    """matmul of two values (the second maybe transposed), or einsum."""
    if draw(st.booleans()):
        a = _pick(draw, values, lambda v: v.ndim >= 1)
        x, swap = _value(a, values), draw(st.booleans())
        ok = lambda y: (y.ndim >= 2 or not swap) and _matmul_ok(x, y.mT if swap else y)
        b = _pick(draw, values, ok)
        b = f"{b}.mT" if swap else b
        return Step(f"{a} @ {b}" if draw(st.booleans()) else f"matmul({a}, {b})")
    spec, operands, sizes = draw(st.sampled_from(EINSUM_SPECS)), [], {}
    for letters in spec.split("->")[0].split(","):
        name = _pick(draw, values, lambda v, s=letters, d=dict(sizes): _einsum_ok(v, s, d))
        sizes |= dict(zip(letters, _value(name, values).shape, strict=True))
        operands.append(name)
    return Step(f"einsum({spec!r}, {', '.join(operands)})")


def _einsum_ok(v: np.ndarray, letters: str, sizes: dict) -> bool:
    return v.ndim == len(letters) and all(
        sizes.get(c, n) == n for c, n in zip(letters, v.shape, strict=True)
    )


def _matmul_ok(x: np.ndarray, y: np.ndarray) -> bool:
    if y.ndim == 0 or x.shape[-1] != y.shape[0 if y.ndim == 1 else -2]:
        return False
    return _broadcasts(x.shape[:-2], y.shape[:-2])


BUILDERS = [_elementwise] * 4 + [_where, _index, _reduce, _reshape, _join, _contract]


@st.composite
def programs(draw, min_steps: int = 3, max_steps: int = 10) -> Program:
    n = draw(st.integers(1, 3))
    base = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    shapes = []  # broadcastable: suffixes of `base` with some sides 1
    for _ in range(n):
        suffix = base[draw(st.integers(0, len(base))) :]
        shapes.append(tuple(1 if draw(st.booleans()) else m for m in suffix))
    layouts = draw(st.lists(st.sampled_from(["C", "F", "strided"]), min_size=n, max_size=n))
    seed, scale = draw(st.integers(0, 2**32 - 1)), draw(st.sampled_from([2, 20]))
    values, steps = Program(seed, scale, tuple(shapes), tuple(layouts)).inputs, []
    length = draw(st.integers(min_steps, max_steps))
    for _ in range(3 * length):
        try:
            step = draw(st.sampled_from(BUILDERS))(draw, values)
        except Skip:
            continue
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings(action="ignore"):
                outs = _evaluate(step, NUMPY, values)
        except (ValueError, IndexError):  # NumPy refuses it (such as the max of nothing)
            continue
        if all(np.all(np.abs(o) < 100) for o in outs):
            steps.append(step)  # finite and moderate: finite differences stay accurate
            values.extend(outs)
        if len(steps) == length:
            break
    more = draw(st.lists(st.integers(0, len(values) - 2), max_size=1)) if len(values) > 1 else []
    return Program(seed, scale, tuple(shapes), tuple(layouts), tuple(steps), (-1, *more))
