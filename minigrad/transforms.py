"""Function transforms in JAX's style: grad, value_and_grad, vjp, jacrev (reverse mode);
jvp, jacfwd, linearize (forward mode); hessian and hvp (forward-over-reverse).

Each call differentiates with respect to fresh tensors made from the chosen arguments (fresh
leaves, alias nodes or duals of a new level), so nested transforms never confuse their
variables. When the function also depends on tensors that an outer transform differentiates
(or on duals), a gradient is built with `create_graph=True` and stays differentiable;
otherwise it is computed on the NumPy fast path.
"""

from __future__ import annotations

import numpy as np

from minigrad.autodiff.forward import Dual, dual_level, make_dual, unpack_dual
from minigrad.autodiff.graph import toposort
from minigrad.autodiff.mode import enable_grad
from minigrad.autodiff.reverse import backward
from minigrad.dtypes import as_array
from minigrad.functional import reshape, stack
from minigrad.tensor import Tensor


def grad(f, argnums: int | tuple[int, ...] = 0, has_aux: bool = False):
    """The gradient of a scalar function, as a function of the same arguments.

    >>> import minigrad as mg
    >>> mg.grad(lambda x: (x ** 3).sum())(mg.tensor([1.0, 2.0]))
    tensor([ 3., 12.])
    """
    vg = value_and_grad(f, argnums, has_aux)

    def grad_f(*args, **kwargs):
        value, grads = vg(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads

    return grad_f


def value_and_grad(f, argnums: int | tuple[int, ...] = 0, has_aux: bool = False):
    """Like `grad`, but the function returns `(value, gradient)`; with `has_aux`, `f` returns
    `(value, aux)` and the result is `((value, aux), gradient)`."""

    def value_and_grad_f(*args, **kwargs):
        args, xs = _fresh_inputs(args, argnums)
        with enable_grad():
            result = f(*args, **kwargs)
        out, aux = result if has_aux else (result, None)
        if not isinstance(out, Tensor) or out.size != 1:
            raise TypeError(
                f"grad: the function must return a scalar Tensor, got "
                f"{_describe(out)}; use vjp or jacrev for other outputs"
            )
        grads = _grads([out], [None], xs)
        grads = grads[0] if isinstance(argnums, int) else tuple(grads)
        return ((out, aux) if has_aux else out), grads

    return value_and_grad_f


def vjp(f, *primals):
    """`(out, vjp_fn)`: `out = f(*primals)` and `vjp_fn(v)` = v^T J for each primal.

    `out` may be a Tensor or a tuple of Tensors; `v` has the same structure. `vjp_fn` can
    be called many times.
    """
    args, xs = _fresh_inputs(primals, tuple(range(len(primals))))
    with enable_grad():
        out = f(*args)
    outs = list(out) if isinstance(out, tuple | list) else [out]

    def vjp_fn(cotangent):
        cts = list(cotangent) if isinstance(out, tuple | list) else [cotangent]
        if len(cts) != len(outs):
            raise ValueError(f"vjp: {len(cts)} cotangents for {len(outs)} outputs")
        return tuple(_grads(outs, cts, xs))

    return out, vjp_fn


def jacrev(f, argnums: int | tuple[int, ...] = 0):
    """The Jacobian by reverse mode: one backward sweep per output element.

    The result has shape `out.shape + x.shape` (a tuple of those for several argnums).
    """

    def jacobian_f(*args):
        args, xs = _fresh_inputs(args, argnums)
        with enable_grad():
            out = f(*args)
        if not isinstance(out, Tensor):
            raise TypeError(f"jacrev: the function must return a Tensor, got {_describe(out)}")
        rows = []
        for k in range(out.size):
            seed = np.zeros(out.size, dtype=out.dtype)
            seed[k] = 1
            rows.append(_grads([out], [seed.reshape(out.shape)], xs))
        jacs = tuple(
            _assemble([r[j] for r in rows], out.shape + x.shape, x) for j, x in enumerate(xs)
        )
        return jacs[0] if isinstance(argnums, int) else jacs

    return jacobian_f


def jvp(f, primals, tangents):
    """`(f(*primals), J tangents)` in one forward sweep with the JVP rules: no reverse graph
    is built and no backward pass runs. `f` may return a Tensor or a tuple, list or dict of
    them; the tangent output has the same structure.

    >>> import minigrad as mg, numpy as np
    >>> out, tangent = mg.jvp(mg.sin, (np.float64(0.0),), (np.float64(1.0),))
    >>> float(tangent.item())
    1.0
    """
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    with dual_level() as level:
        duals = [make_dual(_as_tensor(p), t, level) for p, t in zip(primals, tangents, strict=True)]
        out = f(*duals)
        primal_out = _tree_map(lambda o: unpack_dual(o, level).primal, out)
        tangent_out = _tree_map(lambda o: _tangent_or_zeros(o, level), out)
    return primal_out, tangent_out


def linearize(f, *primals):
    """`(f(*primals), f_jvp)` with `f_jvp(*tangents)` the JVP at `primals`. Each call of
    `f_jvp` runs one forward sweep (the primal is recomputed, not cached)."""
    primals = tuple(_as_tensor(p) for p in primals)
    return f(*primals), lambda *tangents: jvp(f, primals, tangents)[1]


def jacfwd(f, argnums: int | tuple[int, ...] = 0):
    """The Jacobian by forward mode: one forward sweep per input element.

    The result has shape `out.shape + x.shape` (a tuple of those for several argnums).
    """

    def jacobian_f(*args):
        nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
        jacs = tuple(_jacfwd_one(f, args, k) for k in nums)
        return jacs[0] if isinstance(argnums, int) else jacs

    return jacobian_f


def hessian(f, argnums: int | tuple[int, ...] = 0):
    """The Hessian of a scalar function, forward-over-reverse: `jacfwd(grad(f))`. For several
    argnums, a tuple of tuples of blocks, as JAX."""
    if isinstance(argnums, int):
        return jacfwd(grad(f, argnums), argnums)

    def hessian_f(*args):
        return tuple(
            tuple(jacfwd(lambda *a, i=i: grad(f, argnums)(*a)[i], j)(*args) for j in argnums)
            for i in range(len(argnums))
        )

    return hessian_f


def hvp(f, x, v):
    """The Hessian-vector product H(x) v of a scalar function, forward-over-reverse: one
    forward sweep through the gradient computation, never forming H."""
    return jvp(grad(f), (x,), (v,))[1]


def _jacfwd_one(f, args, k) -> Tensor:
    x = _as_tensor(args[k])

    def f_k(xk):
        return f(*args[:k], xk, *args[k + 1 :])

    columns = []
    for j in range(x.size):
        e = np.zeros(x.size, dtype=x.dtype)
        e[j] = 1
        out, column = jvp(f_k, (x,), (e.reshape(x.shape),))
        if not isinstance(out, Tensor):
            raise TypeError(f"jacfwd: the function must return a Tensor, got {_describe(out)}")
        columns.append(column)
    if not columns:
        return Tensor(np.zeros(f_k(x).shape + x.shape, dtype=x.dtype))
    shape = out.shape + x.shape
    if any(c.requires_grad or isinstance(c, Dual) for c in columns):
        return reshape(stack(columns, axis=-1), shape)
    return Tensor(np.stack([c.data for c in columns], axis=-1).reshape(shape))


def _as_tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(as_array(x))


def _tangent_or_zeros(o, level) -> Tensor:
    primal, tangent = unpack_dual(o, level)
    if tangent is not None:
        return tangent
    return Tensor(np.zeros_like(primal.data))


def _tree_map(fn, tree):
    if isinstance(tree, Tensor):
        return fn(tree)
    if isinstance(tree, tuple | list):
        return type(tree)(_tree_map(fn, t) for t in tree)
    if isinstance(tree, dict):
        return {k: _tree_map(fn, v) for k, v in tree.items()}
    raise TypeError(f"expected a Tensor or a tuple, list or dict of them, got {_describe(tree)}")


def _fresh_inputs(args, argnums):
    """Replace the chosen arguments by new tensors that require grad: a new leaf for data,
    a new node (an alias) for a tensor that an outer level differentiates."""
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    args = list(args)
    xs = []
    for k in nums:
        a = args[k]
        if isinstance(a, Tensor) and a.requires_grad:
            with enable_grad():
                x = reshape(a, a.shape)
        elif isinstance(a, Dual):  # keep the tangent: forward-over-reverse
            x = Dual._wrap(a.primal, a.tangent, a.level).requires_grad_()
        else:
            x = Tensor(as_array(a), requires_grad=True)
        args[k] = x
        xs.append(x)
    return args, xs


def _grads(outs, seeds, xs) -> list[Tensor]:
    """d(outs)/d(xs) with cotangents `seeds`; zeros where an output does not depend on x."""
    if not any(isinstance(o, Tensor) and o.requires_grad for o in outs):
        return [Tensor(np.zeros_like(x.data)) for x in xs]  # f does not depend on xs
    ours = {id(x) for x in xs}
    order = toposort(outs)
    outer = any((t._op is None and id(t) not in ours) or isinstance(t, Dual) for t in order)
    outer = outer or any(
        isinstance(s, Tensor) and (s.requires_grad or isinstance(s, Dual)) for s in seeds
    )
    grads = backward(outs, seeds, retain_graph=True, create_graph=outer, targets=xs)
    return [
        Tensor(np.zeros_like(x.data)) if g is None else g for g, x in zip(grads, xs, strict=True)
    ]


def _assemble(rows, shape, x) -> Tensor:
    if any(r.requires_grad or isinstance(r, Dual) for r in rows):
        return reshape(stack(rows), shape)
    return Tensor(np.stack([r.data for r in rows]).reshape(shape).astype(x.dtype))


def _describe(value) -> str:
    if isinstance(value, Tensor):
        return f"a Tensor of shape {value.shape}"
    return type(value).__name__
