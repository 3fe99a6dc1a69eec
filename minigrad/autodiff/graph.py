"""The recorded graph: `Primitive` (one node per application of an op) and its topological order.

This is the extender's API: a new primitive subclasses `Primitive` and writes its forward, VJP
and JVP rules together (see `minigrad/ops/` and docs/extending.md).
"""

from __future__ import annotations

import numpy as np

from minigrad.autodiff.forward import FORWARD, OPEN_LEVELS, apply_dual
from minigrad.autodiff.mode import MODE, OFF, TRACING
from minigrad.autodiff.saved import SMALL, live, release_unread
from minigrad.dtypes import KINDS, as_array
from minigrad.inplace import IN_PLACE_CHANGES
from minigrad.tensor import Tensor
from minigrad.validate import restated, shape_text

# Operands used as they are: NumPy arrays, and Python scalars (weakly typed, as in NumPy).
_SCALARS = frozenset((float, int, bool))
_PLAIN = (np.ndarray, np.generic)


class Primitive:
    """An op with its own derivative rules; an instance is one node of the recorded graph.

    A subclass sets `name` and defines, in one place:

    - ``forward(self, *args)`` on NumPy arrays (and Python scalars), returning an array;
    - ``vjp(self, xp, i, g, ans, *xs)``: the cotangent of input ``i`` given the output
      cotangent ``g``;
    - ``jvp(self, xp, i, dx, ans, *xs)``: the output tangent caused by the tangent ``dx`` of
      input ``i`` (forward mode sums these over inputs).

    Rules are written once for two worlds: for first-order gradients ``xp`` is ``numpy`` and
    ``g, ans, xs`` are arrays; for higher order ``xp`` is ``minigrad.functional`` and they are
    Tensors, so the rule itself is recorded. Rules therefore use only operators, methods that
    arrays and Tensors share (``sum``, ``reshape``, ``transpose``, ``astype``, ``mT``),
    functions of ``xp`` and other primitives. The engine (not the rule) un-broadcasts the
    result, casts it to the input's dtype and accumulates it.

    Parameters of the op (an axis, a shape, an index) are given to the constructor and stored
    as attributes; they are not inputs.
    """

    __slots__ = ("inputs", "args", "needs", "stamp", "freed", "ans", "large")

    name = "primitive"
    #: The rules read no input or output values (only shapes), so no saved tensor to check.
    linear = False
    #: What the VJP rule of each input reads, by the forward's parameter names and "ans" (the
    #: output): one string for every input ("ans", "x y"), or {input position: string}; the
    #: node keeps those arrays and releases the others (`minigrad/autodiff/saved.py`). None
    #: (the default, for new primitives) keeps everything; `linear` implies "".
    saves: str | dict[int, str] | None = None
    #: The output may share memory with input 0, so it shares its version counter.
    view = False
    #: The JVP rule broadcasts: given tangents with extra leading axes (aligned to the
    #: output's rank), it returns output tangents with them (elementwise ops, matmul). Then a
    #: batch of tangents (jacfwd) goes through in one call; other primitives may define
    #: `batched_jvp(self, xp, i, dx, ans, *xs)` for `dx` of shape (batch, *x.shape), and the
    #: rest are called once per tangent (autodiff/forward.py, `batched_rule`).
    broadcasts = False
    #: The NumPy ufunc the forward is (np.add for add): a replayed program may then write the
    #: result into a dead input's buffer (minigrad/program/run.py).
    ufunc = None

    registry: list[type[Primitive]] = []

    def __init_subclass__(cls, register: bool = True, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if register:  # the op tests require a case for every registered primitive
            Primitive.registry.append(cls)

    def forward(self, *args):
        raise NotImplementedError

    def vjp(self, xp, i, g, ans, *xs):
        raise NotImplementedError(f"{self.name}: no reverse-mode rule")

    def jvp(self, xp, i, dx, ans, *xs):
        raise NotImplementedError(f"{self.name}: no forward-mode rule")

    def __call__(self, *xs):
        """Apply the op. Tensors in, a Tensor out (recorded if needed); plain arrays in,
        a plain array out, which is how rules call other primitives on the fast path."""
        if TRACING:  # symbols of a program being traced: record an instruction instead
            from minigrad.program.trace import trace_apply

            traced = trace_apply(self, xs)
            if traced is not None:
                return traced
        if OPEN_LEVELS and FORWARD.levels:
            dual = apply_dual(self, xs)
            if dual is not None:
                return dual
        args, needs = [], []
        tensors = arrays = large = False
        lists = None
        for i, x in enumerate(xs):
            if isinstance(x, Tensor):
                data = x.data
                args.append(data)
                tensors = True
                if x._requires_grad:
                    needs.append(i)
                if data.size > SMALL:
                    large = True
            elif type(x) in _SCALARS:
                args.append(x)  # Python numbers are weakly typed operands, as in NumPy
            elif isinstance(x, _PLAIN) and x.dtype.kind in KINDS:
                args.append(x)
                arrays = arrays or type(x) is np.ndarray
                large = large or x.size > SMALL
            else:
                args.append(x)
                lists = [i] if lists is None else [*lists, i]
        try:
            if lists is not None:
                _weak_lists(args, lists)
            out = self.forward(*args)
        except (ValueError, TypeError, IndexError, OverflowError) as err:
            raise restated(err, f"{self.name}: {err}; input shapes {_shapes(args)}") from None
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        if not tensors:
            return out
        result = Tensor._make(out, None)
        if needs and (not OFF or MODE.enabled) and out.dtype.kind == "f":
            if arrays and not self.linear:
                xs, args = copied_arrays(xs, args)
            self._record(xs, args, result, needs, large or out.size > SMALL)
        if self.view and isinstance(xs[0], Tensor) and np.may_share_memory(out, args[0]):
            result._vc = xs[0]._vc  # a view: in-place changes to either are changes to both
            result._vc[2] = True  # and `x += y` must not rebind either (minigrad/inplace.py)
        return result

    def _record(self, xs, args, out: Tensor, needs=None, large=True) -> None:
        """Make this op the node that computed `out` from `xs` (arrays `args`); `large` says
        whether any of those arrays holds more than `saved.SMALL` elements."""
        if needs is None:
            needs = [i for i, x in enumerate(xs) if isinstance(x, Tensor) and x._requires_grad]
        if large:  # keep only what the rules read (saved.py)
            self.inputs, self.args = release_unread(self, xs, args, out, needs)
        else:  # small arrays are kept whatever the rules read: cheaper than sorting them out
            self.inputs, self.args, self.ans = xs, args, out.data
        self.large = large
        self.needs = needs
        self.stamp = IN_PLACE_CHANGES[0]
        self.freed = False
        out._op = self
        out._requires_grad = True

    def evaluate(self, *args):
        """The forward on other arrays, leaving this node as it is (for finite differences)."""
        return self._clone().forward(*args)

    def _clone(self) -> Primitive:
        """A new, unrecorded node with the same parameters (forward mode clones every op)."""
        new = object.__new__(type(self))
        for name in _parameter_names(type(self)):
            if hasattr(self, name):
                setattr(new, name, getattr(self, name))
        return new

    def params(self) -> dict:
        """The op's parameters (for display in errors and rendered graphs)."""
        return self._state()

    def _state(self) -> dict:
        """Every attribute of the subclass (its parameters), not the node's graph links."""
        names = _parameter_names(type(self))
        return {n: getattr(self, n) for n in names if hasattr(self, n)}

    def __repr__(self) -> str:
        ps = ", ".join(f"{k}={v!r}" for k, v in self.params().items())
        return f"<{self.name}{' ' + ps if ps else ''}>"


_NAMES: dict[type, tuple[str, ...]] = {}


def _parameter_names(kind: type) -> tuple[str, ...]:
    """The slots of a primitive class that hold its parameters (not the node's graph links),
    worked out once per class."""
    names = _NAMES.get(kind)
    if names is None:
        skip = set(Primitive.__slots__)
        slots = [s for c in kind.__mro__ for s in getattr(c, "__slots__", ())]
        names = _NAMES[kind] = tuple(s for s in slots if s not in skip)
    return names


class OpView:
    """A read-only view of a recorded op, for walking the graph (`Tensor.grad_fn`)."""

    __slots__ = ("_op",)

    def __init__(self, op: Primitive) -> None:
        self._op = op

    @property
    def name(self) -> str:
        return self._op.name

    @property
    def inputs(self) -> tuple:
        """What the op read: tensors (a handle without values where the tensor is no longer
        held and the op did not keep it), and the constants (numbers, arrays) it was given."""
        return tuple(live(x) if isinstance(x, Tensor) else x for x in self._op.inputs)

    @property
    def params(self) -> dict:
        """The op's parameters (an axis, a shape, an index), not its inputs."""
        return self._op.params()

    @property
    def next_functions(self) -> tuple:
        """The ops that computed the inputs (None for leaves and constants), as PyTorch's."""
        return tuple(
            OpView(x._op) if isinstance(x, Tensor) and x._op is not None else None
            for x in self._op.inputs
        )

    def __eq__(self, other) -> bool:
        return isinstance(other, OpView) and other._op is self._op

    def __hash__(self) -> int:
        return hash(id(self._op))

    def __repr__(self) -> str:
        return f"<grad_fn {self._op.name}>"


def copied_arrays(xs, args):
    """A NumPy operand is the user's array, which no version counter watches: a node that reads
    it keeps a copy, so that changing the array later cannot change the node's gradient."""
    xs = tuple(x.copy() if type(x) is np.ndarray else x for x in xs)
    args = [x if type(x) is np.ndarray else a for x, a in zip(xs, args, strict=True)]
    return xs, args


def _weak_lists(args: list, positions: list[int]) -> None:
    """Lists of Python floats are weakly typed, like Python floats: they take the float dtype of
    the arrays they meet (`x64 + [0.1]` stays exact), else the default dtype."""
    kinds = (a.dtype for a in args if isinstance(a, np.ndarray) and a.dtype.kind == "f")
    floats = next(kinds, None)
    for i in positions:
        args[i] = as_array(args[i], floats=floats)


def _shapes(args) -> str:
    return ", ".join(shape_text(a) for a in args)


def toposort(roots, constants: bool = False) -> list[Tensor]:
    """Tensors that require grad (and, with `constants`, every other tensor input too) and are
    reachable from `roots`, inputs before outputs.

    Iterative depth-first search (no recursion, so a 100,000-op chain is fine); the order
    is deterministic because inputs are visited in list order. A tensor appears once, as its
    own handle or a released one (`saved.py`): nodes are told apart by sequence number.
    """
    order: list[Tensor] = []
    seen: set[int] = set()
    stack = [(r, False) for r in reversed(roots)]
    while stack:
        t, done = stack.pop()
        if done:
            order.append(t)
            continue
        if t._seq in seen:
            continue
        seen.add(t._seq)
        stack.append((t, True))
        if t._op is not None:
            for x in reversed(t._op.inputs):
                if isinstance(x, Tensor) and (constants or x._requires_grad) and x._seq not in seen:
                    stack.append((x, False))
    return order
