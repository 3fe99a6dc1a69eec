"""Rewrite passes over static programs: each is `pass(program) -> (new program, changes)`, one
walk over the instructions (linear time), never changing the program it is given; `simplify`
runs them to a fixed point. Every change removes at least one instruction, so that ends.

What they may assume: instructions are pure (built-in primitives and NumPy functions; custom
ops are neither merged nor folded, but dead ones are dropped), and constants are taken at their
values when the pass runs (a snapshot, as jax.jit takes closed-over arrays), although a traced
program reads its constant arrays by reference: pass an array that changes (a parameter) as an
input. Which passes keep values bit for bit, NaN and inf included:

- `dead_code`, `common_subexpressions`, `fold_constants`, `noop_shapes`: exactly (a merged
  `add(y, x)` and `add(x, y)` may pick another NaN's payload).
- `identities`: exactly, but for the sign of a zero: -0.0 + 0 is +0.0, and `x + 0 -> x` keeps
  -0.0 (equal as numbers; compilers' no-signed-zeros rule). NOTE: x*0 -> 0 and x-x -> 0 are not
  done: 0 * inf and inf - inf are NaN, so they would turn a NaN into 0.
- `like_terms`: to rounding only: reassociating `3x - x + 2x` as `4x` rounds differently, and
  where the original overflows or meets inf - inf the results differ (inf instead of NaN).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable

import numpy as np

from minigrad.autodiff.graph import Primitive
from minigrad.logic import Undifferentiated
from minigrad.ops.elementwise import Add, AsType, Divide, Multiply, Negative, Power, Subtract
from minigrad.ops.shape import BroadcastTo, Reshape, Transpose
from minigrad.program.ir import Instruction, Program, Var, _operand

MAX_ROUNDS = 10  # of the whole pipeline in `simplify`


class _Rewrite:
    """A program being rewritten in one walk: the instructions kept (arguments renamed),
    what replaces the others, new constants; `result()` numbers the values v0, v1, ..."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.kept: list[Instruction] = []
        self.replaced: dict[Var, Var] = {}
        self.made: dict[Var, tuple] = {}  # out -> (op, args) of what is kept or emitted
        self.new_constants: list[Var] = []
        self.names = {c.name for c in program.constants}
        indices = [v.index for v in (*program.inputs, *program.constants)]
        indices += [ins.out.index for ins in program.instructions]
        self.fresh = 1 + max(indices, default=-1)

    def args(self, ins: Instruction) -> tuple:
        return tuple(self.replaced.get(a, a) for a in ins.args)

    def keep(self, ins: Instruction, args: tuple) -> None:
        self.kept.append(Instruction(ins.op, args, ins.out, ins.where))
        self.made[ins.out] = (ins.op, args)

    def replace(self, ins: Instruction, var: Var) -> None:
        self.replaced[ins.out] = var

    def emit(self, op, args: tuple, like: Var, where: str | None) -> Var:
        out = self._var(like.shape, like.dtype)
        self.kept.append(Instruction(op, args, out, where))
        self.made[out] = (op, args)
        return out

    def constant(self, value) -> Var:
        """A new constant, named c<k> after the program's constants."""
        k = len(self.names)
        while f"c{k}" in self.names:
            k += 1
        self.names.add(f"c{k}")
        array = np.asarray(value)
        var = self._var(array.shape, array.dtype, f"c{k}", value)
        self.new_constants.append(var)
        return var

    def _var(self, shape, dtype, name=None, value=None) -> Var:
        self.fresh += 1
        return Var(self.fresh - 1, shape, dtype, name or "t", value)

    def result(self) -> Program:
        p = self.program
        outputs = [self.replaced.get(v, v) for v in p.outputs]
        used = {a for ins in self.kept for a in ins.args} | set(outputs)
        constants = [c for c in (*p.constants, *self.new_constants) if c in used]
        start = 1 + max((v.index for v in (*p.inputs, *constants)), default=-1)
        renamed: dict[Var, Var] = {}
        instructions = []
        for k, ins in enumerate(self.kept):
            out = renamed[ins.out] = Var(start + k, ins.out.shape, ins.out.dtype, f"v{k}")
            args = tuple(renamed.get(a, a) for a in ins.args)
            instructions.append(Instruction(ins.op, args, out, ins.where))
        new = dataclasses.replace(
            p,
            inputs=list(p.inputs),
            outputs=[renamed.get(v, v) for v in outputs],
            instructions=instructions,
            constants=constants,
        )
        guards = getattr(p, "guards", None)
        if guards is not None:  # (var index, conversion, value, line) of mg.compile
            by_index = {v.index: v for v in (*p.inputs, *p.constants)}
            by_index.update((ins.out.index, ins.out) for ins in p.instructions)
            new.guards = [(self._final(by_index.get(i), renamed, i), *rest) for i, *rest in guards]
        return new

    def _final(self, var: Var | None, renamed: dict, index: int) -> int:
        if var is None:
            return index
        var = self.replaced.get(var, var)
        return renamed.get(var, var).index


