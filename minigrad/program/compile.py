"""`mg.compile(fn)`: trace on the first call for each input signature, replay afterwards.

A compiled function takes arrays (or tensors, numbers, and pytrees of them) and returns NumPy
arrays in the structure `fn` returns. Python control flow that depends on values (`if x.sum() >
0:`, `float(loss)`) is allowed: the trace records a guard on the value it saw, a replay checks
the guard right after computing that value, and where it fails traces again for those inputs
(at most `MAX_TRACES` programs per signature, then an error that names the line).
"""

from __future__ import annotations

import functools

import numpy as np

from minigrad import pytree
from minigrad.program.ir import Program
from minigrad.program.run import run
from minigrad.program.trace import GuardFailed, _example, make_program
from minigrad.tensor import Tensor

MAX_TRACES = 8


def compile(fn):  # noqa: A001 (the name users know from torch.compile and JAX's jit)
    """Trace `fn` once per input signature into a `Program` and replay it on later calls.

    >>> import minigrad as mg, numpy as np
    >>> @mg.compile
    ... def f(x):
    ...     return (x * x).sum()
    >>> float(f(np.array([1.0, 2.0])))
    5.0
    >>> len(f.programs)  # one signature, one trace
    1
    """
    if not callable(fn):
        raise TypeError(f"compile: expected a function, got {type(fn).__name__}")
    programs: dict[tuple, list[Program]] = {}
    trace = make_program(fn, guards=True)

    @functools.wraps(fn)
    def compiled(*args):
        arrays: list = []
        key = _key(args, arrays)
        known = programs.setdefault(key, [])
        for program in known:
            try:  # (the signature matched: the inputs have the trace's shapes and dtypes)
                return run(program, arrays)  # (arrays already: `_key` converted numbers)
            except GuardFailed:
                continue
        if len(known) >= MAX_TRACES:
            where = known[-1].guards[0][3] if known[-1].guards else "?"
            raise RuntimeError(
                f"compile: {fn.__name__} was traced {len(known)} times for one input signature "
                f"because its Python control flow depends on values (at {where}); write the "
                "branch with mg.where, or call it without mg.compile"
            )
        program = trace(*args)
        known.append(program)
        return program(*args)

    compiled.programs = programs  # (by signature: what was traced, for inspection)
    return compiled


def _key(tree, arrays: list):
    """The signature of `tree` (nesting, shapes, dtypes), collecting its leaves' arrays into
    `arrays` in pytree order: one pass, cheaper than flattening into a TreeDef and hashing it
    on every call. Containers other than tuples, lists and dicts go through `pytree`."""
    kind = type(tree)
    if kind is tuple or kind is list:
        return (kind, *(_key(t, arrays) for t in tree))
    if kind is dict:
        keys = sorted(tree) if all(type(k) is str for k in tree) else pytree._sorted_keys(tree)
        return (dict, *((k, _key(tree[k], arrays)) for k in keys))
    if kind is np.ndarray:
        arrays.append(tree)
        return tree.shape, tree.dtype
    if isinstance(tree, Tensor):
        arrays.append(tree.data)
        return tree.data.shape, tree.data.dtype
    if pytree.is_leaf(tree):  # (Python numbers as eager mode and the trace take them)
        array = _example(tree, "an argument")
        arrays.append(array)
        return array.shape, array.dtype
    leaves, treedef = pytree.flatten(tree, "compile")
    return (treedef, *(_key(x, arrays) for x in leaves))
