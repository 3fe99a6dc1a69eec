"""Forward-mode transforms in JAX's style: jvp, linearize and jacfwd. Each runs the function
with dual numbers of a new level (jacfwd: once, with a batch of tangents, one per input
element); no reverse graph is built."""

from __future__ import annotations

import numpy as np

from minigrad import pytree
from minigrad.autodiff.forward import BATCHED, FORWARD, Dual, dual_level, make_dual, unpack_dual
from minigrad.tensor import Tensor
from minigrad.transforms_base import (
    argnums_for,
    as_tensor,
    assemble,
    basis_rows,
    check_argnums,
    check_function,
    check_like,
    chunk_size_of,
    concatenated,
    got,
    nest,
    release,
    tensor_outputs,
    tensor_tree,
    untraced,
)


def jvp(f, primals, tangents):
    """`(f(*primals), J tangents)` in one forward sweep with the JVP rules: no reverse graph
    is built and no backward pass runs.

    Each primal may be a pytree (nested tuples, lists, dicts, namedtuples) of arrays; its
    tangent must have the same structure, shapes and dtypes (a Python number takes its primal's
    dtype). `f` may return a Tensor or a pytree of them; the tangent output has its structure.

    >>> import minigrad as mg, numpy as np
    >>> out, tangent = mg.jvp(mg.sin, (np.float64(0.0),), (np.float64(1.0),))
    >>> float(tangent.item())
    1.0
    """
    check_function(f, "jvp")
    untraced(primals, "jvp")
    for what, value in (("primals", primals), ("tangents", tangents)):
        if not isinstance(value, tuple | list):
            raise TypeError(
                f"jvp: {what} must be a tuple or list with one entry per argument of the "
                f"function, got {got(value)}; write jvp(f, (x,), (v,))"
            )
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    trees = []
    for k, (p, t) in enumerate(zip(primals, tangents, strict=True)):
        xs, treedef = _primal_tree(p, k)
        vs = check_like(
            t,
            p,
            "jvp",
            lambda path, k=k: pytree.name(f"tangents[{k}]", path, f"tangent {k}"),
            lambda path, k=k: pytree.name(f"primals[{k}]", path, f"primal {k}"),
            dtypes=True,
        )
        trees.append((xs, vs, treedef))
    with dual_level() as level:
        args = [
            d.unflatten([make_dual(x, v, level) for x, v in zip(xs, vs, strict=True)])
            for xs, vs, d in trees
        ]
        outs, out_def = tensor_outputs(f(*args), "jvp")
        primal_out = out_def.unflatten([unpack_dual(o, level).primal for o in outs])
        tangent_out = out_def.unflatten([_tangent_or_zeros(o, level) for o in outs])
    return release((primal_out, tangent_out))


def _primal_tree(p, k: int) -> tuple[list[Tensor], pytree.TreeDef]:
    leaves, treedef = pytree.flatten(p, "jvp")
    names = [pytree.name(f"primals[{k}]", path, f"primal {k}") for path in treedef.paths()]
    return [as_tensor(x, "jvp", n) for x, n in zip(leaves, names, strict=True)], treedef


def _tangent_or_zeros(o, level, batch: int | None = None) -> Tensor:
    primal, tangent = unpack_dual(o, level)
    if tangent is not None:
        return tangent
    return Tensor(np.zeros(primal.shape if batch is None else (batch, *primal.shape), o.dtype))


def linearize(f, *primals):
    """`(f(*primals), f_jvp)` with `f_jvp(*tangents)` the JVP at `primals` (pytrees, as for
    `jvp`). Each call of `f_jvp` runs one forward sweep (the primal is recomputed)."""
    check_function(f, "linearize")
    trees = [tensor_tree(f, p, k, "linearize") for k, p in enumerate(primals)]
    # NOTE: arrays and tensors are copied (later changes to them do not move the point);
    # numbers stay numbers, so that a tangent of any float dtype fits them, as in jvp.
    kept = [pytree.tree_map(_snapshot, p) for p in primals]
    out = f(*[d.unflatten(xs) for xs, d in trees])
    return out, lambda *tangents: jvp(f, kept, tangents)[1]


def _snapshot(leaf):
    if isinstance(leaf, np.ndarray):
        return leaf.copy()
    if isinstance(leaf, Tensor) and not leaf._is_dual:  # its values now, not later ones
        return leaf.clone()  # (recorded where it requires grad: outer transforms see through)
    return leaf


