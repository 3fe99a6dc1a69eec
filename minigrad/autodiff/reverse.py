"""Reverse mode: one sweep over the recorded graph in reverse topological order.

The engine does all the bookkeeping (un-broadcasting, dtype, accumulation, hooks, saved-tensor
checks, freeing); the primitives' `vjp` rules only do the math. With `create_graph=True` the
same rules run on Tensors, so the sweep is itself recorded and can be differentiated again.
"""

from __future__ import annotations

import heapq
import threading

import numpy as np

from minigrad.autodiff.graph import toposort
from minigrad.autodiff.mode import set_grad_mode
from minigrad.autodiff.saved import Released, free, live, released
from minigrad.inplace import IN_PLACE_CHANGES
from minigrad.tensor import Tensor
from minigrad.validate import flag


def unbroadcast(g, shape: tuple[int, ...]):
    """Sum `g` (array or Tensor) down to `shape`, undoing NumPy broadcasting."""
    lead = g.ndim - len(shape)
    if g.shape[lead:] != shape:
        ones = tuple(lead + a for a, n in enumerate(shape) if n == 1)
        g = g.sum(axis=ones, keepdims=True)
    if lead:
        g = g.sum(axis=tuple(range(lead)) if lead > 1 else 0)
    return g


def unbroadcast_batch(g, shape: tuple[int, ...]):
    """Sum `g` (array or Tensor, a batch of cotangents on axis 0) down to (batch, *shape)."""
    lead = g.ndim - 1 - len(shape)
    if lead < 0:  # fewer axes than x: as if broadcast from them
        g = g.reshape((g.shape[0],) + (1,) * -lead + tuple(g.shape[1:]))
        lead = 0
    ones = tuple(1 + lead + a for a, n in enumerate(shape) if n == 1 and g.shape[1 + lead + a] != 1)
    if ones:
        g = g.sum(axis=ones, keepdims=True)
    if lead:
        g = g.sum(axis=tuple(range(1, 1 + lead)))
    if tuple(g.shape[1:]) != shape:
        g = _broadcast(g, (g.shape[0], *shape))
    return g


def batched_vjp(op, xp, i, g, ans, args, batch: int, shape: tuple[int, ...]):
    """The VJP of input `i` (shape `shape`) for a batch of cotangents `g` (batch, *out.shape):
    the primitive's own `batched_vjp` (which may return NotImplemented), one call of a rule
    that broadcasts (`Primitive.broadcasts`), or else one call per cotangent, stacked."""
    rule = getattr(op, "batched_vjp", None)
    if rule is not None:
        gx = rule(xp, i, g, ans, *args)
        if gx is not NotImplemented:
            return unbroadcast_batch(gx, shape)
    if op.broadcasts:
        return unbroadcast_batch(op.vjp(xp, i, g, ans, *args), shape)
    parts = []
    for b in range(batch):
        gx = op.vjp(xp, i, g[b], ans, *args)
        parts.append(gx if gx.shape == shape else unbroadcast(gx, shape))
    return _stack(parts)


def _stack(parts):
    if any(isinstance(p, Tensor) for p in parts):
        from minigrad.functional import stack

        return stack(parts)
    return np.stack(parts)


def _broadcast(g, shape):
    if isinstance(g, Tensor):
        from minigrad.functional import broadcast_to

        return broadcast_to(g, shape)
    return np.broadcast_to(g, shape)


