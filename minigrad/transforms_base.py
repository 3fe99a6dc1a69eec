"""What the function transforms share: fresh inputs and plain results, checks of their
arguments, pytree arguments as flat lists of tensors, and Jacobians nested as JAX nests them."""

from __future__ import annotations

import contextlib
import threading
import weakref

import numpy as np

from minigrad import pytree
from minigrad.autodiff.forward import Dual
from minigrad.autodiff.graph import toposort
from minigrad.autodiff.mode import TRACING, enable_grad
from minigrad.autodiff.reverse import backward
from minigrad.dtypes import as_array
from minigrad.functional import concatenate, reshape, stack
from minigrad.inplace import hidden_view, variable
from minigrad.pytree import describe
from minigrad.tensor import Tensor
from minigrad.validate import integer, is_int

ALLOWED = (
    "differentiate with respect to Tensors, NumPy arrays or numbers, alone or in (nested) "
    "tuples, lists, dicts and namedtuples (None is an empty container)"
)


class arg_name:  # noqa: N801 (used as the function it replaces)
    """Argument `k` of `f` (or the leaf at `path` in it) for messages: "argument 0" when the
    argument is one array, else its parameter's name and path, "params['w'][1]". Worked out
    only when a message prints it: `inspect.signature` on every call cost transforms about
    as much as the backward pass of a small network."""

    __slots__ = ("f", "k", "path")

    def __init__(self, f, k: int, path: str) -> None:
        self.f, self.k, self.path = f, k, path

    def __str__(self) -> str:
        root = pytree.parameter_name(self.f, self.k, f"args[{self.k}]")
        return pytree.name(root, self.path, f"argument {self.k}")

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


def as_tensor(x, where: str, what: str) -> Tensor:
    """A differentiated leaf as a float Tensor; other types and dtypes are refused."""
    if not _numeric(x):
        raise TypeError(f"{where}: {what} is {describe(x)}; {ALLOWED}")
    try:
        t = x if isinstance(x, Tensor) else Tensor(as_array(x))
    except (TypeError, ValueError) as err:
        raise TypeError(f"{where}: {what}: {err}; {ALLOWED}") from None
    if t.dtype.kind != "f":
        raise TypeError(
            f"{where}: {what} has dtype {t.dtype}; only floating-point arguments can be "
            "differentiated (pass e.g. np.float64(3.0) or x.astype(np.float64))"
        )
    return t


def _numeric(x) -> bool:
    return isinstance(x, Tensor | np.ndarray | np.generic | int | float)


def tensor_tree(f, tree, k: int, where: str) -> tuple[list[Tensor], pytree.TreeDef]:
    """The leaves of argument `k` as float Tensors, and its structure."""
    leaves, treedef = pytree.flatten(tree, where)
    paths = treedef.paths()
    tensors = [as_tensor(x, where, arg_name(f, k, p)) for x, p in zip(leaves, paths, strict=True)]
    return tensors, treedef


def chunk_size_of(chunk_size, where: str) -> int | None:
    """jacfwd's and jacrev's `chunk_size`: None (all directions in one sweep) or at least 1."""
    return None if chunk_size is None else integer(chunk_size, where, "chunk_size", low=1)


def basis_rows(size: int, chunk: int, dtype):
    """The rows of the identity of order `size`, `chunk` at a time: arrays (batch, size)."""
    for start in range(0, size, chunk):
        batch = min(chunk, size - start)
        rows = np.zeros((batch, size), dtype=dtype)
        rows[np.arange(batch), start + np.arange(batch)] = 1
        yield rows


def concatenated(tensors) -> Tensor:
    """Tensors joined on axis 0: recorded where one of them has a graph or is a dual."""
    if any(t.requires_grad or isinstance(t, Dual) for t in tensors):
        return tensors[0] if len(tensors) == 1 else concatenate(tensors, axis=0)
    return Tensor(np.concatenate([t.data for t in tensors], axis=0))


def untraced(args, where: str) -> None:
    """Refuse symbols of a program being traced: inside make_program and mg.compile only
    grad and value_and_grad are derived symbolically (the other transforms would read values)."""
    if not TRACING:
        return
    from minigrad.program.trace import has_symbols

    if has_symbols(args):
        raise NotImplementedError(
            f"{where} inside make_program or mg.compile is not supported: only mg.grad and "
            "mg.value_and_grad are derived inside a trace; trace the function itself and use "
            "program.vjp() or program.jvp() on the program"
        )