def _line(ins: Instruction) -> str:
    """`v3 = sum(v2)`: an instruction as a report names it."""
    return f"{ins.out.name} = {ins.op.name}({', '.join(_operand(a) for a in ins.args)})"


def _guarded(program: Program) -> set[Var]:
    """The values mg.compile checks when a program runs (they must stay instructions)."""
    indices = {g[0] for g in getattr(program, "guards", None) or ()}
    return {ins.out for ins in program.instructions if ins.out.index in indices}


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
    needed = _needed(program, set(program.outputs) | _guarded(program))
    rewrite, changes = _Rewrite(program), []
    for ins in program.instructions:
        if ins.out in needed:
            rewrite.keep(ins, ins.args)
        else:
            changes.append(f"dce: removed {_line(ins)}")
    return rewrite.result(), changes


def _needed(program: Program, values: set[Var]) -> set[Var]:
    """`values` and every value they are computed from."""
    needed = set(values)
    for ins in reversed(program.instructions):
        if ins.out in needed:
            needed.update(ins.args)
    return needed


def common_subexpressions(program: Program) -> tuple[Program, list[str]]:
    """The same pure op (class and parameters; for NumPy functions the same function) on the
    same arguments computes the same value: later copies reuse the first (value numbering).
    Equal small constants count as the same argument; add and multiply commute."""
    rewrite, changes = _Rewrite(program), []
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
            changes.append(f"cse: {_line(ins)} is {first.out.name}")
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
    rewrite, changes = _Rewrite(program), []
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
        changes.append(f"fold: {_line(ins)} -> {c.name} = {shown}")
    return rewrite.result(), changes


# -- algebraic identities and no-op shape changes ----------------------------------------------
def identities(program: Program) -> tuple[Program, list[str]]:
    """x*1, 1*x, x+0, 0+x, x-0, x/1, x**1 and --x are x, where the constant is exactly 1 or 0
    (any array of them) and the result has x's shape and dtype (else the op also broadcasts
    or casts and stays)."""
    rewrite, changes = _Rewrite(program), []
    for ins in program.instructions:
        args = rewrite.args(ins)
        x = _identity(ins.op, args, rewrite.made)
        if x is None or x.shape != ins.out.shape or x.dtype != ins.out.dtype:
            rewrite.keep(ins, args)
            continue
        rewrite.replace(ins, x)
        changes.append(f"identities: {_line(ins)} -> {_operand(x)}")
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
    rewrite, changes = _Rewrite(program), []
    for ins in program.instructions:
        args = rewrite.args(ins)
        if _noop(ins, args[0] if len(args) == 1 else None):
            rewrite.replace(ins, args[0])
            changes.append(f"noop_shapes: {_line(ins)} -> {_operand(args[0])}")
        else:
            rewrite.keep(ins, args)
    return rewrite.result(), changes


def _noop(ins: Instruction, x: Var | None) -> bool:
    if x is None or x.shape != ins.out.shape or x.dtype != ins.out.dtype:
        return False
    if isinstance(ins.op, Transpose):
        return tuple(ins.op.axes) == tuple(range(len(x.shape)))
    return isinstance(ins.op, Reshape | BroadcastTo | AsType)


# -- like terms --------------------------------------------------------------------------------
def like_terms(program: Program) -> tuple[Program, list[str]]:
    """Sums of scaled copies of values, written with add, subtract, negative, and multiplication
    and division by a scalar constant over one float shape and dtype, are collected into one
    coefficient per value and one constant: 3x - x + 2x + 1 -> multiply(x, 4.0), add(., 1.0).
    A tree of such instructions (each inner one used once) is rewritten only when that takes
    fewer instructions. Reassociation changes rounding: the values agree to rounding (see the
    module's docstring)."""
    members = _linear_members(program)
    absorbed = _absorbed(program, members)
    plans: dict[Var, tuple] = {}
    for ins in program.instructions:
        if ins.out in members and ins.out not in absorbed:
            terms, constant, inside = _collect(ins, members, absorbed)
            cost = _cost(terms, constant)
            if len(inside) > cost:
                plans[ins.out] = (terms, constant, inside, cost)
    dropped = {v for plan in plans.values() for v in plan[2]}
    rewrite, changes = _Rewrite(program), []
    for ins in program.instructions:
        if ins.out in plans:
            terms, constant, inside, cost = plans[ins.out]
            terms = [(rewrite.replaced.get(v, v), c) for v, c in terms]
            rewrite.replace(ins, _emit(rewrite, terms, constant, ins))
            formula = _formula(terms, constant)
            changes.append(
                f"like_terms: {_line(ins)} is {formula} ({len(inside)} instructions -> {cost})"
            )
        elif ins.out not in dropped:
            rewrite.keep(ins, rewrite.args(ins))
    return rewrite.result(), changes


def _scalar(v: Var) -> float | None:
    """A finite real scalar constant's value as a Python float, else None."""
    if not v.is_constant:
        return None
    array = np.asarray(v.value)
    if array.size != 1 or array.dtype.kind not in "iuf" or not np.isfinite(array).all():
        return None
    return float(array.reshape(()))


