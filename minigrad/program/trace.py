"""Tracing: a function runs once on symbols (`Traced` tensors); every primitive applied to a
symbol becomes an instruction of a `Program` instead of a recorded node.

A symbol carries an example value (to work out shapes and dtypes, and for the error messages
of the forward), but its `data` has no values: code that reads the values of a traced tensor
outside minigrad's operations (NumPy on `.data`, `float(x)`, `if x > 0:`) raises and names its
line, because a program could not replay it. Tensors and arrays from outside the function are
constants of the program, read by reference when it runs.
"""

from __future__ import annotations

import inspect
import os
import sys
import threading

import numpy as np

from minigrad import pytree
from minigrad.autodiff.mode import TRACING
from minigrad.autodiff.saved import Unsaved
from minigrad.dtypes import as_array
from minigrad.program.ir import Instruction, Program, Var
from minigrad.tensor import _SEQUENCE, Tensor
from minigrad.validate import restated

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_LAB = os.path.join(_PACKAGE, "lab")  # experiments: code of users of the engine


class Abstract(Unsaved):
    """The `data` of a traced tensor: its shape and dtype, no values. Computing with it
    raises (a program could not replay what NumPy does with it outside minigrad's ops)."""

    allowed = frozenset((np.shape, np.ndim, np.size, np.result_type))

    def refusal(self, what: str) -> RuntimeError:
        return _escape(f"{what} on its data")


def _escape(what: str) -> RuntimeError:
    return RuntimeError(
        "a traced function (make_program, mg.compile) uses the values of a traced tensor "
        f"({what}) at "
        f"{user_line()}; a program replays minigrad's operations only, so write this with them "
        "(mg.where instead of `if`, x.sum() instead of np.sum(x.data))"
    )


class GuardFailed(Exception):
    """A replayed program met a value its trace did not (a guard of `mg.compile` failed)."""


class Traced(Tensor):
    """A symbol of a program being traced: `var` names it, `example` is its example value.

    Python conversions (`bool`, `float`, `int`, `.item()`, `.tolist()`) raise, naming the
    line; under `mg.compile` they return the example's value and record a guard instead."""

    __slots__ = ("var", "tracer", "example")

    def _value(self, kind: str, what: str, convert):
        if not self.tracer.guarded:
            raise _escape(what)
        value = convert(self.example)
        self.tracer.guards.append((self.var.index, kind, value, user_line()))
        return value

    def __bool__(self):
        return self._value("bool", "bool(), as in `if x > 0:`", bool)

    def __float__(self):
        return self._value("float", "float()", float)

    def __int__(self):
        return self._value("int", "int()", int)

    def __index__(self):
        return self._value("int", "use as an index", lambda a: a.__index__())

    def item(self):
        return self._value("item", ".item()", lambda a: a.item())

    def tolist(self):
        return self._value("tolist", ".tolist()", lambda a: a.tolist())

    def numpy(self):
        raise _escape(".numpy()")

    def __repr__(self) -> str:
        return f"traced({self.var.name}: {self.var.type_text()})"


class _Stack(threading.local):
    def __init__(self) -> None:
        self.tracers: list[Tracer] = []


STACK = _Stack()


class Tracer:
    """Collects the instructions of one program while a function runs on its symbols."""

    def __init__(self, guarded: bool = False) -> None:
        self.start = next(_SEQUENCE)  # tensors numbered below it were made before the trace
        self.guarded = guarded  # Python conversions of symbols record guards (mg.compile)
        self.guards: list[tuple] = []  # (var index, conversion, value seen, source line)
        self.vars: list[Var] = []
        self.instructions: list[Instruction] = []
        self.constants: list[Var] = []
        self._constants: dict[int, tuple] = {}  # id of a constant object -> (it, its Var)
        self.symbols: dict[int, Traced] = {}  # by var index

    def __enter__(self) -> Tracer:
        STACK.tracers.append(self)
        TRACING.add(threading.get_ident())
        return self

    def __exit__(self, *exc) -> None:
        STACK.tracers.pop()
        if not STACK.tracers:
            TRACING.discard(threading.get_ident())

    def var(self, shape, dtype, name: str | None = None, value=None, borrowed=False) -> Var:
        v = Var(len(self.vars), shape, dtype, name, value, borrowed)
        self.vars.append(v)
        return v

    def input(self, example: np.ndarray, name: str) -> Traced:
        return self.symbol(example, self.var(example.shape, example.dtype, name))

    def symbol(self, example: np.ndarray, var: Var) -> Traced:
        t = object.__new__(Traced)
        blank = np.broadcast_to(np.zeros((), example.dtype), example.shape).view(Abstract)
        t._init(blank, False, None)
        t.var, t.tracer, t.example = var, self, example
        self.symbols[var.index] = t
        return t

    def constant(self, value) -> Var:
        """A constant operand: a Python number (kept weakly typed) or a NumPy array (copied:
        the program owns it, as eager mode copies NumPy operands), or a tensor from outside
        the function (borrowed: a replay reads its data then). Tensors made while tracing
        (from constants only) are owned too."""
        known = self._constants.get(id(value))
        if known is not None and known[0] is value:  # (the object itself is kept: ids stay)
            return known[1]
        borrowed = isinstance(value, Tensor) and value._seq < self.start
        if isinstance(value, Tensor) and not borrowed:
            held = value.data
        elif isinstance(value, np.ndarray):
            held = value.copy()
        else:
            held = value
        array = np.asarray(value.data if borrowed else held)
        v = self.var(
            array.shape,
            array.dtype,
            f"c{len(self.constants)}",
            value if borrowed else held,
            borrowed,
        )
        self.constants.append(v)
        self._constants[id(value)] = (value, v)
        return v

    def operand(self, x) -> tuple[Var, object]:
        """(the Var of operand `x`, its example value)."""
        if type(x) is Traced:
            if x.tracer is not self:
                raise RuntimeError(
                    "make_program: a tensor traced by another (outer) program is used here; "
                    "pass it in as an input of this one"
                )
            return x.var, x.example
        return self.constant(x), x.data if isinstance(x, Tensor) else x

    def apply(self, op, xs) -> Traced:
        """Record `op(*xs)` as an instruction and return the symbol of its result."""
        from minigrad.autodiff.graph import _weak_lists

        pairs = [self.operand(x) for x in xs]
        args = [p[1] for p in pairs]
        lists = [k for k, a in enumerate(args) if isinstance(a, list | tuple)]
        if lists:
            _weak_lists(args, lists)
            for k in lists:  # the converted list is the constant
                pairs[k] = (self.constant(args[k]), args[k])
        try:
            out = np.asarray(op.evaluate(*args))
        except (ValueError, TypeError, IndexError, OverflowError) as err:
            shapes = ", ".join(str(np.shape(a)) for a in args)
            raise restated(err, f"{op.name}: {err}; input shapes {shapes}") from None
        var = self.var(out.shape, out.dtype)
        self.instructions.append(Instruction(op, tuple(p[0] for p in pairs), var, user_line()))
        return self.symbol(out, var)

    def program(self, inputs: list[Traced], outputs: list[Var], single: bool) -> Program:
        """The program from `inputs` to `outputs`; its values are named in order (v0, v1, ...)."""
        for k, ins in enumerate(self.instructions):
            ins.out.name = f"v{k}"
        examples = [x.example for x in inputs]
        program = Program(
            [x.var for x in inputs], outputs, self.instructions, self.constants, single, examples
        )
        program.guards = self.guards
        return program