def backward(
    roots, seeds, *, retain_graph=None, create_graph=False, targets=None, into=None, batch=None
):
    """Backpropagate from `roots` (with cotangents `seeds`, None for scalar roots).

    Without `targets`, gradients accumulate into the `.grad` of leaves (and of non-leaves
    that `retain_grad()`), as `Tensor.backward`. With `targets`, nothing is accumulated:
    the gradients with respect to those tensors are returned (None where unreachable), and
    only the part of the graph that leads to them is swept. With `into` (backward's
    `inputs=`), the gradients with respect to those tensors accumulate into their `.grad`.
    With `batch` (and `targets`), every cotangent carries a leading batch axis of that length:
    one sweep computes `batch` vector-Jacobian products (jacrev's rows).
    """
    if batch is not None and targets is None:
        raise ValueError("backward: a batch of cotangents needs targets (jacrev's rows)")
    if into is not None:
        into = tensor_list(into, "backward", "inputs", requires_grad=True)
        into = list({id(x): x for x in into}.values())  # listed twice, accumulated once
        grads = backward(
            roots, seeds, retain_graph=retain_graph, create_graph=create_graph, targets=into
        )
        stored: set[int] = set()
        for x, g in zip(into, grads, strict=True):
            if g is not None:
                _store(x, g if create_graph else g.data, bool(create_graph), stored)
        return None
    if create_graph is not False:
        create_graph = flag(create_graph, "backward", "create_graph")
    if retain_graph is None:
        retain_graph = create_graph
    elif retain_graph is not False:
        retain_graph = flag(retain_graph, "backward", "retain_graph")
    # Gradients by sequence number: a tensor and its released handles are one node.
    grads: dict[int, object] = {}
    heap: list[tuple[int, Tensor]] = []
    leaves: list[Tensor] = []
    for r, s in zip(roots, seeds, strict=True):
        g = _seed(r, s, create_graph, batch)
        if r._seq in grads:
            grads[r._seq] = grads[r._seq] + g
        else:
            grads[r._seq] = g
            if r._op is None:
                leaves.append(r)
            else:
                heapq.heappush(heap, (-r._seq, r))
    wanted = None if targets is None else _leading_to(toposort(roots), targets)
    found: dict[int, object] = {}
    stored: set[int] = set()
    xp = _namespace(create_graph)
    previous = set_grad_mode(create_graph)
    pop, push = heapq.heappop, heapq.heappush
    try:
        # NOTE: a tensor's sequence number exceeds those of its inputs, so popping the
        # largest first is a reverse topological order: every computed tensor is reached
        # after all of its consumers, with its gradient complete, and no sort is needed.
        while heap:
            t = pop(heap)[1]
            if type(t) is Released:
                t = live(t)  # the user's own handle, if held: its hooks, its retain_grad
            tid = t._seq
            g = grads.pop(tid)
            if t._hooks:
                g = _run_hooks(t, g, create_graph, batch)
            op = t._op
            if targets is not None:
                if wanted.get(tid):
                    found[tid] = g
            elif t._retains_grad:
                _store(t, g, create_graph, stored)
            if op.freed or (op.stamp != IN_PLACE_CHANGES[0] and not op.linear):
                _check_saved(t, op)
            inputs = op.inputs
            if create_graph:
                args, ans = inputs, t if op.ans is None else _holding(t, op.ans)
            else:
                args, ans = op.args, t.data if op.ans is None else op.ans
            vjp = op.vjp
            for i in op.needs:
                x = inputs[i]
                k = x._seq
                if wanted is not None and k not in wanted:
                    continue
                data = x.data
                if batch is None:
                    gx = vjp(xp, i, g, ans, *args)
                    if gx.shape != data.shape:
                        gx = unbroadcast(gx, data.shape)
                else:
                    gx = batched_vjp(op, xp, i, g, ans, args, batch, data.shape)
                if gx.dtype != data.dtype:
                    gx = gx.astype(data.dtype)
                if k in grads:
                    grads[k] = grads[k] + gx
                else:
                    grads[k] = gx
                    if x._op is None:
                        leaves.append(x)
                    else:
                        push(heap, (-x._seq, x))
            if not retain_graph:  # as in PyTorch, values go as soon as the sweep has used them
                if op.large:
                    free(op)
                else:
                    op.freed = True
        for t in leaves:  # a leaf's gradient is complete once every op has run
            g = grads.pop(t._seq)
            if t._hooks:
                g = _run_hooks(t, g, create_graph, batch)
            if targets is None:
                _store(t, g, create_graph, stored)
            elif wanted.get(t._seq):
                found[t._seq] = g
    finally:
        set_grad_mode(previous)
    if targets is not None:
        return [_wrap(found.get(x._seq)) for x in targets]
    return None


def tensor_list(tensors, where: str, what: str, requires_grad: bool = False) -> list[Tensor]:
    """One tensor or a non-empty sequence of tensors, as a list; with `requires_grad`, each must
    require grad (the tensors to differentiate with respect to)."""
    items = [tensors] if isinstance(tensors, Tensor) else tensors
    if not isinstance(items, list | tuple) or not items:
        raise TypeError(
            f"{where}: {what} must be a tensor or a non-empty list of tensors, got "
            f"{type(tensors).__name__} {tensors!r:.40}"
        )
    for k, x in enumerate(items):
        if not isinstance(x, Tensor):
            raise TypeError(f"{where}: {what}[{k}] is {type(x).__name__}, not a Tensor")
        if requires_grad and not x._requires_grad:
            raise RuntimeError(
                f"{where}: {what}[{k}] (shape {x.shape}) does not require grad, so no gradient "
                "flows into it; create it with requires_grad=True"
            )
    return list(items)


def _namespace(create_graph: bool):
    if not create_graph:
        return np
    from minigrad import functional

    return functional