def fresh_inputs(f, args, argnums, where: str):
    """Replace each leaf of the chosen arguments by a new tensor that requires grad: a new leaf
    for data, a new node (an alias) for a tensor that an outer level differentiates, a new dual
    for a dual. Each leaf gets its own, even when one array appears twice. Returns the new
    arguments, the new tensors in order, and each chosen argument's structure."""
    untraced(args, where)
    args = list(args)
    xs, defs = [], []
    for k in argnums_for(argnums, len(args), where):
        leaves, treedef = pytree.flatten(args[k], where)
        fresh = [
            _fresh(a, where, arg_name(f, k, p))
            for a, p in zip(leaves, treedef.paths(), strict=True)
        ]
        args[k] = treedef.unflatten(fresh)
        xs.extend(fresh)
        defs.append(treedef)
    return args, xs, defs


def _fresh(a, where: str, what: str) -> Tensor:
    """(`x += ...` inside the function rebinds these, as JAX does: see inplace.variable.)"""
    if isinstance(a, Tensor) and a.requires_grad:
        with enable_grad():
            return variable(hidden_view(a, lambda t: reshape(t, t.shape)))
    if isinstance(a, Dual):  # keep the tangent: forward-over-reverse
        return variable(Dual._wrap(a.primal, a.tangent, a.level).requires_grad_())
    return variable(as_tensor(a, where, what).detach().requires_grad_())


def split(flat: list, defs: list[pytree.TreeDef], single: bool):
    """`flat` (one value per leaf of the chosen arguments) as those arguments' trees: the one
    tree for an int argnums, else a tuple of them."""
    trees, start = [], 0
    for d in defs:
        trees.append(d.unflatten(flat[start : start + d.num_leaves]))
        start += d.num_leaves
    return trees[0] if single else tuple(trees)


def nest(out_def: pytree.TreeDef, blocks: list[list], defs, single: bool):
    """Jacobian blocks [output leaf][input leaf] nested as JAX's jacrev and jacfwd nest them:
    the output's structure outside, the arguments' structure inside."""
    return out_def.unflatten([split(row, defs, single) for row in blocks])


def tensor_outputs(out, where: str, floats: bool = False) -> tuple[list, pytree.TreeDef]:
    """The leaves of a function's output, each a Tensor (a float one with `floats`), and its
    structure."""
    outs, out_def = pytree.flatten(out, where)
    kind = "float Tensor" if floats else "Tensor"
    for o, p in zip(outs, out_def.paths(), strict=True):
        if not isinstance(o, Tensor) or (floats and o.dtype.kind != "f"):
            place = f", but output{p} is {describe(o)}" if p else f", got {got(o)}"
            raise TypeError(
                f"{where}: the function must return a {kind} or a tuple, list or dict of them"
                + place
            )
    return outs, out_def


def check_like(tree, like, where: str, what, other, dtypes: bool) -> list:
    """The leaves of `tree` (cotangents, tangents), which must have `like`'s structure, and at
    each leaf a number, array or Tensor of the same shape (and dtype, if `dtypes`, except for
    Python numbers). `what(path)` and `other(path)` name the leaves of each in messages."""
    found = pytree.mismatch(tree, like, where)
    if found is not None:
        path, given, expected = found
        raise TypeError(
            f"{where}: {what(path)} is {given} but {other(path)} is {expected}; they must have "
            "the same structure"
        )
    leaves, treedef = pytree.flatten(tree, where)
    for v, u, p in zip(leaves, pytree.leaves(like), treedef.paths(), strict=True):
        if not _numeric(v) or isinstance(v, bool | np.bool_):
            raise TypeError(
                f"{where}: {what(p)} is {describe(v)}; give a Tensor, NumPy array or number"
            )
        shape, like_shape = np.shape(v), np.shape(u)
        if shape != like_shape:
            raise ValueError(
                f"{where}: {what(p)} has shape {shape} but {other(p)} has shape {like_shape}; "
                "they must be equal"
            )
        # NOTE: Python numbers are weakly typed (as in JAX): they take the other's dtype.
        typed = type(v) not in (int, float) and type(u) not in (int, float)
        if dtypes and typed and v.dtype != u.dtype:
            raise TypeError(
                f"{where}: {what(p)} has dtype {v.dtype} but {other(p)} has dtype {u.dtype}; "
                f"they must be equal (convert it with .astype(np.{u.dtype}))"
            )
    return leaves


