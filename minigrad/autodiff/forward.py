"""Forward mode: dual tensors that carry a tangent through every op, level by level.

`with dual_level():` opens a level (a fresh perturbation tag); `make_dual(x, dx)` pairs a
primal with a tangent at that level; every primitive applied to a dual computes its primal and,
from the primitives' JVP rules, its tangent. Levels nest (forward-over-forward) and never mix:
the rule for level L runs on primals stripped of level L, so a perturbation cannot leak into
another ("perturbation confusion"). An op on duals with an input that requires grad is also
recorded for reverse mode at the duals' level, so a backward pass through it carries tangents:
that is forward-over-reverse (Hessian-vector products).
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from typing import NamedTuple

import numpy as np

from minigrad.autodiff.mode import MODE
from minigrad.tensor import _SEQUENCE, Tensor

_LEVEL_IDS = itertools.count(1)


class _ForwardState(threading.local):
    """The open levels of this thread (levels opened in one thread are not seen in another)."""

    def __init__(self) -> None:
        self.levels: list[int] = []  # active levels, outermost first; ids grow inwards


FORWARD = _ForwardState()
# Levels whose tangents carry a leading batch axis (jacfwd pushes a whole basis through one
# sweep), with its length. Only the outermost open level is ever batched.
BATCHED: dict[int, int] = {}
# The threads that have a level open (set.add and set.discard are atomic): while it is empty
# (almost always), no op needs to look at its thread's levels.
OPEN_LEVELS: set[int] = set()


class Dual(Tensor):
    """A tensor with a tangent at one forward-mode level: `primal + tangent * eps_level`.

    Its `data` is the primal's. The primal may itself be a dual of an outer level, or a
    tensor that reverse mode differentiates; the tangent likewise.
    """

    __slots__ = ("primal", "tangent", "level")
    _is_dual = True

    @staticmethod
    def _wrap(primal: Tensor, tangent: Tensor, level: int) -> Dual:
        d = object.__new__(Dual)
        d.data = primal.data
        d._grad = None
        d.name = primal.name
        d._requires_grad = False
        d._op = None
        d._vc = primal._vc
        d._hooks = None
        d._retains_grad = False
        d._seq = next(_SEQUENCE)
        d.primal, d.tangent, d.level = primal, tangent, level
        return d

    def __repr__(self) -> str:
        return (
            f"dual(primal={np.array2string(self.data, separator=', ')}, "
            f"tangent={np.array2string(self.tangent.data, separator=', ')}, "
            f"level={self.level})"
        )


class DualParts(NamedTuple):
    primal: Tensor
    tangent: Tensor | None


@contextlib.contextmanager
def dual_level():
    """Open a forward-mode level; yields its id. Duals made inside are plain after it closes.

    >>> import minigrad as mg
    >>> with mg.dual_level():
    ...     x = mg.make_dual(mg.tensor(2.0), mg.tensor(1.0))
    ...     y = x * x * x
    ...     mg.unpack_dual(y).tangent          # d(x^3)/dx = 3 x^2
    tensor(12.)
    """
    level = next(_LEVEL_IDS)
    levels = FORWARD.levels
    levels.append(level)
    OPEN_LEVELS.add(threading.get_ident())
    try:
        yield level
    finally:
        levels.remove(level)
        if not levels:
            OPEN_LEVELS.discard(threading.get_ident())


def make_dual(primal, tangent, level: int | None = None) -> Dual:
    """Pair `primal` with `tangent` (same shape) at `level` (default: the innermost open one).

    A primal that requires grad stays connected: a backward pass through the dual reaches it.
    """
    if level is None:
        if not FORWARD.levels:
            raise RuntimeError(
                "make_dual: no forward-mode level is open; use "
                "`with mg.dual_level():` around the computation"
            )
        level = FORWARD.levels[-1]
    elif level not in FORWARD.levels:
        raise RuntimeError(f"make_dual: level {level!r:.20} is not open")
    primal = _open(primal if isinstance(primal, Tensor) else Tensor(primal))
    if primal.data.dtype.kind != "f":
        raise TypeError(
            f"make_dual: only floating-point tensors carry tangents, this one is {primal.dtype}"
        )
    if isinstance(primal, Dual) and primal.level == level:
        raise ValueError(
            f"make_dual: the primal already carries a tangent at level {level}; unpack it "
            "first (mg.unpack_dual(x).primal) to give it a new one"
        )
    if not isinstance(tangent, Tensor):
        tangent = Tensor(np.asarray(tangent, dtype=primal.dtype))
    tangent = _open(tangent)
    batch = BATCHED.get(level)
    if tangent.shape != (primal.shape if batch is None else (batch, *primal.shape)):
        raise ValueError(
            f"make_dual: the tangent has shape {tangent.shape} but the primal has "
            f"shape {primal.shape}; they must be equal"
        )
    if tangent.dtype != primal.dtype:
        tangent = tangent.astype(primal.dtype)
    inner = max((x.level for x in (primal, tangent) if isinstance(x, Dual)), default=0)
    if inner > level:  # keep inner levels outermost: x = (p0 + t0 e) + (p1 + t1 e) e_inner
        p0, p1 = _split(primal, inner)
        t0, t1 = _split(tangent, inner)
        return Dual._wrap(
            make_dual(p0, t0, level),
            make_dual(_or_zeros(p1, p0, inner), _or_zeros(t1, t0, inner), level),
            inner,
        )
    dual = Dual._wrap(primal, tangent, level)
    if primal._requires_grad and MODE.enabled:  # recorded as an identity: backward reaches it
        from minigrad.ops.shape import Reshape

        Reshape(primal.shape)._record([primal], [primal.data], dual)
    return dual


def unpack_dual(x, level: int | None = None) -> DualParts:
    """`(primal, tangent)` of `x` at `level` (default: the innermost open one); the tangent
    is None when `x` carries none there."""
    if level is None:
        if not FORWARD.levels:
            return DualParts(x, None)
        level = FORWARD.levels[-1]
    elif level not in FORWARD.levels:
        raise RuntimeError(f"unpack_dual: level {level!r:.20} is not open")
    return DualParts(*_split(x, level))


def _open(x):
    """`x` without the wrappers of levels that are closed (their tangents are gone)."""
    while isinstance(x, Dual) and x.level not in FORWARD.levels:
        x = x.primal
    return x


def _split(x, level: int):
    """(primal, tangent or None) of `x` at the open `level`. Inner levels wrap outer ones, so
    a dual of an inner level is split in both its parts:
    (p0 + p1 e) + (t0 + t1 e) e_inner = (p0 + t0 e_inner) + (p1 + t1 e_inner) e."""
    x = _open(x)
    if not isinstance(x, Dual) or x.level < level:
        return x, None
    if x.level == level:
        return x.primal, x.tangent
    p0, p1 = _split(x.primal, level)
    t0, t1 = _split(x.tangent, level)
    if p1 is None and t1 is None:
        return x, None
    return Dual._wrap(p0, t0, x.level), Dual._wrap(
        _or_zeros(p1, p0, level), _or_zeros(t1, t0, level), x.level
    )


def _or_zeros(t, like: Tensor, level: int | None = None) -> Tensor:
    """`t`, or zeros shaped as a tangent of `like` at `level` (with its batch axis, if any)."""
    if t is not None:
        return t
    batch = BATCHED.get(level)
    shape = like.shape if batch is None else (batch, *like.shape)
    return Tensor._make(np.zeros(shape, like.dtype), None)


def apply_dual(op, xs):
    """Apply primitive `op` to operands some of which are duals of an open level, or return
    None if none is. The innermost level present is split off: the primal is `op` applied to
    the primals, the tangent the sum of `op.jvp` over the operands that carry one."""
    level = 0
    levels = FORWARD.levels
    for x in xs:
        if type(x) is Dual:
            if x.level not in levels:  # a closed level: only its primal counts
                return op(*[_open(x) for x in xs])
            if x.level > level:
                level = x.level
    if not level:
        return None
    primals, tangents = [], []
    for x in xs:
        split = type(x) is Dual and x.level == level
        primals.append(x.primal if split else x)
        tangents.append(x.tangent if split else None)
    node = op._clone()  # computes the primal (recorded at its own level if needed)
    ans = node(*primals)
    if ans.data.dtype.kind != "f":
        return ans  # integer and bool results carry no tangent
    tangent = _tangent(node, primals, tangents, ans, BATCHED.get(level))
    out = Dual._wrap(ans, tangent, level)
    if MODE.enabled and any(isinstance(x, Tensor) and x._requires_grad for x in xs):
        from minigrad.autodiff.graph import copied_arrays

        args = [x.data if isinstance(x, Tensor) else x for x in xs]
        if not op.linear:
            xs, args = copied_arrays(xs, args)
        op._record(xs, args, out)
    return out


def _tangent(op, primals, tangents, ans: Tensor, batch: int | None = None) -> Tensor:
    """Sum of the JVP rules, on arrays when nothing needs more (the fast path), else on
    Tensors so that outer levels and reverse mode see the rules' own operations. With `batch`,
    tangents carry a leading batch axis of that length (`batched_rule`)."""
    values = [*primals, *(t for t in tangents if t is not None), ans]
    deep = any(type(v) is Dual or (isinstance(v, Tensor) and v._requires_grad) for v in values)
    if deep:
        from minigrad import functional as xp

        args, ans_v = primals, ans
    else:
        xp = np
        args = [p.data if isinstance(p, Tensor) else p for p in primals]
        ans_v = ans.data
    total = None
    for i, dx in enumerate(tangents):
        if dx is None:
            continue
        dx = dx if deep else dx.data
        if batch is None:
            part = op.jvp(xp, i, dx, ans_v, *args)
        else:
            part = batched_rule(op, xp, i, dx, ans_v, args, batch)
        total = part if total is None else total + part
    shape = ans.shape if batch is None else (batch, *ans.shape)
    if total.shape != shape:
        total = xp.broadcast_to(total, shape)
    if total.dtype != ans.dtype:
        total = total.astype(ans.dtype)
    return total if deep else Tensor._make(np.asarray(total), None)


def batched_rule(op, xp, i, dx, ans, args, batch: int):
    """The JVP of input `i` for a batch of tangents `dx` (shape `(batch, *x.shape)`): one call
    of a rule that broadcasts (`Primitive.broadcasts`: elementwise ops, matmul) with `dx`
    aligned to the output's rank, the primitive's own `batched_jvp`, or else one call per
    tangent, stacked."""
    rule = getattr(op, "batched_jvp", None)
    if rule is not None:
        part = rule(xp, i, dx, ans, *args)
        if part is not NotImplemented:  # (it may decline, for the cases below to handle)
            return part
    if op.broadcasts:
        ndim, own = np.ndim(ans), np.ndim(args[i])
        if ndim > own:  # (batch, 1, ..., *x.shape): broadcasting then pairs the right axes
            dx = dx.reshape((batch,) + (1,) * (ndim - own) + tuple(dx.shape[1:]))
        return op.jvp(xp, i, dx, ans, *args)
    shape = np.shape(ans)
    parts = [xp.broadcast_to(op.jvp(xp, i, dx[b], ans, *args), shape) for b in range(batch)]
    return xp.stack(parts)