def _linear_members(program: Program) -> dict[Var, Instruction]:
    """Instructions of add, subtract, negative, multiply and divide by a scalar, whose values
    (not constants) have the float result's shape and dtype; not those a value that mg.compile
    guards is computed from (other rounding would fail the guard's exact comparison)."""
    guarded, members = _needed(program, _guarded(program)), {}
    for ins in program.instructions:
        kind, out = type(ins.op), ins.out
        if kind not in (Add, Subtract, Negative, Multiply, Divide) or out.dtype.kind != "f":
            continue
        values = [a for a in ins.args if not a.is_constant]
        if any(v.shape != out.shape or v.dtype != out.dtype for v in values):
            continue
        if any(_scalar(a) is None for a in ins.args if a.is_constant) or not values:
            continue
        if (kind in (Multiply, Divide) and len(values) != 1) or out in guarded:
            continue
        if kind is Divide and (ins.args[0] is not values[0] or _scalar(ins.args[1]) == 0):
            continue  # only x / c with c != 0
        members[out] = ins
    return members


def _absorbed(program: Program, members: dict) -> set[Var]:
    """Members used exactly once, by another member, and not an output: part of its tree."""
    uses: dict[Var, int] = {}
    member_uses: dict[Var, int] = {}
    for v in program.outputs:
        uses[v] = uses.get(v, 0) + 1
    for ins in program.instructions:
        for a in ins.args:
            uses[a] = uses.get(a, 0) + 1
            if ins.out in members:
                member_uses[a] = member_uses.get(a, 0) + 1
    return {v for v in members if uses.get(v) == 1 and member_uses.get(v) == 1}


def _collect(root: Instruction, members: dict, absorbed: set) -> tuple:
    """(terms [(value, coefficient)] in order of first appearance, constant, the tree's
    instruction outputs) of the linear combination computed at `root`."""
    coefficients: dict[Var, float] = {}
    constant, inside = 0.0, []
    stack = [(root.out, 1.0)]
    while stack:
        v, scale = stack.pop()
        ins = members.get(v) if v is root.out or v in absorbed else None
        if ins is None:
            if v.is_constant:
                constant += scale * _scalar(v)
            else:
                coefficients[v] = coefficients.get(v, 0.0) + scale
            continue
        inside.append(v)
        kind, args = type(ins.op), ins.args
        if kind is Add:
            stack += [(args[1], scale), (args[0], scale)]
        elif kind is Subtract:
            stack += [(args[1], -scale), (args[0], scale)]
        elif kind is Negative:
            stack.append((args[0], -scale))
        elif kind is Divide:  # by a scalar constant
            stack.append((args[0], scale / _scalar(args[1])))
        else:  # multiply by a scalar constant
            x, c = (args[0], args[1]) if args[1].is_constant else (args[1], args[0])
            stack.append((x, scale * _scalar(c)))
    terms = sorted(coefficients.items(), key=lambda t: t[1] != 1.0)  # (stable) a plain x first
    return terms, constant, inside


def _cost(terms: list, constant: float) -> int:
    """Instructions `_emit` takes; more than any tree (so never done) if a number overflowed."""
    if not all(math.isfinite(c) for _, c in terms) or not math.isfinite(constant):
        return 1 << 30
    first = 0 if terms[0][1] == 1.0 else 1
    rest = sum(1 if abs(c) == 1.0 else 2 for _, c in terms[1:])
    return first + rest + (constant != 0.0)


def _emit(rewrite: _Rewrite, terms: list, constant: float, root: Instruction) -> Var:
    """Instructions computing sum(c * v) + constant; a zero coefficient stays (0 * inf is NaN)."""

    def emit(op, *args) -> Var:
        return rewrite.emit(op, args, root.out, root.where)

    x, c = terms[0]
    if c == 1.0:
        acc = x
    else:
        acc = emit(Negative(), x) if c == -1.0 else emit(Multiply(), x, rewrite.constant(c))
    for x, c in terms[1:]:
        term = x if abs(c) == 1.0 else emit(Multiply(), x, rewrite.constant(abs(c)))
        acc = emit(Add() if c > 0 else Subtract(), acc, term)
    if constant != 0.0:
        acc = emit(Add() if constant > 0 else Subtract(), acc, rewrite.constant(abs(constant)))
    return acc


def _formula(terms: list, constant: float) -> str:
    """`4*x - y + 1`, as a report shows a linear combination."""
    text = ""
    for v, c in [*terms, (None, constant)] if constant else terms:
        number = f"{abs(c):g}" if v is None else "" if abs(c) == 1.0 else f"{abs(c):g}*"
        sign = "-" if c < 0 else "+" if text else ""
        text += f" {sign} " if text else sign
        text += number + (v.name if v is not None else "")
    return text


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
    rewrite = _Rewrite(program)
    for ins in program.instructions:
        rewrite.keep(ins, ins.args)
    return rewrite.result()


def _pass(p) -> Callable:
    if callable(p):
        return p
    if isinstance(p, str) and p in PASSES:
        return PASSES[p]
    raise ValueError(f"simplify: unknown pass {p!r:.40}; the passes are {', '.join(PASSES)}")