def current() -> Tracer | None:
    return STACK.tracers[-1] if STACK.tracers else None


def trace_apply(op, xs):
    """If an operand is a symbol of the innermost program being traced, record `op(*xs)` and
    return the result's symbol; else None (the op runs as usual, on values)."""
    tracer = current()
    if tracer is None or not any(type(x) is Traced for x in xs):
        return None
    return tracer.apply(op, xs)


def has_symbols(tree) -> bool:
    """Whether a pytree of arguments holds a symbol of a program being traced."""
    from minigrad import pytree

    try:
        leaves, _ = pytree.flatten(tree, "trace")
    except (TypeError, ValueError):
        return False
    return any(type(x) is Traced for x in leaves)


def user_line() -> str:
    """`file:line` of the innermost caller outside minigrad's engine (minigrad.lab's
    experiments count as callers)."""
    frame = sys._getframe(1)
    while frame is not None:
        name = frame.f_code.co_filename
        if not name.startswith(_PACKAGE) or name.startswith(_LAB):
            break
        frame = frame.f_back
    if frame is None:
        return "<minigrad>"
    return f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno}"


def make_program(f, *, guards: bool = False):
    """`make_program(f)(*examples)`: trace `f` once on symbols shaped like `examples` (arrays,
    tensors or numbers) and return its static `Program`.

    >>> import minigrad as mg, numpy as np
    >>> p = mg.make_program(lambda x: (x * x).sum())(np.ones(3))
    >>> print(p)
    program(x: float64[3]) -> float64[]
      v0: float64[3] = multiply(x, x)
      v1: float64[] = sum(v0)  axis=(0,) keepdims=False
      return v1
    >>> float(p(np.array([1.0, 2.0, 3.0])))
    14.0
    """
    if not callable(f):
        raise TypeError(f"make_program: expected a function, got {type(f).__name__}")

    def traced(*examples) -> Program:
        names = _input_names(f, len(examples))
        trees = [pytree.flatten(e, "make_program") for e in examples]
        tracer = Tracer(guards)
        with tracer:
            xs, args = [], []
            for (leaves, tree), root in zip(trees, names, strict=True):
                paths = tree.paths()
                symbols = [
                    tracer.input(_example(e, root + path), root + path)
                    for e, path in zip(leaves, paths, strict=True)
                ]
                xs.extend(symbols)
                args.append(tree.unflatten(symbols))
            out = f(*args)
        outs, out_tree = pytree.flatten(out, "make_program")
        program = tracer.program(xs, [output(tracer, o, k) for k, o in enumerate(outs)], True)
        program.in_trees = [tree for _, tree in trees]
        program.out_tree = out_tree
        program.single = out_tree.kind is None
        return program

    return traced


def _example(e, name: str) -> np.ndarray:
    """An example input as an array: arrays and tensors as they are, Python numbers as eager
    mode takes them (floats in the default dtype)."""
    if isinstance(e, Tensor | np.ndarray | np.generic):
        array = np.asarray(e.data if isinstance(e, Tensor) else e)
    else:
        try:
            array = as_array(e)
        except (TypeError, ValueError):
            array = np.asarray(e)
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"make_program: example input {name} must be numbers (an array, a tensor or a "
            f"number), got {type(e).__name__} of dtype {array.dtype}"
        )
    return array


def output(tracer: Tracer, o, k: int) -> Var:
    if type(o) is Traced:
        return o.var
    if isinstance(o, Tensor | np.ndarray | int | float):
        return tracer.constant(o)
    raise TypeError(
        f"make_program: the function must return tensors (or a tuple of them), got "
        f"{type(o).__name__} as output {k}"
    )


def _input_names(f, n: int) -> list[str]:
    try:
        params = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        params = []
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(positional) >= n and len(set(positional[:n])) == n:
        return positional[:n]
    return [f"x{k}" for k in range(n)]
