"""Function transforms in JAX's style: grad, value_and_grad, vjp, jacrev.

Each call differentiates with respect to fresh tensors made from the chosen arguments, so
nested transforms never confuse their variables. When the function also depends on tensors
that an outer transform (or the user) differentiates, the gradient is built with
`create_graph=True` and stays differentiable; otherwise it is computed on the NumPy fast path.
"""

from __future__ import annotations

import numpy as np

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
    outer = any(t._op is None and id(t) not in ours for t in order)
    outer = outer or any(isinstance(s, Tensor) and s.requires_grad for s in seeds)
    grads = backward(outs, seeds, retain_graph=True, create_graph=outer, targets=xs)
    return [
        Tensor(np.zeros_like(x.data)) if g is None else g for g, x in zip(grads, xs, strict=True)
    ]


def _assemble(rows, shape, x) -> Tensor:
    if any(r.requires_grad for r in rows):
        return reshape(stack(rows), shape)
    return Tensor(np.stack([r.data for r in rows]).reshape(shape).astype(x.dtype))


def _describe(value) -> str:
    if isinstance(value, Tensor):
        return f"a Tensor of shape {value.shape}"
    return type(value).__name__