def jacfwd(f, argnums: int | tuple[int, ...] = 0, *, chunk_size: int | None = None):
    """The Jacobian by forward mode: one tangent direction per input element, pushed through
    `f` together in one sweep (a leading batch axis on every tangent, as JAX's vmap does), or
    `chunk_size` directions per sweep (1: one sweep per input element, as the textbook method
    reads; less memory, more Python). Inside another forward-mode transform it takes one sweep
    per element.

    A block has shape `out.shape + x.shape`. Pytrees nest as in JAX: the output's structure
    outside, the argument's inside (a tuple over argnums for several).
    """
    check_function(f, "jacfwd")
    check_argnums(argnums, "jacfwd")
    chunk_size = chunk_size_of(chunk_size, "jacfwd")
    single = isinstance(argnums, int | np.integer)

    def jacobian_f(*args, **kwargs):
        untraced(args, "jacfwd")
        args = list(args)
        chosen = []
        for k in argnums_for(argnums, len(args), "jacfwd"):
            xs, treedef = tensor_tree(f, args[k], k, "jacfwd")
            args[k] = treedef.unflatten(xs)
            chosen.append((k, xs, treedef))
        columns, outs, out_def = [], None, None
        batched = not FORWARD.levels and chunk_size != 1  # (nested: one sweep per element)
        for k, xs, treedef in chosen:
            for j, x in enumerate(xs):
                f_kj = _of_leaf(f, args, kwargs, k, xs, treedef, j)
                if batched and x.size:
                    out, tangents = _basis_jvp(f_kj, x, chunk_size or x.size)
                    outs, out_def = tensor_outputs(out, "jacfwd", floats=True)
                    columns.append(tangents)
                    continue
                columns.append([])
                for e in range(x.size):
                    one_hot = np.zeros(x.size, dtype=x.dtype)
                    one_hot[e] = 1
                    out, tangent = jvp(f_kj, (x,), (one_hot.reshape(x.shape),))
                    outs, out_def = tensor_outputs(out, "jacfwd", floats=True)
                    columns[-1].append(pytree.leaves(tangent))
        if outs is None:  # no input elements: the output's shapes from one plain call
            outs, out_def = tensor_outputs(f(*args, **kwargs), "jacfwd", floats=True)
        xs = [x for _, leaves, _ in chosen for x in leaves]
        blocks = [
            [
                _block(cols[i], o, x)
                if isinstance(cols, tuple)
                else assemble([c[i] for c in cols], o.shape + x.shape, o.dtype, x, axis=-1)
                for cols, x in zip(columns, xs, strict=True)
            ]
            for i, o in enumerate(outs)
        ]
        return release(nest(out_def, blocks, [d for _, _, d in chosen], single))

    return jacobian_f


def _basis_jvp(f, x: Tensor, chunk: int) -> tuple[object, tuple[Tensor, ...]]:
    """(f(x), the tangent of each output leaf for every basis direction of x, stacked on a
    leading axis): forward sweeps whose tangents carry `chunk` directions each."""
    parts = []
    for basis in basis_rows(x.size, chunk, x.dtype):
        batch = len(basis)
        with dual_level() as level:
            BATCHED[level] = batch
            try:
                outs, out_def = tensor_outputs(
                    f(make_dual(x, basis.reshape((batch, *x.shape)), level)), "jacfwd"
                )
                primal = out_def.unflatten([unpack_dual(o, level).primal for o in outs])
                parts.append([_tangent_or_zeros(o, level, batch) for o in outs])
            finally:
                del BATCHED[level]
    if len(parts) == 1:
        return primal, tuple(parts[0])
    return primal, tuple(concatenated(column) for column in zip(*parts, strict=True))


def _block(tangent: Tensor, o: Tensor, x: Tensor) -> Tensor:
    """The Jacobian block out.shape + x.shape from the tangents (x.size, *out.shape)."""
    dtype = np.result_type(o.dtype, x.dtype)
    last = (*range(1, tangent.ndim), 0)  # the basis axis last, then x's shape in its place
    if tangent.requires_grad or isinstance(tangent, Dual):
        block = tangent.transpose(last).reshape(o.shape + x.shape)
        return block if block.dtype == dtype else block.astype(dtype)
    return Tensor(tangent.data.transpose(last).reshape(o.shape + x.shape).astype(dtype))


def _of_leaf(f, args, kwargs, k, xs, treedef, j):
    """`f` as a function of leaf `j` of argument `k` alone."""

    def f_kj(xj):
        leaves = [*xs[:j], xj, *xs[j + 1 :]]
        return f(*args[:k], treedef.unflatten(leaves), *args[k + 1 :], **kwargs)

    return f_kj
