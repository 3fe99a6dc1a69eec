"""Static programs: a function traced once into an ordered list of primitive applications in
single-assignment form (seed 004's "compile time" graph), printed like a small language and run
directly on NumPy arrays, without Tensors or a recorded graph.

    program(x: float64[3], w: float64[3]) -> float64[]
      v2: float64[3] = multiply(x, w)
      v3: float64[] = sum(v2)  axis=(0,) keepdims=False
      return v3
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from minigrad.program.run import run
from minigrad.validate import shown


class Var:
    """A value of the program: an input, a constant, or what one instruction computes.

    A constant is *fixed* (a number, or an array the program owns: copied when traced) or
    *borrowed*: a tensor from outside the traced function, whose data a replay reads when it
    runs (so a parameter that an optimiser updates in place is seen updated). Rewrites rely on
    fixed values only; a borrowed one is as opaque to them as an input."""

    __slots__ = ("index", "shape", "dtype", "name", "value", "borrowed")

    def __init__(
        self, index: int, shape, dtype, name: str | None = None, value=None, borrowed=False
    ) -> None:
        self.index, self.shape, self.dtype = index, tuple(shape), np.dtype(dtype)
        self.name = name or f"v{index}"
        self.value = value  # set for constants only (the Tensor itself when borrowed)
        self.borrowed = borrowed

    @property
    def is_constant(self) -> bool:
        """Whether the value is fixed (known when the program is rewritten)."""
        return self.value is not None and not self.borrowed

    def type_text(self) -> str:
        return f"{self.dtype}[{','.join(str(n) for n in self.shape)}]"

    def __repr__(self) -> str:
        return self.name


@dataclass
class Instruction:
    """`out = op(*args)`: `op` a primitive with its parameters (only its forward and rules are
    used), `args` Vars (inputs, constants or earlier outputs); `where` the user's source line
    that created it."""

    op: object
    args: tuple
    out: Var
    where: str | None = None

    def text(self) -> str:
        args = ", ".join(_operand(a) for a in self.args)
        params = " ".join(f"{k}={_param(v)}" for k, v in self.op.params().items())
        line = f"{self.out.name}: {self.out.type_text()} = {self.op.name}({args})"
        return f"{line}  {params}" if params else line


@dataclass
class Program:
    """`inputs` and `outputs` (Vars), `instructions` in evaluation order, `constants` (Vars
    with a value). Call it on arrays of the input signature to run it."""

    inputs: list[Var]
    outputs: list[Var]
    instructions: list[Instruction]
    constants: list[Var] = field(default_factory=list)
    single: bool = True  # the traced function returned one tensor, not a tuple
    examples: list[np.ndarray] = field(default_factory=list, repr=False)  # the traced inputs
    # How the arguments and the result nest (pytrees); None: flat arrays in, as `single` says out.
    in_trees: list | None = field(default=None, repr=False)
    out_tree: object | None = field(default=None, repr=False)
    # What a replay must find to be valid (mg.compile): (var index, conversion, value, line).
    guards: list = field(default_factory=list, repr=False)
    # What `simplify` changed to make this program, one line per change.
    report: list[str] = field(default_factory=list, repr=False)

    def formula(self, output: int = 0, style: str = "text") -> str:
        """A program of scalars as one formula, "text" (Python) or "latex"; shared values are
        written out at every use (see `minigrad/program/expression.py`)."""
        from minigrad.program.expression import formula

        return formula(self, output, style)

    def grad(self, wrt=0, *, with_value: bool = False) -> Program:
        """The gradient program of a scalar program, derived from this one by applying each
        primitive's VJP rule to symbols (examples only fix shapes): outputs d out / d input
        for the inputs `wrt` (an index, a name, or a tuple of them); `with_value` returns the
        output too, first."""
        from minigrad.program.derive import grad

        return grad(self, wrt, with_value=with_value)

    def vjp(self, wrt=None) -> Program:
        """The vector-Jacobian-product program: the inputs, then one cotangent per output
        (named `ct_<output>`); outputs the cotangents of the inputs `wrt` (default: all float
        inputs)."""
        from minigrad.program.derive import vjp

        return vjp(self, wrt)

    def simplify(self, passes=None) -> Program:
        """A new program computing the same values with fewer instructions: the rewrite passes
        of `minigrad/program/passes.py`, each reporting what it changed (`.report`)."""
        from minigrad.program.passes import simplify

        return simplify(self, passes)

    def jvp(self, wrt=None) -> Program:
        """The Jacobian-vector-product program, derived with each primitive's JVP rule: the
        inputs, then one tangent per input of `wrt` (named `t_<input>`); outputs the outputs,
        then their tangents."""
        from minigrad.program.derive import jvp

        return jvp(self, wrt)

    def __str__(self) -> str:
        ins = ", ".join(f"{v.name}: {v.type_text()}" for v in self.inputs)
        outs = ", ".join(v.type_text() for v in self.outputs)
        lines = [f"program({ins}) -> {outs if self.single else '(' + outs + ')'}"]
        lines += [f"  {c.name} = {_constant_text(c)}" for c in self.constants if _big(c)]
        lines += [f"  {i.text()}" for i in self.instructions]
        names = {v.index: v.name for v in (*self.inputs, *self.constants)}
        names.update((i.out.index, i.out.name) for i in self.instructions)
        lines += [
            f"  guard {kind}({names.get(index, index)}) == {value!r}  (at {where})"
            for index, kind, value, where in self.guards
        ]
        lines.append("  return " + ", ".join(_operand(v) for v in self.outputs))
        return "\n".join(lines)

    __repr__ = __str__

    def __len__(self) -> int:
        return len(self.instructions)

    def __call__(self, *args):
        """Run the program on arrays of its input signature (nested as the traced arguments):
        one NumPy call per instruction."""
        arrays = args if self.in_trees is None else self._leaves(args)
        if len(arrays) != len(self.inputs):
            raise TypeError(
                f"program: takes {len(self.inputs)} inputs "
                f"({', '.join(v.name for v in self.inputs)}), got {len(arrays)}"
            )
        checked = [_checked_input(v, a) for v, a in zip(self.inputs, arrays, strict=True)]
        return run(self, checked)

    def _leaves(self, args) -> list:
        from minigrad import pytree

        if len(args) != len(self.in_trees):
            raise TypeError(f"program: takes {len(self.in_trees)} arguments, got {len(args)}")
        leaves = []
        for k, (arg, tree) in enumerate(zip(args, self.in_trees, strict=True)):
            found, got = pytree.flatten(arg, "program")
            if got != tree:
                raise TypeError(
                    f"program: argument {k} is {pytree.describe(arg)}, but the trace had {tree}"
                )
            leaves.extend(found)
        return leaves


def _checked_input(v: Var, a) -> np.ndarray:
    from minigrad.tensor import Tensor

    array = np.asarray(a.data if isinstance(a, Tensor) else a)
    if array.shape != v.shape:
        raise ValueError(
            f"program: input {v.name} has shape {v.shape} in the trace, got {array.shape}; "
            "trace again for other shapes (mg.compile does so by itself)"
        )
    if array.dtype != v.dtype:
        if not np.can_cast(array.dtype, v.dtype, casting="same_kind"):
            raise TypeError(f"program: input {v.name} is {v.dtype} in the trace, got {array.dtype}")
        array = array.astype(v.dtype)
    return array


def _big(c: Var) -> bool:
    return c.borrowed or not _inline(c.value)


def _inline(value) -> bool:
    return np.ndim(value) == 0 or np.size(value) <= 4


def _operand(a) -> str:
    if isinstance(a, Var):
        return _value_text(a.value) if a.is_constant and _inline(a.value) else a.name
    return _value_text(a)


def _constant_text(c: Var) -> str:
    if c.borrowed:
        return f"tensor {c.type_text()} (borrowed: its data is read when the program runs)"
    return _value_text(c.value)


def _value_text(value) -> str:
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()  # (a number, printed as one: 1.0 and 6, not "1." or np.int64(6))
    if isinstance(value, float | np.floating):
        text = f"{value:.6g}"
        return text if any(c in text for c in ".ein") else text + ".0"
    if isinstance(value, np.ndarray):
        if value.size <= 4:
            return np.array2string(value, separator=", ", precision=6)
        return f"array({value.dtype}[{','.join(str(n) for n in value.shape)}])"
    return shown(repr(value), 40)


def _param(value) -> str:
    return shown(repr(value), 40)
