"""What the rewrite passes share: a program rewritten in one walk (`Rewrite`), an instruction
as report lines name it, and which values outputs and guards need."""

from __future__ import annotations

import dataclasses

import numpy as np

from minigrad.program.ir import Instruction, Program, Var, _operand


class Rewrite:
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


def line(ins: Instruction) -> str:
    """`v3 = sum(v2)`: an instruction as a report names it."""
    return f"{ins.out.name} = {ins.op.name}({', '.join(_operand(a) for a in ins.args)})"


def guarded_values(program: Program) -> set[Var]:
    """The values mg.compile checks when a program runs (they must stay instructions)."""
    indices = {g[0] for g in getattr(program, "guards", None) or ()}
    return {ins.out for ins in program.instructions if ins.out.index in indices}


def needed_values(program: Program, values: set[Var]) -> set[Var]:
    """`values` and every value they are computed from."""
    needed = set(values)
    for ins in reversed(program.instructions):
        if ins.out in needed:
            needed.update(ins.args)
    return needed