def grads(outs, seeds, xs, batch: int | None = None) -> list[Tensor]:
    """d(outs)/d(xs) with cotangents `seeds`; zeros where an output does not depend on x. With
    `batch`, seeds and results carry a leading batch axis of that length."""

    def zeros(x):
        return Tensor(np.zeros(x.shape if batch is None else (batch, *x.shape), x.dtype))

    pairs = [(o, s) for o, s in zip(outs, seeds, strict=True) if o.requires_grad]
    if not pairs:
        return [zeros(x) for x in xs]  # f does not depend on xs
    outs, seeds = [o for o, _ in pairs], [s for _, s in pairs]
    ours = {id(x) for x in xs}
    order = toposort(outs)
    outer = any((t._op is None and id(t) not in ours) or isinstance(t, Dual) for t in order)
    outer = outer or any(
        isinstance(s, Tensor) and (s.requires_grad or isinstance(s, Dual)) for s in seeds
    )
    found = backward(outs, seeds, retain_graph=True, create_graph=outer, targets=xs, batch=batch)
    return [zeros(x) if g is None else g for g, x in zip(found, xs, strict=True)]


def assemble(parts, shape, out_dtype, x, axis: int) -> Tensor:
    """A Jacobian block from its rows (axis 0) or columns (axis -1), in the dtype both the
    output and the input promote to, zeros for a block with no elements."""
    dtype = np.result_type(out_dtype, x.dtype)
    if not parts:
        return Tensor(np.zeros(shape, dtype=dtype))
    if any(r.requires_grad or isinstance(r, Dual) for r in parts):
        parts = [r if r.dtype == dtype else r.astype(dtype) for r in parts]
        return reshape(stack(parts, axis=axis), shape)
    return Tensor(np.stack([r.data for r in parts], axis=axis).reshape(shape).astype(dtype))


class _Transforms(threading.local):
    def __init__(self) -> None:
        self.active: set[int] = set()  # ids of the fresh inputs of transforms now running


_TRANSFORMS = _Transforms()
# The fresh inputs that transforms made, by id (weakly: they go when the graph goes).
_FRESH: weakref.WeakValueDictionary[int, Tensor] = weakref.WeakValueDictionary()


@contextlib.contextmanager
def running(xs):
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


def release(tree):
    """`tree` with each Tensor that depends only on the fresh inputs of finished transforms
    detached, as JAX returns plain values: a result keeps its graph only if it leads to a
    tensor the user made to require grad, to a running transform's input, or is a dual."""
    return pytree.tree_map(_release, tree)


def _release(t):
    if isinstance(t, Tensor) and t._requires_grad and not isinstance(t, Dual):
        return t if _leads_outside(t) else t.detach()
    return t


def _leads_outside(t: Tensor) -> bool:
    for u in toposort([t]):
        if isinstance(u, Dual):
            return True
        if u._op is None and (_FRESH.get(id(u)) is not u or id(u) in _TRANSFORMS.active):
            return True
    return False


def got(value) -> str:
    """A value as "got ..." messages name it: its shape and dtype, or its type."""
    if isinstance(value, Tensor):
        return f"a Tensor of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return type(value).__name__


def check_function(f, where: str) -> None:
    if not callable(f):
        raise TypeError(f"{where}: expected a function to differentiate, got {got(f)}")


def check_argnums(argnums, where: str) -> None:
    if isinstance(argnums, int | np.integer) and not isinstance(argnums, bool):
        return
    if isinstance(argnums, tuple | list) and argnums and all(is_int(k) for k in argnums):
        return
    raise TypeError(
        f"{where}: argnums must be an int or a non-empty tuple of ints, got {argnums!r:.40}"
    )


def argnums_for(argnums, count: int, where: str) -> tuple[int, ...]:
    """`argnums` as a tuple of indices into `count` positional arguments (negative ones count
    from the end), each in range and given once."""
    check_argnums(argnums, where)
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