def _seed(root: Tensor, seed, create_graph: bool, batch: int | None = None):
    if not isinstance(root, Tensor) or not root._requires_grad:
        raise RuntimeError(
            "backward: this tensor does not require grad, so there is nothing to "
            "differentiate; set requires_grad=True on the inputs you want gradients for"
        )
    if seed is None:
        if root.size != 1:
            raise RuntimeError(
                f"backward: the output has shape {root.shape}, not a scalar; pass "
                "gradient= (a tensor of that shape, the vector in the vector-Jacobian "
                "product), or reduce it first, e.g. y.sum().backward()"
            )
        g = np.ones_like(root.data)
    else:
        try:
            g = np.array(seed.data if isinstance(seed, Tensor) else seed, dtype=root.dtype)
        except (TypeError, ValueError) as err:
            raise TypeError(
                f"backward: gradient must be numbers of the output's shape {root.shape}, got "
                f"{type(seed).__name__} {seed!r:.40} ({err})"
            ) from None
        shape = root.shape if batch is None else (batch, *root.shape)
        if g.shape != shape:
            raise ValueError(
                f"backward: gradient has shape {g.shape} but the output has "
                f"shape {root.shape}; they must be equal"
            )
    if create_graph:
        return seed if isinstance(seed, Tensor) and seed.shape == g.shape else Tensor(g)
    return g


def _leading_to(order: list[Tensor], targets) -> dict[int, bool]:
    """Ids of the tensors in `order` from which some target is reachable (inputs come first
    in `order`, so one pass suffices); the value says whether it is itself a target."""
    ids = {x._seq for x in targets}
    wanted: dict[int, bool] = {}
    for t in order:
        if t._seq in ids:
            wanted[t._seq] = True
        elif t._op is not None and any(
            isinstance(x, Tensor) and x._seq in wanted for x in t._op.inputs
        ):
            wanted[t._seq] = False
    return wanted


def _run_hooks(t: Tensor, g, create_graph: bool, batch: int | None = None):
    if batch is not None:  # each hook sees each cotangent of the batch, as in `batch` sweeps
        parts = [_run_hooks(t, g[b], create_graph) for b in range(batch)]
        return _stack(parts)
    for hook in list(t._hooks):
        out = hook(g if create_graph else Tensor._make(g, None))
        if out is not None:
            if not isinstance(out, Tensor) or out.shape != t.shape or out.dtype != t.dtype:
                raise ValueError(
                    f"hook {getattr(hook, '__name__', hook)!r:.40} returned {out!r:.60}; a hook "
                    f"must return None or a Tensor of the gradient's shape {t.shape} and "
                    f"dtype {t.dtype}"
                )
            g = out if create_graph else out.data
    return g


_STORE_LOCK = threading.Lock()  # backward passes in several threads may share a leaf


def _store(t: Tensor, g, create_graph: bool, stored: set[int]) -> None:
    """Accumulate into t.grad (under a lock: threads may accumulate into one leaf). An array
    already given to another .grad in this sweep (or a read-only view) is copied, so that no
    two .grad share memory."""
    with _STORE_LOCK:
        if create_graph:
            t._grad = g if t._grad is None else t._grad + g
            return
        if t._grad is not None:
            t._grad = Tensor._make(t._grad.data + g, None)
            return
        owner = g.base
        if owner is None:
            owner = g
        elif not g.flags.writeable:
            g = owner = g.copy()
        if id(owner) in stored:
            g = owner = g.copy()
        stored.add(id(owner))
        t._grad = Tensor._make(g, None)


def _check_saved(t: Tensor, op) -> None:
    if op.freed:
        raise RuntimeError(
            f"backward: the graph through `{op.name}` was already freed by an earlier "
            "backward() (one that raised midway frees what it had swept, as in PyTorch); to "
            "backpropagate through it twice, pass retain_graph=True to the first call (or "
            "recompute the forward pass)"
        )
    check_versions(t, op)


def check_versions(t: Tensor, op) -> None:
    """Raise if a tensor that `op` saved (an input, or its output `t`) changed in place since."""
    if op.stamp == IN_PLACE_CHANGES[0] or op.linear:
        return
    for k, x in enumerate(op.inputs):
        if isinstance(x, Tensor) and x._vc[1] > op.stamp:
            raise _modified(op, f"input {k}", x)
    if t._vc[1] > op.stamp:
        raise _modified(op, "its output", t)


def _modified(op, which: str, x: Tensor) -> RuntimeError:
    return RuntimeError(
        f"backward: `{op.name}` saved {which} (shape {x.shape}) to compute its gradient, but "
        f"it was changed in place afterwards (it is now at version {x._vc[0]}); the gradient "
        "would be wrong. Make the in-place change on a copy (x.clone()), or after backward()"
    )


def _holding(t: Tensor, values):
    """`t` itself if it holds `values` (its op's saved output), else a handle to the same node
    that does (for rules recorded with create_graph)."""
    if t.data is values:
        return t
    h = released(t)
    h.data = values
    return h


def _wrap(g):
    if g is None or isinstance(g, Tensor):
        return g
    return Tensor._make(g, None)
