"""Function transforms in JAX's style: grad, value_and_grad, vjp, jacrev (reverse mode, here);
jvp, jacfwd, linearize (forward mode, in transforms_forward); hessian and hvp (both together).

Every differentiated argument may be a pytree (nested tuples, lists, dicts, namedtuples, None)
of arrays, numbers or Tensors; results have its structure, as JAX's. Each call differentiates
with respect to fresh tensors made from the chosen arguments (fresh leaves, alias nodes or
duals of a new level), so nested transforms never confuse their variables. When the function
also depends on tensors that an outer transform differentiates (or on duals), a gradient is
built with `create_graph=True` and stays differentiable; otherwise it is computed on the NumPy
fast path.
"""

from __future__ import annotations

import numpy as np

from minigrad import pytree
from minigrad.autodiff.mode import TRACING, enable_grad
from minigrad.tensor import Tensor
from minigrad.transforms_base import (
    as_tensor,
    assemble,
    basis_rows,
    check_argnums,
    check_function,
    check_like,
    chunk_size_of,
    concatenated,
    fresh_inputs,
    got,
    grads,
    nest,
    release,
    running,
    split,
    tensor_outputs,
)
from minigrad.transforms_forward import jacfwd, jvp, linearize
from minigrad.validate import flag

__all__ = [
    "grad",
    "hessian",
    "hvp",
    "jacfwd",
    "jacrev",
    "jvp",
    "linearize",
    "value_and_grad",
    "vjp",
]


def grad(f, argnums: int | tuple[int, ...] = 0, has_aux: bool = False):
    """The gradient of a scalar function, as a function of the same arguments. For a pytree
    argument the gradient is a pytree of the same structure.

    >>> import minigrad as mg
    >>> mg.grad(lambda x: (x ** 3).sum())(mg.tensor([1.0, 2.0]))
    tensor([ 3., 12.])
    >>> params = {"w": mg.tensor([1.0, 2.0]), "b": mg.tensor(3.0)}
    >>> mg.grad(lambda p: (p["w"] * p["b"]).sum())(params)  # dict keys come back sorted
    {'b': tensor(3.), 'w': tensor([3., 3.])}
    """
    vg = value_and_grad(f, argnums, has_aux, name="grad")

    def grad_f(*args, **kwargs):
        value, gradient = vg(*args, **kwargs)
        return (gradient, value[1]) if has_aux else gradient

    return grad_f


def value_and_grad(
    f, argnums: int | tuple[int, ...] = 0, has_aux: bool = False, *, name: str = "value_and_grad"
):
    """Like `grad`, but the function returns `(value, gradient)`; with `has_aux`, `f` returns
    `(value, aux)` and the result is `((value, aux), gradient)`."""
    check_function(f, name)
    check_argnums(argnums, name)
    flag(has_aux, name, "has_aux")
    single = isinstance(argnums, int | np.integer)

    def value_and_grad_f(*args, **kwargs):
        if TRACING:  # inside a traced program: derive its gradient symbolically
            from minigrad.program.derive import traced_value_and_grad
            from minigrad.program.trace import has_symbols

            if has_symbols(args):
                return traced_value_and_grad(f, args, kwargs, argnums, has_aux, name)
        args, xs, defs = fresh_inputs(f, args, argnums, name)
        with running(xs), enable_grad():
            result = _value_and_grad(args, kwargs, xs, defs)
        return release(result)

    def _value_and_grad(args, kwargs, xs, defs):
        result = f(*args, **kwargs)
        if has_aux and not (isinstance(result, tuple | list) and len(result) == 2):
            raise TypeError(
                f"{name} with has_aux=True: the function must return a pair (value, aux), got "
                f"{got(result)}"
            )
        out, aux = result if has_aux else (result, None)
        if not isinstance(out, Tensor) or out.size != 1 or out.dtype.kind != "f":
            raise TypeError(
                f"{name}: the function must return a scalar float Tensor, got "
                f"{got(out)}; use vjp or jacrev for other outputs"
                + ("" if has_aux else " (return (value, aux) with has_aux=True)")
            )
        gradient = split(grads([out], [None], xs), defs, single)
        return ((out, aux) if has_aux else out), gradient

    return value_and_grad_f


