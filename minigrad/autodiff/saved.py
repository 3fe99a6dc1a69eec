"""What a recorded node keeps for backward, and what it lets go.

A node's VJP rules read some of its inputs and perhaps its output, and only shapes of the rest.
Each primitive declares what its rules read (`Primitive.saves`, next to the rules); a node
keeps those arrays and, in place of every other computed input, a *released* handle: a tensor
with the input's place in the graph (op, sequence number, version counter, name, shape, dtype)
but no values. So a chain of `x * 2 + 1` keeps no intermediate values alive, as in PyTorch.

After a backward pass without `retain_graph`, each node lets go of its large arrays as soon as
the sweep has used it (`free`): what stays is what drawing a freed graph needs (ops,
parameters, shapes, dtypes, names) and arrays of at most `SMALL` elements. The values of
tensors the user still holds remain readable through their handles (`live`); a drawing replays
the forward (`values`) for the rest, from the leaves, where nothing it needs was let go.
"""

from __future__ import annotations

import inspect
import weakref

import numpy as np

from minigrad.tensor import Tensor

# Arrays of at most this many elements are kept whether read or not: releasing them saves less
# memory than sorting them out costs time (benchmarks/bench_engine.py: the small MLP and the
# 1-element chain), and small graphs keep their values for drawings after backward().
SMALL = 4096


class Unsaved(np.ndarray):
    """The values of an array a node did not keep: shape and dtype only (no memory). Any
    arithmetic on it raises, so a rule that reads what its primitive did not declare fails
    loudly instead of computing with made-up numbers. (A traced tensor's data is one too,
    with its own message: `program/trace.py`'s Abstract.)"""

    # NumPy functions that read only the shape and dtype
    allowed = frozenset(
        (np.shape, np.ndim, np.size, np.zeros_like, np.ones_like, np.empty_like, np.result_type)
    )

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        raise self.refusal(f"np.{ufunc.__name__}")

    def __array_function__(self, func, types, args, kwargs):
        if func in self.allowed:  # what may be asked of an array without values
            plain = [a.view(np.ndarray) if isinstance(a, Unsaved) else a for a in args]
            return func(*plain, **kwargs)
        raise self.refusal(f"np.{func.__name__}")

    def refusal(self, what: str) -> RuntimeError:
        return RuntimeError(
            f"a derivative rule read an array that its primitive did not save ({what} on "
            f"shape {self.shape}); declare it in the primitive's `saves`"
        )


_BLANKS: dict[tuple, Unsaved] = {}


def blank(shape: tuple[int, ...], dtype) -> Unsaved:
    """A zero-memory stand-in of that shape and dtype (one per shape and dtype, reused)."""
    key = (shape, dtype)
    b = _BLANKS.get(key)
    if b is None:
        if len(_BLANKS) > 4096:
            _BLANKS.clear()
        b = _BLANKS[key] = np.broadcast_to(np.zeros((), dtype), shape).view(Unsaved)
    return b


class Released(Tensor):
    """A computed tensor's place in the graph without its values; `_origin` is a weak
    reference to the tensor itself, alive as long as someone else holds it."""

    __slots__ = ("_origin",)

    def __repr__(self) -> str:
        return f"tensor(<values released>, shape={self.shape}, dtype={self.dtype})"


def released(x: Tensor) -> Released:
    r = object.__new__(Released)
    data = x.data
    r.data = blank(data.shape, data.dtype)
    r._grad = None
    r.name = x.name
    r._requires_grad = x._requires_grad
    r._op = x._op
    r._vc = x._vc
    if x._hooks is None:  # shared, so that hooks registered later on `x` are seen here too
        x._hooks = []
    r._hooks = x._hooks
    r._retains_grad = False
    r._seq = x._seq
    r._origin = weakref.ref(x)
    return r


def live(t: Tensor) -> Tensor:
    """The tensor itself if `t` is a released handle whose tensor is still held, else `t`."""
    if type(t) is Released:
        origin = t._origin()
        if origin is not None:
            return origin
    return t


_PLANS: dict[tuple, tuple[frozenset[int] | None, bool]] = {}


