"""Rewrite passes over static programs: each is `pass(program) -> (new program, changes)`, one
walk over the instructions (linear time), never changing the program it is given; `simplify`
runs them to a fixed point. Every change removes at least one instruction, so that ends.

What they may assume: instructions are pure (built-in primitives and NumPy functions; custom
ops are neither merged nor folded, but dead ones are dropped), and a fixed constant keeps its
value (numbers, and NumPy arrays, which a trace copies); a borrowed tensor, which a replay reads
when it runs, is opaque to them (`Var.is_constant` is false for it). `like_terms` lives in its
own module, the walk they share in `rewrite.py`. Which passes keep values bit for bit, NaN and
inf included:

- `dead_code`, `common_subexpressions`, `fold_constants`, `noop_shapes`: exactly (a merged
  `add(y, x)` and `add(x, y)` may pick another NaN's payload).
- `identities`: exactly, but for the sign of a zero: -0.0 + 0 is +0.0, and `x + 0 -> x` keeps
  -0.0 (equal as numbers; compilers' no-signed-zeros rule). NOTE: x*0 -> 0 and x-x -> 0 are not
  done: 0 * inf and inf - inf are NaN, so they would turn a NaN into 0.
- `like_terms`: to rounding only: reassociating `3x - x + 2x` as `4x` rounds differently, and
  where the original overflows or meets inf - inf the results differ (inf instead of NaN).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from minigrad.autodiff.graph import Primitive
from minigrad.logic import Undifferentiated
from minigrad.ops.elementwise import Add, AsType, Divide, Multiply, Negative, Power, Subtract
from minigrad.ops.shape import BroadcastTo, Reshape, Transpose
from minigrad.program.ir import Instruction, Program, Var, _operand
from minigrad.program.like_terms import like_terms
from minigrad.program.rewrite import Rewrite, guarded_values, line, needed_values

MAX_ROUNDS = 10  # of the whole pipeline in `simplify`


def _pure(op) -> bool:
    """Built-in primitives and NumPy functions; a custom op's forward may do anything."""
    return type(op) in Primitive.registry or isinstance(op, Undifferentiated)


def _constant_equal(v: Var, number: float) -> bool:
    """Whether `v` is a constant of real numbers all exactly equal to `number`."""
    if not v.is_constant:
        return False
    array = np.asarray(v.value)
    return array.dtype.kind in "biuf" and bool(np.all(array == number))


# -- dead code, common subexpressions, constants -----------------------------------------------
def dead_code(program: Program) -> tuple[Program, list[str]]:
    """Drop the instructions whose results no output (and no guard of mg.compile) needs."""
    needed = needed_values(program, set(program.outputs) | guarded_values(program))
    rewrite, changes = Rewrite(program), []
    for ins in program.instructions:
        if ins.out in needed:
            rewrite.keep(ins, ins.args)
        else:
            changes.append(f"dce: removed {line(ins)}")
    return rewrite.result(), changes


def common_subexpressions(program: Program) -> tuple[Program, list[str]]:
    """The same pure op (class and parameters; for NumPy functions the same function) on the
    same arguments computes the same value: later copies reuse the first (value numbering).
    Equal small constants count as the same argument; add and multiply commute."""
    rewrite, changes = Rewrite(program), []
    seen: dict[tuple, list[Instruction]] = {}
    for ins in program.instructions:
        args = rewrite.args(ins)
        if not _pure(ins.op):
            rewrite.keep(ins, args)
            continue
        keys = tuple(_value_key(a) for a in args)
        if type(ins.op) in (Add, Multiply):
            keys = frozenset(keys), len(keys)
        bucket = seen.setdefault((type(ins.op), keys), [])
        first = next((f for f in bucket if _same_op(f, ins)), None)
        if first is None:
            bucket.append(ins)
            rewrite.keep(ins, args)
        else:
            rewrite.replace(ins, first.out)
            changes.append(f"cse: {line(ins)} is {first.out.name}")
    return rewrite.result(), changes


def _value_key(v: Var):
    """Small constants by value (type, dtype and bytes, so 2 and 2.0 differ), the rest by
    identity."""
    if v.is_constant:
        array = np.asarray(v.value)
        if array.dtype.kind in "biufc" and array.size <= 16:
            return type(v.value), array.dtype.str, array.shape, array.tobytes()
    return id(v)


def _same_op(a: Instruction, b: Instruction) -> bool:
    if a.out.shape != b.out.shape or a.out.dtype != b.out.dtype:
        return False
    if isinstance(a.op, Undifferentiated):  # its params() hide the function, compared here
        return a.op.fn is b.op.fn and a.op.label == b.op.label
    return _equal(a.op.params(), b.op.params())


