"""Test helpers: a forward-mode sweep over a recorded graph, to test the JVP rules."""

from __future__ import annotations

import numpy as np

import minigrad as mg
from minigrad.autodiff.graph import toposort


def tape_jvp(fn, arrays, tangents):
    """(f(x), J u) by recording f and pushing tangents forward through each node's JVP rules
    in topological order (the rules on their NumPy fast path)."""
    xs = [mg.Tensor(a, requires_grad=True) for a in arrays]
    out = fn(*xs)
    tangent = {id(x): np.asarray(u, dtype=x.dtype) for x, u in zip(xs, tangents, strict=True)}
    for t in toposort([out]):
        op = t._op
        if op is None:
            continue
        total = np.zeros(t.shape, dtype=t.dtype)
        for i, x in enumerate(op.inputs):
            if isinstance(x, mg.Tensor) and id(x) in tangent:
                total = total + op.jvp(np, i, tangent[id(x)], t.data, *op.args)
        tangent[id(t)] = total
    return out.data, tangent.get(id(out), np.zeros(out.shape))
