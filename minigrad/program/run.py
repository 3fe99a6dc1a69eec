"""Running a program on arrays. Its instructions are turned once into the source of a Python
function, one line per instruction (`v3 = f3(v1, a0)`, `f3` the primitive's forward, constants
bound by name), as torch.fx does: a replay then costs one NumPy call per instruction and
nothing else. An error on a line is restated with the instruction and the user's line that
created it; guards (mg.compile) are checked right after the value they watch."""

from __future__ import annotations

import itertools
import math

import numpy as np

from minigrad.validate import restated

_IDS = itertools.count()


class Replay:
    """The generated function of one program, and which instruction each line runs."""

    __slots__ = ("function", "filename", "lines")

    def __init__(self, program) -> None:
        names = {v.index: f"a{k}" for k, v in enumerate(program.inputs)}
        scope: dict[str, object] = {"_check": _check, "_a": np.asarray}
        for k, c in enumerate(program.constants):
            names[c.index] = f"c{k}.data" if c.borrowed else f"c{k}"  # (borrowed: read now)
            scope[f"c{k}"] = c.value
        guards = _guards(program.guards)
        src = [f"def replay({', '.join(names[v.index] for v in program.inputs)}):"]
        self.lines: dict[int, int] = {}  # source line -> instruction
        for v in program.inputs:
            src.extend(_guard_lines(guards, v.index, names[v.index], scope))
        reuse = reusable_buffers(program)
        for k, ins in enumerate(program.instructions):
            names[ins.out.index] = f"v{k}"
            args = ", ".join(names[a.index] for a in ins.args)
            if k in reuse:  # the ufunc writes into a dead input's buffer: no allocation
                scope[f"f{k}"] = ins.op.ufunc
                src.append(f"    v{k} = f{k}({args}, out={names[reuse[k]]})")
            else:
                scope[f"f{k}"] = ins.op.forward
                src.append(f"    v{k} = f{k}({args})")
            self.lines[len(src)] = k
            src.extend(_guard_lines(guards, ins.out.index, f"v{k}", scope))
        computed = {ins.out.index for ins in program.instructions}
        outputs = iter(  # (arrays as they are; 0-d results, inputs, constants as arrays)
            [
                names[v.index] if v.index in computed and v.shape else f"_a({names[v.index]})"
                for v in program.outputs
            ]
        )
        src.append(f"    return {_nested(_result_tree(program), outputs, scope)}")
        self.filename = f"<minigrad program {next(_IDS)}>"
        exec(compile("\n".join(src), self.filename, "exec"), scope)  # noqa: S102 (our own source)
        self.function = scope["replay"]


# Passing out= costs more than allocating a tiny array: only buffers of at least this many
# elements are reused (bench_compiled.py: the small-MLP step 1.30x -> 1.22x NumPy with reuse
# from 64 elements; reusing 1-element buffers too made the chain 1.08x -> 1.79x per op).
REUSE_FROM = 64


def reusable_buffers(program) -> dict[int, int]:
    """{instruction: var index} where an elementwise ufunc can write its result into the buffer
    of an input that nothing reads afterwards: an array of the result's shape and dtype that
    an earlier minigrad primitive allocated (not a view, not a program input or output, no
    view of it read later)."""
    owner: dict[int, int] = {}  # var index -> the var whose buffer it is (views: their base's)
    last: dict[int, int] = {}  # buffer owner -> last instruction reading it or a view of it
    ends = len(program.instructions)
    for k, ins in enumerate(program.instructions):
        for a in ins.args:
            if a.index in owner:
                last[owner[a.index]] = k
        first = ins.args[0].index if ins.args else None
        if _makes_a_view(ins.op):
            owner[ins.out.index] = owner.get(first, -1)  # (-1: an input's memory, never reused)
        elif _fresh(ins.op) and ins.out.shape:
            owner[ins.out.index] = ins.out.index
    for v in program.outputs:
        if v.index in owner:
            last[owner[v.index]] = ends
    reuse = {}
    for k, ins in enumerate(program.instructions):
        if getattr(ins.op, "ufunc", None) is None:
            continue
        for a in ins.args:
            if (
                owner.get(a.index) == a.index
                and last.get(a.index) == k
                and math.prod(a.shape) >= REUSE_FROM
                and a.shape == ins.out.shape
                and a.dtype == ins.out.dtype
            ):
                reuse[k] = a.index
                last[a.index] = -1  # (its buffer is taken now)
                break
    return reuse