def _equal(a, b) -> bool:
    """Parameters compared safely: arrays by value, containers element by element."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.shape == b.shape and a.dtype == b.dtype and bool(np.array_equal(a, b))
    if isinstance(a, tuple | list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, slice):
        return _equal((a.start, a.stop, a.step), (b.start, b.stop, b.step))
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def fold_constants(program: Program) -> tuple[Program, list[str]]:
    """An instruction of constants becomes a constant: the op's forward on their values, kept
    as an array, so that later instructions promote dtypes as they did (Python numbers stay
    weakly typed inside the forward). Everything is folded, large arrays too (a broadcast then
    stays a view); NumPy's warnings (log(0)) are silenced, as they would come now, not when the
    program runs."""
    rewrite, changes = Rewrite(program), []
    for ins in program.instructions:
        args = rewrite.args(ins)
        value = None
        if _pure(ins.op) and all(a.is_constant for a in args):
            try:
                with np.errstate(all="ignore"):
                    value = np.asarray(ins.op.forward(*[a.value for a in args]))
            except Exception:  # noqa: BLE001 (left for the program to raise when it runs)
                value = None
        if value is None or value.shape != ins.out.shape or value.dtype != ins.out.dtype:
            rewrite.keep(ins, args)
            continue
        c = rewrite.constant(value)
        rewrite.replace(ins, c)
        shown = _operand(c) if c.name != _operand(c) else f"{c.type_text()} array"
        changes.append(f"fold: {line(ins)} -> {c.name} = {shown}")
    return rewrite.result(), changes


# -- algebraic identities and no-op shape changes ----------------------------------------------
def identities(program: Program) -> tuple[Program, list[str]]:
    """x*1, 1*x, x+0, 0+x, x-0, x/1, x**1 and --x are x, where the constant is exactly 1 or 0
    (any array of them) and the result has x's shape and dtype (else the op also broadcasts
    or casts and stays)."""
    rewrite, changes = Rewrite(program), []
    for ins in program.instructions:
        args = rewrite.args(ins)
        x = _identity(ins.op, args, rewrite.made)
        if x is None or x.shape != ins.out.shape or x.dtype != ins.out.dtype:
            rewrite.keep(ins, args)
            continue
        rewrite.replace(ins, x)
        changes.append(f"identities: {line(ins)} -> {_operand(x)}")
    return rewrite.result(), changes


def _identity(op, args: tuple, made: dict) -> Var | None:
    """The argument equal to `op(*args)`, if an identity says so."""
    kind = type(op)
    if kind is Negative:
        inner = made.get(args[0])
        return inner[1][0] if inner is not None and type(inner[0]) is Negative else None
    if kind not in (Multiply, Add, Subtract, Divide, Power):
        return None
    x, y = args
    neutral = 1 if kind in (Multiply, Divide, Power) else 0
    if _constant_equal(y, neutral):
        return x
    if kind in (Multiply, Add) and _constant_equal(x, neutral):
        return y
    return None


def noop_shapes(program: Program) -> tuple[Program, list[str]]:
    """reshape and broadcast_to to the input's own shape, transpose with axes in order,
    astype to the input's own dtype: the input itself."""
    rewrite, changes = Rewrite(program), []
    for ins in program.instructions:
        args = rewrite.args(ins)
        if _noop(ins, args[0] if len(args) == 1 else None):
            rewrite.replace(ins, args[0])
            changes.append(f"noop_shapes: {line(ins)} -> {_operand(args[0])}")
        else:
            rewrite.keep(ins, args)
    return rewrite.result(), changes


def _noop(ins: Instruction, x: Var | None) -> bool:
    if x is None or x.shape != ins.out.shape or x.dtype != ins.out.dtype:
        return False
    if isinstance(ins.op, Transpose):
        return tuple(ins.op.axes) == tuple(range(len(x.shape)))
    return isinstance(ins.op, Reshape | BroadcastTo | AsType)


# -- the pipeline ------------------------------------------------------------------------------
PASSES: dict[str, Callable] = {
    "identities": identities,
    "fold_constants": fold_constants,
    "noop_shapes": noop_shapes,
    "like_terms": like_terms,
    "common_subexpressions": common_subexpressions,
    "dead_code": dead_code,
}


def simplify(program: Program, passes: Iterable | None = None) -> Program:
    """Run `passes` (functions or names of `PASSES`; default all, in that order) again and
    again until none changes anything (at most MAX_ROUNDS times). The result carries
    `.report`: every change, each naming values as in the program that pass was given.

    >>> import minigrad as mg, numpy as np
    >>> p = mg.make_program(lambda x: 3 * x - x + 2 * x + 1)(np.ones(3)).simplify()
    >>> print(p)
    program(x: float64[3]) -> float64[3]
      v0: float64[3] = multiply(x, 4.0)
      v1: float64[3] = add(v0, 1.0)
      return v1
    """
    passes = PASSES.values() if passes is None else [passes] if isinstance(passes, str) else passes
    chosen = [_pass(p) for p in passes]
    current, report = _copy(program), []
    for _ in range(MAX_ROUNDS):
        changed = []
        for one in chosen:
            current, changes = one(current)
            changed += changes
        report += changed
        if not changed:
            break
    current.report = report
    return current


def _copy(program: Program) -> Program:
    rewrite = Rewrite(program)
    for ins in program.instructions:
        rewrite.keep(ins, ins.args)
    return rewrite.result()


def _pass(p) -> Callable:
    if callable(p):
        return p
    if isinstance(p, str) and p in PASSES:
        return PASSES[p]
    raise ValueError(f"simplify: unknown pass {p!r:.40}; the passes are {', '.join(PASSES)}")