def vjp(f, *primals):
    """`(out, vjp_fn)`: `out = f(*primals)` and `vjp_fn(v)` = v^T J, a tuple with one entry
    per primal (a pytree of the primal's structure).

    `out` may be a Tensor or a pytree of Tensors; `v` must have its structure and shapes.
    Outputs that do not depend on the primals contribute nothing. `vjp_fn` can be called many
    times.
    """
    check_function(f, "vjp")
    if not primals:
        raise TypeError("vjp: give the primals to differentiate at: mg.vjp(f, x, ...)")
    args, xs, defs = fresh_inputs(f, primals, tuple(range(len(primals))), "vjp")
    with running(xs), enable_grad():
        out = f(*args)
    outs, _ = tensor_outputs(out, "vjp")

    def vjp_fn(cotangent):
        seeds = check_like(
            cotangent,
            out,
            "vjp",
            lambda p: "cotangent" + p if p else "the cotangent",
            lambda p: "output" + p if p else "the output",
            dtypes=False,
        )
        return release(split(grads(outs, seeds, xs), defs, single=False))

    return release(out), vjp_fn


def jacrev(f, argnums: int | tuple[int, ...] = 0, *, chunk_size: int | None = None):
    """The Jacobian by reverse mode: one cotangent per output element, pulled back through the
    recorded graph together in one backward sweep (a leading batch axis on every cotangent, as
    torch.func's jacrev does with vmap), or `chunk_size` per sweep (1: one sweep per output
    element, as the textbook method reads).

    A block has shape `out.shape + x.shape`. Pytrees nest as in JAX: the output's structure
    outside, the argument's inside (a tuple over argnums for several).
    """
    check_function(f, "jacrev")
    check_argnums(argnums, "jacrev")
    chunk_size = chunk_size_of(chunk_size, "jacrev")
    single = isinstance(argnums, int | np.integer)

    def jacobian_f(*args, **kwargs):
        args, xs, defs = fresh_inputs(f, args, argnums, "jacrev")
        with running(xs), enable_grad():
            outs, out_def = tensor_outputs(f(*args, **kwargs), "jacrev", floats=True)
            blocks = [_jacobian_rows(o, xs, chunk_size) for o in outs]
            result = nest(out_def, blocks, defs, single)
        return release(result)

    return jacobian_f


def _jacobian_rows(out: Tensor, xs, chunk_size: int | None) -> list[Tensor]:
    """d out / d x for each x: backward sweeps of `chunk_size` cotangents (rows) each."""
    if chunk_size == 1 or not out.size:
        rows = []
        for k in range(out.size):
            seed = np.zeros(out.size, dtype=out.dtype)
            seed[k] = 1
            rows.append(grads([out], [seed.reshape(out.shape)], xs))
        return [
            assemble([r[j] for r in rows], out.shape + x.shape, out.dtype, x, axis=0)
            for j, x in enumerate(xs)
        ]
    parts = [
        grads([out], [seeds.reshape((len(seeds), *out.shape))], xs, batch=len(seeds))
        for seeds in basis_rows(out.size, chunk_size or out.size, out.dtype)
    ]
    blocks = []
    for j, x in enumerate(xs):
        block = concatenated([p[j] for p in parts]).reshape(out.shape + x.shape)
        dtype = np.result_type(out.dtype, x.dtype)
        blocks.append(block if block.dtype == dtype else block.astype(dtype))
    return blocks


def hessian(f, argnums: int | tuple[int, ...] = 0):
    """The Hessian of a scalar function, forward-over-reverse: `jacfwd(grad(f))`. For a pytree
    argument the blocks nest twice (`h['w']['b']` is d2f / dw db); for several argnums, a tuple
    of tuples, as JAX."""
    check_function(f, "hessian")
    check_argnums(argnums, "hessian")
    return jacfwd(grad(f, argnums), argnums)


def hvp(f, x, v):
    """The Hessian-vector product H(x) v of a scalar function, forward-over-reverse: one
    forward sweep through the gradient computation, never forming H. `x` may be a pytree; `v`
    must have its structure, shapes and dtypes, and the result has them too."""
    check_function(f, "hvp")
    leaves, treedef = pytree.flatten(x, "hvp")
    for leaf, path in zip(leaves, treedef.paths(), strict=True):
        as_tensor(leaf, "hvp", "x" + path)
    check_like(v, x, "hvp", lambda p: "v" + p, lambda p: "x" + p, dtypes=True)
    return jvp(grad(f), (x,), (v,))[1]