def _makes_a_view(op) -> bool:
    return bool(getattr(op, "view", False)) or not _fresh(op)


def _fresh(op) -> bool:
    """Whether `op` is one of minigrad's primitives, whose forward returns a new array unless
    it is a view (custom ops may return their inputs)."""
    return type(op).__module__.startswith("minigrad.ops.")


def _result_tree(program):
    """How the outputs nest: the traced function's own structure, or a lone value, or a
    tuple (programs derived from other programs)."""
    if program.out_tree is not None:
        return program.out_tree
    from minigrad import pytree

    n = len(program.outputs)
    leaf = pytree.TreeDef(None)
    return leaf if program.single else pytree.TreeDef(tuple, (), (leaf,) * n)


def _nested(tree, leaves, scope: dict) -> str:
    """A Python expression that builds `tree` (a pytree.TreeDef) from the `leaves` names."""
    if tree.kind is None:
        return next(leaves)
    parts = [_nested(c, leaves, scope) for c in tree.children]
    if tree.kind is tuple:
        return f"({', '.join(parts)}{',' if len(parts) == 1 else ''})"
    if tree.kind is list:
        return f"[{', '.join(parts)}]"
    if tree.kind is type(None):
        return "None"
    key = f"t{len(scope)}"
    if tree.kind is dict:
        scope[key] = tree.keys
        return "{" + ", ".join(f"{key}[{k}]: {p}" for k, p in enumerate(parts)) + "}"
    scope[key] = tree.kind  # a namedtuple class
    return f"{key}({', '.join(parts)})"


def replay_of(program) -> Replay:
    replay = program.__dict__.get("_replay")
    if replay is None:
        replay = program.__dict__["_replay"] = Replay(program)
    return replay


def run(program, arrays) -> list:
    """The program's outputs for input arrays (already checked against its signature), nested
    as the traced function returned them."""
    replay = replay_of(program)
    try:
        outs = replay.function(*arrays)
    except Exception as err:
        from minigrad.program.trace import GuardFailed

        if isinstance(err, GuardFailed):
            raise
        k = _failing_instruction(replay, err)
        if k is None:
            raise
        ins = program.instructions[k]
        where = f" (created at {ins.where})" if ins.where else ""
        raise restated(err, f"program: {ins.text()}{where}: {err}") from None
    return outs


def _failing_instruction(replay: Replay, err: Exception) -> int | None:
    tb = err.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == replay.filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return None if line is None else replay.lines.get(line)


_CONVERSIONS = {
    "bool": bool,
    "float": float,
    "int": int,
    "item": lambda a: a.item(),
    "tolist": lambda a: a.tolist(),
}


def _guards(guards) -> dict[int, list]:
    found: dict[int, list] = {}
    for index, kind, value, _ in guards:
        found.setdefault(index, []).append((kind, value))
    return found


def _guard_lines(guards: dict, index: int, name: str, scope: dict) -> list[str]:
    """Lines checking the guards on one value; what they expect goes into `scope`."""
    lines = []
    for kind, value in guards.get(index, ()):
        key = f"g{len(scope)}"
        scope[key] = value
        lines.append(f"    _check({name}, {kind!r}, {key})")
    return lines


def _check(value, kind: str, expected) -> None:
    """Raise GuardFailed where `value` converts to something other than what the trace saw
    (NaN equals NaN here)."""
    from minigrad.program.trace import GuardFailed

    got = _CONVERSIONS[kind](value)
    if got != expected and not (got != got and expected != expected):
        raise GuardFailed(kind, expected, got)
