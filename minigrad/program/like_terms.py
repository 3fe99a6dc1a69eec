"""The like-terms pass: sums of scaled copies of values collected into one coefficient per
value (seed 004's rewrite example, 3x - x + 2x + 1 -> 4x + 1). It reassociates, so values
agree to rounding only (see passes.py)."""

from __future__ import annotations

import math

import numpy as np

from minigrad.ops.elementwise import Add, Divide, Multiply, Negative, Subtract
from minigrad.program.ir import Instruction, Program, Var
from minigrad.program.rewrite import Rewrite, guarded_values, line, needed_values


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
    rewrite, changes = Rewrite(program), []
    for ins in program.instructions:
        if ins.out in plans:
            terms, constant, inside, cost = plans[ins.out]
            terms = [(rewrite.replaced.get(v, v), c) for v, c in terms]
            rewrite.replace(ins, _emit(rewrite, terms, constant, ins))
            formula = _formula(terms, constant)
            changes.append(
                f"like_terms: {line(ins)} is {formula} ({len(inside)} instructions -> {cost})"
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
    guarded, members = needed_values(program, guarded_values(program)), {}
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


def _emit(rewrite: Rewrite, terms: list, constant: float, root: Instruction) -> Var:
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
