"""Function transforms in JAX's style: grad, value_and_grad, vjp, jacrev (reverse mode);
jvp, jacfwd, linearize (forward mode); hessian and hvp (forward-over-reverse).

Each call differentiates with respect to fresh tensors made from the chosen arguments (fresh
leaves, alias nodes or duals of a new level), so nested transforms never confuse their
variables. When the function also depends on tensors that an outer transform differentiates
(or on duals), a gradient is built with `create_graph=True` and stays differentiable;
otherwise it is computed on the NumPy fast path.
"""

from __future__ import annotations

import contextlib
import threading
import weakref

import numpy as np

from minigrad.autodiff.forward import Dual, dual_level, make_dual, unpack_dual
from minigrad.autodiff.graph import toposort
from minigrad.autodiff.mode import enable_grad
from minigrad.autodiff.reverse import backward
from minigrad.dtypes import as_array
from minigrad.functional import reshape, stack
from minigrad.tensor import Tensor
from minigrad.validate import flag, is_int


def grad(f, argnums: int | tuple[int, ...] = 0, has_aux: bool = False):
    """The gradient of a scalar function, as a function of the same arguments.

    >>> import minigrad as mg
    >>> mg.grad(lambda x: (x ** 3).sum())(mg.tensor([1.0, 2.0]))
    tensor([ 3., 12.])
    """
    vg = value_and_grad(f, argnums, has_aux, name="grad")

    def grad_f(*args, **kwargs):
        value, grads = vg(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads

    return grad_f


def value_and_grad(
    f, argnums: int | tuple[int, ...] = 0, has_aux: bool = False, *, name: str = "value_and_grad"
):
    """Like `grad`, but the function returns `(value, gradient)`; with `has_aux`, `f` returns
    `(value, aux)` and the result is `((value, aux), gradient)`."""
    _check_function(f, name)
    _check_argnums(argnums, name)
    flag(has_aux, name, "has_aux")

    def value_and_grad_f(*args, **kwargs):
        args, xs = _fresh_inputs(args, argnums, name)
        with _running(xs), enable_grad():
            result = _value_and_grad(args, kwargs, xs)
        return _release(result)

    def _value_and_grad(args, kwargs, xs):
        result = f(*args, **kwargs)
        if has_aux and not (isinstance(result, tuple | list) and len(result) == 2):
            raise TypeError(
                f"{name} with has_aux=True: the function must return a pair (value, aux), got "
                f"{_describe(result)}"
            )
        out, aux = result if has_aux else (result, None)
        if not isinstance(out, Tensor) or out.size != 1 or out.dtype.kind != "f":
            raise TypeError(
                f"{name}: the function must return a scalar float Tensor, got "
                f"{_describe(out)}; use vjp or jacrev for other outputs"
                + ("" if has_aux else " (return (value, aux) with has_aux=True)")
            )
        grads = _grads([out], [None], xs)
        grads = grads[0] if isinstance(argnums, int | np.integer) else tuple(grads)
        return ((out, aux) if has_aux else out), grads

    return value_and_grad_f


def vjp(f, *primals):
    """`(out, vjp_fn)`: `out = f(*primals)` and `vjp_fn(v)` = v^T J for each primal.

    `out` may be a Tensor or a tuple, list or dict of Tensors (nested too); `v` has the same
    structure and shapes. Outputs that do not depend on the primals contribute nothing.
    `vjp_fn` can be called many times.
    """
    _check_function(f, "vjp")
    args, xs = _fresh_inputs(primals, tuple(range(len(primals))), "vjp")
    with _running(xs), enable_grad():
        out = f(*args)
    outs = _leaves(out, "vjp: the function's output")

    def vjp_fn(cotangent):
        cts = _leaves(cotangent, "vjp: the cotangent", like=out, arrays=True)
        for k, (o, ct) in enumerate(zip(outs, cts, strict=True)):
            _same_shape(ct, o, "vjp", f"cotangent {k}", f"output {k}")
        seeds = cts
        return _release(tuple(_grads(outs, seeds, xs)))

    return _release(out), vjp_fn


def jacrev(f, argnums: int | tuple[int, ...] = 0):
    """The Jacobian by reverse mode: one backward sweep per output element.

    The result has shape `out.shape + x.shape` (a tuple of those for several argnums).
    """

    _check_function(f, "jacrev")
    _check_argnums(argnums, "jacrev")

    def jacobian_f(*args, **kwargs):
        args, xs = _fresh_inputs(args, argnums, "jacrev")
        with _running(xs), enable_grad():
            result = _jacobian(args, kwargs, xs)
        return _release(result)

    def _jacobian(args, kwargs, xs):
        out = f(*args, **kwargs)
        if not isinstance(out, Tensor) or out.dtype.kind != "f":
            raise TypeError(
                f"jacrev: the function must return a float Tensor, got {_describe(out)}"
            )
        rows = []
        for k in range(out.size):
            seed = np.zeros(out.size, dtype=out.dtype)
            seed[k] = 1
            rows.append(_grads([out], [seed.reshape(out.shape)], xs))
        jacs = tuple(
            _assemble([r[j] for r in rows], out.shape + x.shape, out.dtype, x)
            for j, x in enumerate(xs)
        )
        return jacs[0] if isinstance(argnums, int | np.integer) else jacs

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
    _check_function(f, "jvp")
    for what, value in (("primals", primals), ("tangents", tangents)):
        if not isinstance(value, tuple | list):
            raise TypeError(
                f"jvp: {what} must be a tuple or list with one entry per argument of the "
                f"function, got {_describe(value)}; write jvp(f, (x,), (v,))"
            )
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    primals = tuple(_as_tensor(p, "jvp", f"primal {k}") for k, p in enumerate(primals))
    for k, (p, t) in enumerate(zip(primals, tangents, strict=True)):
        _same_shape(t, p, "jvp", f"tangent {k}", f"primal {k}")
    with dual_level() as level:
        duals = [make_dual(p, t, level) for p, t in zip(primals, tangents, strict=True)]
        out = f(*duals)
        primal_out = _tree_map(lambda o: unpack_dual(o, level).primal, out)
        tangent_out = _tree_map(lambda o: _tangent_or_zeros(o, level), out)
    return _release((primal_out, tangent_out))


def linearize(f, *primals):
    """`(f(*primals), f_jvp)` with `f_jvp(*tangents)` the JVP at `primals`. Each call of
    `f_jvp` runs one forward sweep (the primal is recomputed, not cached)."""
    _check_function(f, "linearize")
    primals = tuple(_as_tensor(p, "linearize", f"primal {k}") for k, p in enumerate(primals))
    return f(*primals), lambda *tangents: jvp(f, primals, tangents)[1]


def jacfwd(f, argnums: int | tuple[int, ...] = 0):
    """The Jacobian by forward mode: one forward sweep per input element.

    The result has shape `out.shape + x.shape` (a tuple of those for several argnums).
    """

    _check_function(f, "jacfwd")
    _check_argnums(argnums, "jacfwd")

    def jacobian_f(*args, **kwargs):
        nums = _argnums_for(argnums, len(args), "jacfwd")
        jacs = _release(tuple(_jacfwd_one(f, args, kwargs, k) for k in nums))
        return jacs[0] if isinstance(argnums, int | np.integer) else jacs

    return jacobian_f


def hessian(f, argnums: int | tuple[int, ...] = 0):
    """The Hessian of a scalar function, forward-over-reverse: `jacfwd(grad(f))`. For several
    argnums, a tuple of tuples of blocks, as JAX."""
    _check_function(f, "hessian")
    _check_argnums(argnums, "hessian")
    if isinstance(argnums, int | np.integer):
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
    x = _as_tensor(x, "hvp", "x")
    _same_shape(v, x, "hvp", "v", "x")
    return jvp(grad(f), (x,), (v,))[1]


def _jacfwd_one(f, args, kwargs, k) -> Tensor:
    x = _as_tensor(args[k], "jacfwd", f"argument {k}")

    def f_k(xk):
        return f(*args[:k], xk, *args[k + 1 :], **kwargs)

    columns = []
    for j in range(x.size):
        e = np.zeros(x.size, dtype=x.dtype)
        e[j] = 1
        out, column = jvp(f_k, (x,), (e.reshape(x.shape),))
        if not isinstance(out, Tensor) or out.dtype.kind != "f":
            raise TypeError(
                f"jacfwd: the function must return a float Tensor, got {_describe(out)}"
            )
        columns.append(column)
    if not columns:
        out = f_k(x)
        return Tensor(np.zeros(out.shape + x.shape, dtype=np.result_type(out.dtype, x.dtype)))
    dtype = np.result_type(out.dtype, x.dtype)
    columns = [c if c.dtype == dtype else c.astype(dtype) for c in columns]
    shape = out.shape + x.shape
    if any(c.requires_grad or isinstance(c, Dual) for c in columns):
        return reshape(stack(columns, axis=-1), shape)
    return Tensor(np.stack([c.data for c in columns], axis=-1).reshape(shape))


def _as_tensor(x, where: str, what: str) -> Tensor:
    """A differentiated argument as a float Tensor; containers and other dtypes are refused."""
    if isinstance(x, tuple | list | dict):
        raise TypeError(
            f"{where}: {what} is a {type(x).__name__}; differentiate with respect to arrays or "
            "Tensors (pass several as separate arguments, with argnums=(0, 1, ...))"
        )
    t = x if isinstance(x, Tensor) else Tensor(as_array(x))
    if t.dtype.kind != "f":
        raise TypeError(
            f"{where}: {what} has dtype {t.dtype}; only floating-point arguments can be "
            "differentiated (pass e.g. np.float64(3.0) or x.astype(np.float64))"
        )
    return t


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


def _fresh_inputs(args, argnums, where: str):
    """Replace the chosen arguments by new tensors that require grad: a new leaf for data,
    a new node (an alias) for a tensor that an outer level differentiates."""
    nums = _argnums_for(argnums, len(args), where)
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
            x = _as_tensor(a, where, f"argument {k}").detach().requires_grad_()
        args[k] = x
        xs.append(x)
    return args, xs


class _Transforms(threading.local):
    def __init__(self) -> None:
        self.active: set[int] = set()  # ids of the fresh inputs of transforms now running


_TRANSFORMS = _Transforms()
# The fresh inputs that transforms made, by id (weakly: they go when the graph goes).
_FRESH: weakref.WeakValueDictionary[int, Tensor] = weakref.WeakValueDictionary()


@contextlib.contextmanager
def _running(xs):
    """While a transform runs, its fresh inputs are variables (results that depend on them
    keep their graph, which the transform or an outer one differentiates)."""
    ids = {id(x) for x in xs}
    for x in xs:
        _FRESH[id(x)] = x
    _TRANSFORMS.active |= ids
    try:
        yield
    finally:
        _TRANSFORMS.active -= ids


def _release(tree):
    """`tree` with each Tensor that depends only on the fresh inputs of finished transforms
    detached, as JAX returns plain values: a result keeps its graph only if it leads to a
    tensor the user made to require grad, to a running transform's input, or is a dual."""
    if isinstance(tree, Tensor):
        if tree._requires_grad and not isinstance(tree, Dual) and not _leads_outside(tree):
            return tree.detach()
        return tree
    if isinstance(tree, tuple | list):
        return type(tree)(_release(t) for t in tree)
    if isinstance(tree, dict):
        return {k: _release(v) for k, v in tree.items()}
    return tree


def _leads_outside(t: Tensor) -> bool:
    for u in toposort([t]):
        if isinstance(u, Dual):
            return True
        if u._op is None and (_FRESH.get(id(u)) is not u or id(u) in _TRANSFORMS.active):
            return True
    return False


def _same_shape(value, like: Tensor, where: str, what: str, other: str) -> None:
    """A cotangent or tangent must have its output's or primal's shape exactly."""
    shape = np.shape(value.data if isinstance(value, Tensor) else value)
    if shape != like.shape:
        raise ValueError(
            f"{where}: {what} has shape {shape} but {other} has shape {like.shape}; they must "
            "be equal"
        )


def _check_function(f, where: str) -> None:
    if not callable(f):
        raise TypeError(f"{where}: expected a function to differentiate, got {_describe(f)}")


def _check_argnums(argnums, where: str) -> None:
    if isinstance(argnums, int | np.integer) and not isinstance(argnums, bool):
        return
    if isinstance(argnums, tuple | list) and argnums and all(is_int(k) for k in argnums):
        return
    raise TypeError(
        f"{where}: argnums must be an int or a non-empty tuple of ints, got {argnums!r:.40}"
    )


def _argnums_for(argnums, count: int, where: str) -> tuple[int, ...]:
    """`argnums` as a tuple of indices into `count` positional arguments (negative ones count
    from the end), each in range and given once."""
    _check_argnums(argnums, where)
    nums = (argnums,) if isinstance(argnums, int | np.integer) else tuple(argnums)
    out = []
    for k in nums:
        if not -count <= k < count:
            raise ValueError(
                f"{where}: argnums {argnums} asks for argument {k}, but the function was called "
                f"with {count} positional argument{'s' if count != 1 else ''}"
            )
        out.append(int(k) % count)
    if len(set(out)) != len(out):
        raise ValueError(f"{where}: argnums {argnums} names an argument twice")
    return tuple(out)


def _leaves(tree, what: str, like=None, arrays: bool = False) -> list:
    """The Tensors of a Tensor or a (nested) tuple, list or dict of them, in order; with `like`,
    `tree` must have the same structure (and may hold arrays or numbers where `arrays`)."""
    if like is None:
        like = tree
    problem = ""
    if isinstance(like, Tensor):
        if isinstance(tree, Tensor) or (arrays and _numeric(tree)):
            return [tree]
    elif isinstance(like, tuple | list) and isinstance(tree, tuple | list):
        if len(tree) == len(like):
            return [
                leaf
                for t, s in zip(tree, like, strict=True)
                for leaf in _leaves(t, what, s, arrays)
            ]
        problem = f": {len(tree)} entries where the output has {len(like)}"
    elif isinstance(like, dict) and isinstance(tree, dict):
        if set(tree) == set(like):
            return [leaf for k in like for leaf in _leaves(tree[k], what, like[k], arrays)]
        problem = f": keys {sorted(map(str, tree))} where the output has {sorted(map(str, like))}"
    if like is tree:
        expected = "a Tensor or a tuple, list or dict of Tensors"
    else:
        expected = f"the output's structure {_structure(like)}"
    raise TypeError(f"{what} must have {expected}, got {_structure(tree)}{problem}")


def _numeric(x) -> bool:
    return isinstance(x, np.ndarray | np.generic | int | float) and not isinstance(x, bool)


def _structure(tree) -> str:
    if isinstance(tree, Tensor):
        return f"Tensor{tree.shape}"
    if isinstance(tree, np.ndarray):
        return f"array{tree.shape}"
    if isinstance(tree, tuple | list):
        inner = ", ".join(_structure(t) for t in tree)
        return f"({inner})" if isinstance(tree, tuple) else f"[{inner}]"
    if isinstance(tree, dict):
        return "{" + ", ".join(f"{k!r}: {_structure(v)}" for k, v in tree.items()) + "}"
    return type(tree).__name__


def _grads(outs, seeds, xs) -> list[Tensor]:
    """d(outs)/d(xs) with cotangents `seeds`; zeros where an output does not depend on x."""
    pairs = [(o, s) for o, s in zip(outs, seeds, strict=True) if o.requires_grad]
    if not pairs:
        return [Tensor(np.zeros_like(x.data)) for x in xs]  # f does not depend on xs
    outs, seeds = [o for o, _ in pairs], [s for _, s in pairs]
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


def _assemble(rows, shape, out_dtype, x) -> Tensor:
    """The Jacobian from its rows, in the dtype both the output and the input promote to (as
    jacfwd gives), zeros for an output with no elements."""
    dtype = np.result_type(out_dtype, x.dtype)
    if not rows:
        return Tensor(np.zeros(shape, dtype=dtype))
    if any(r.requires_grad or isinstance(r, Dual) for r in rows):
        return reshape(stack([r if r.dtype == dtype else r.astype(dtype) for r in rows]), shape)
    return Tensor(np.stack([r.data for r in rows]).reshape(shape).astype(dtype))


def _describe(value) -> str:
    if isinstance(value, Tensor):
        return f"a Tensor of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return type(value).__name__