def _plan(kind: type, needs: tuple[int, ...]) -> tuple[frozenset[int] | None, bool]:
    """(the input positions whose arrays the rules of inputs `needs` read, None for all;
    whether they read the output), from `kind.saves`, checked against its forward's names."""
    saves = "" if kind.linear else kind.saves
    if saves is None:
        return None, True
    params = list(inspect.signature(kind.forward).parameters.values())[1:]
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        if saves not in ("", "ans"):
            raise TypeError(f"{kind.__name__}.saves: a forward of *args can only save '' or 'ans'")
        return frozenset(), saves == "ans"
    names = [p.name for p in params]
    read: set[str] = set()
    for i in needs:
        words = (saves.get(i, "") if isinstance(saves, dict) else saves).split()
        unknown = set(words) - {*names, "ans"}
        if unknown:
            raise TypeError(
                f"{kind.__name__}.saves names {sorted(unknown)}, which are neither parameters of "
                f"its forward {names} nor 'ans'"
            )
        read.update(words)
    return frozenset(k for k, n in enumerate(names) if n in read), "ans" in read


def release_unread(op, xs, args, out: Tensor, needs) -> tuple:
    """(inputs, arrays) that node `op` keeps: released handles in place of the large computed
    inputs its rules do not read; sets what it keeps of its output."""
    kind = type(op)
    found = _PLANS.get((kind, *needs))
    if found is None:
        found = _PLANS[(kind, *needs)] = _plan(kind, tuple(needs))
    kept, keeps_ans = found
    op.ans = out.data if keeps_ans else None
    if kept is None:
        return xs, args
    for k, a in enumerate(args):  # (arrays first: scalars and small arrays are skipped at once)
        if type(a) is np.ndarray and a.size > SMALL and k not in kept:
            x = xs[k]
            if type(x) is Tensor and x._op is not None:
                if type(xs) is not list:
                    xs, args = list(xs), list(args)
                xs[k] = r = released(x)
                args[k] = r.data
    return xs, args


def free(op) -> None:
    """Let go of the large values `op` holds (after a backward pass that does not retain the
    graph): computed inputs become released handles, arrays blanks of their shape. Arrays of
    at most `SMALL` elements stay, so that small graphs still draw with their values."""
    op.freed = True
    ans = op.ans
    if ans is not None and ans.size > SMALL:
        op.ans = None
    inputs, args = list(op.inputs), list(op.args)
    for k, (x, a) in enumerate(zip(inputs, args, strict=True)):
        if type(a) is not np.ndarray or a.size <= SMALL:
            continue
        if type(x) is Tensor and x._op is not None:
            inputs[k] = released(x)
        elif isinstance(x, Tensor):
            continue  # a leaf: its values are its own, not the graph's
        else:
            inputs[k] = blank(a.shape, a.dtype)
        args[k] = blank(a.shape, a.dtype)
    op.inputs, op.args = inputs, args


def values(order: list[Tensor], missing: dict[int, str] | None = None) -> dict[int, np.ndarray]:
    """The value of every tensor in `order` (inputs first, as `toposort` gives them), by
    sequence number: its data where kept, else recomputed by its op's forward from its inputs'.
    Where a value cannot be had, raises; or, given a dict `missing`, records why there (by
    sequence number) and goes on."""
    out: dict[int, np.ndarray] = {}
    for t in order:
        origin = live(t)
        if type(origin) is not Released:
            out[t._seq] = origin.data
            continue
        why = _why_not_replayable(t._op, out, missing)
        if why is None:
            out[t._seq] = t._op.evaluate(*arguments(t._op, out))
        elif missing is None:
            raise RuntimeError(why)
        else:
            missing[t._seq] = why
    return out


def _why_not_replayable(op, known: dict, missing: dict | None) -> str | None:
    if missing:
        for x in op.inputs:  # an input that cannot be had: for the same reason
            if type(x) is Released and x._seq in missing:
                return missing[x._seq]
    if any(type(a) is Unsaved for a in arguments(op, known)):
        return (
            f"the values computed by `{op.name}` were freed by backward(); keep a reference to "
            "the tensors whose values you need, or call backward(retain_graph=True)"
        )
    if any(isinstance(x, Tensor) and x._vc[1] > op.stamp for x in op.inputs):
        return (
            f"the values computed by `{op.name}` were not kept, and its inputs have changed in "
            "place since (an optimiser step?), so they cannot be recomputed; keep a reference "
            "to the tensors whose values you need"
        )
    return None


def arguments(op, known: dict[int, np.ndarray]) -> list:
    """The arrays `op` was applied to, with released inputs filled in from `known` (by
    sequence number)."""
    return [
        known.get(x._seq, a) if type(x) is Released else a
        for x, a in zip(op.inputs, op.args, strict=True)
    ]
