"""NumPy's own functions on tensors, through NumPy's dispatch protocols (`__array_ufunc__` and
`__array_function__`).

- A NumPy function that minigrad has (`np.exp`, `np.tanh`, `np.sum`, `np.dot`, ... see
  `_UFUNCS` and `_FUNCTIONS`) runs as minigrad's, so it is recorded: plain NumPy code such as
  `lambda x: np.sum(np.tanh(x) ** 2)` is differentiable unchanged, in both modes.
- Any other NumPy function runs on the data. Where a derivative would have to flow through it
  (an operand requires grad with grad mode on, or is a dual), a float result would silently
  drop it, so it raises instead, naming the function.
- Ufuncs give tensors, as minigrad's functions do; other NumPy functions without a minigrad
  counterpart give NumPy's result. A ufunc writing into a NumPy array (`out=`, as in
  `p.data += -0.1 * p.grad`) computes on the data; into a tensor, it is an in-place change
  (minigrad/inplace.py).
"""

from __future__ import annotations

import inspect

import numpy as np

from minigrad.autodiff.mode import MODE
from minigrad.tensor import Tensor

# NumPy functions that read only a tensor's shape: safe whatever the tensor.
_METADATA = {np.shape, np.ndim, np.size}


def differentiable(tree) -> bool:
    """Whether a derivative flows through `tree` (a tensor, or tuples/lists/dicts of them)."""
    if isinstance(tree, Tensor):
        return tree._is_dual or (tree._requires_grad and MODE.enabled)
    if isinstance(tree, tuple | list):
        return any(differentiable(t) for t in tree)
    if isinstance(tree, dict):
        return any(differentiable(t) for t in tree.values())
    return False


def unwrap(tree):
    """`tree` with every Tensor replaced by its data (for NumPy's own functions)."""
    if isinstance(tree, Tensor):
        return tree.data
    if isinstance(tree, tuple | list):
        return type(tree)(unwrap(t) for t in tree)
    if isinstance(tree, dict):
        return {k: unwrap(v) for k, v in tree.items()}
    return tree


def _has_float(value) -> bool:
    if isinstance(value, np.ndarray | np.generic):
        return value.dtype.kind in "fc"
    if isinstance(value, tuple | list):
        return any(_has_float(v) for v in value)
    return isinstance(value, float | complex)


def _refuse(name: str, why: str = "minigrad cannot differentiate it") -> TypeError:
    """`name` as users write it: np.exp, np.add.accumulate, np.linalg.det."""
    return TypeError(
        f"{name} on a tensor that requires grad: {why}, and its result would silently drop "
        f"the gradient. Write it with minigrad's operations, or apply {name} to x.detach() "
        "if you mean a constant"
    )


# -- ufuncs (np.exp, np.add, ..., and the operators of NumPy arrays) -------------------------
def array_ufunc(ufunc, method: str, inputs, kwargs):
    if not _UFUNCS:
        load_tables()
    name = ufunc.__name__
    out = kwargs.get("out")
    if out is not None:
        return _into(ufunc, method, inputs, kwargs, out)
    if method == "at" and isinstance(inputs[0], Tensor):  # np.add.at(x, index, values)
        _in_place(inputs[0], f"np.{name}.at(x, ...)", inputs, ufunc, method, kwargs)
        return None
    own = _UFUNCS.get(ufunc)
    if method == "reduce" and ufunc in _REDUCTIONS:
        own, inputs, kwargs = _as_reduction(ufunc, inputs, kwargs)
    elif method != "__call__":
        own = None
    if own is not None and not kwargs:
        return own(*inputs)
    result = getattr(ufunc, method)(*unwrap(inputs), **unwrap(kwargs))
    if differentiable(inputs) and _has_float(result):
        raise _refuse(
            f"np.{name}" if method == "__call__" else f"np.{name}.{method}",
            "minigrad cannot differentiate it"
            + (" with these keyword arguments" if own is not None else ""),
        )
    if isinstance(result, tuple):
        return tuple(Tensor._make(np.asarray(r), None) for r in result)
    return None if result is None else Tensor._make(np.asarray(result), None)


def _as_reduction(ufunc, inputs, kwargs):
    """np.add.reduce(x, axis=0, keepdims=False) and friends as minigrad's reductions."""
    kwargs = dict(kwargs)
    axis = kwargs.pop("axis", inputs[1] if len(inputs) > 1 else 0)
    keepdims = kwargs.pop("keepdims", False)
    own = _REDUCTIONS[ufunc]
    return (lambda x: own(x, axis, keepdims)), inputs[:1], kwargs


def _into(ufunc, method: str, inputs, kwargs, out):
    """A ufunc with `out=`: into a tensor, an in-place change; into an array, on the data."""
    outs = out if isinstance(out, tuple) else (out,)
    name = f"np.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
    rest = {k: v for k, v in kwargs.items() if k != "out"}
    if any(isinstance(o, Tensor) for o in outs):
        if len(outs) != 1:
            raise TypeError(f"{name}: out= takes one tensor; write `x, y = {name}(...)`")
        return _in_place(outs[0], f"{name}(..., out=x)", inputs, ufunc, method, rest, as_out=True)
    if differentiable(inputs):
        why = "writing the result into a NumPy array (out=) cannot be recorded"
        raise _refuse(name, why)
    getattr(ufunc, method)(*unwrap(inputs), out=outs, **unwrap(rest))
    return outs[0] if len(outs) == 1 else outs


def _in_place(target: Tensor, what: str, inputs, ufunc, method: str, kwargs, as_out=False):
    """`ufunc.method(*inputs, **kwargs)` writing into `target`'s data (as `out=` with
    `as_out`, else as an operand, as ufunc.at does): an in-place change of a tensor (refused
    where a derivative must flow, and noted by its version counter)."""
    from minigrad import inplace

    def run(data, _):
        args = [data if x is target else unwrap(x) for x in inputs]
        given = {"out": (data,)} if as_out else {}
        getattr(ufunc, method)(*args, **given, **unwrap(kwargs))

    inplace.change(target, what, inputs, run)
    return target


# -- other NumPy functions (np.sum, np.concatenate, np.linalg.norm, ...) ------------------------
def array_function(func, args, kwargs):
    if func in _METADATA:
        return func(*unwrap(args), **kwargs)
    if not _FUNCTIONS:
        load_tables()
    own = _FUNCTIONS.get(func)
    call = None if own is None else _translated(func, own, args, kwargs)
    if call is not None:
        return own(*call[0], **call[1])
    result = func(*unwrap(args), **unwrap(kwargs))
    if (result is None or _has_float(result)) and differentiable((args, kwargs)):
        name = _name(func)
        raise _refuse(
            name,
            f"minigrad's {name.split('.')[-1]} does not take these arguments"
            if own is not None
            else (
                "it writes into an array, which cannot be recorded"
                if result is None
                else "minigrad cannot differentiate it"
            ),
        )
    return result


def _name(func) -> str:
    """np.sum, np.linalg.norm: where a NumPy function lives, as users write it."""
    module = getattr(func, "__module__", "") or ""
    where = "np.linalg." if module.startswith("numpy.linalg") else "np."
    return where + func.__name__


_SIGNATURES: dict = {}


def _signature(fn) -> inspect.Signature:
    signature = _SIGNATURES.get(fn)
    if signature is None:
        signature = _SIGNATURES[fn] = inspect.signature(fn)
    return signature


def _translated(func, own, args, kwargs):
    """The NumPy call `func(*args, **kwargs)` as arguments of minigrad's `own`, bound by
    NumPy's own signature (np.prod(x, 0, np.float64) passes dtype, not keepdims), or None when
    it passes something `own` does not take (other than NumPy's default value)."""
    try:
        bound = _signature(func).bind(*args, **kwargs)
    except TypeError:
        return None
    theirs = _signature(func).parameters
    ours = _signature(own).parameters
    names = _renames(list(theirs.values()), list(ours))
    positional, named = [], {}
    for name, value in bound.arguments.items():
        param = theirs[name]
        if param.kind is param.VAR_POSITIONAL:
            positional.extend(value)  # np.einsum(subscripts, *operands)
        elif names.get(name, name) in ours:
            named[names.get(name, name)] = value
        elif not _is_default(value, param.default):
            return None
    try:
        _signature(own).bind(*positional, **named)
    except TypeError:  # np.where(condition) with one argument: NumPy's own function
        return None
    return positional, named


def _renames(theirs: list, ours: list[str]) -> dict[str, str]:
    """NumPy's leading parameter names that minigrad spells differently, by position: (a, b)
    of np.dot are (x, y); np.clip's min= and max= are a_min= and a_max=."""
    renames = {"min": "a_min", "max": "a_max"}
    for param, own in zip(theirs, ours, strict=False):
        if param.name in ours or param.kind is param.VAR_POSITIONAL:
            break
        renames[param.name] = own
    return renames


def _is_default(value, default) -> bool:
    if value is default:
        return True
    plain = (bool, int, float, str, type(None))
    return type(value) in plain and type(default) in plain and value == default


def _reciprocal(x):
    """1 / x; integers as NumPy computes them (integer division; never differentiable)."""
    from minigrad import functional as F

    if np.result_type(unwrap(x)).kind == "f":
        return F.divide(1, x)
    return Tensor._make(np.reciprocal(unwrap(x)), None)


def _tables():
    from minigrad import creation, linalg, logic
    from minigrad import functional as F

    ufuncs = {
        np.add: F.add,
        np.subtract: F.subtract,
        np.multiply: F.multiply,
        np.divide: F.divide,
        np.power: F.power,
        np.negative: F.negative,
        np.positive: lambda x: F.astype(x, np.result_type(unwrap(x))),
        np.absolute: F.abs,
        np.fabs: F.abs,
        np.exp: F.exp,
        np.log: F.log,
        np.log1p: F.log1p,
        np.sqrt: F.sqrt,
        np.square: lambda x: F.multiply(x, x),
        np.reciprocal: _reciprocal,
        np.sin: F.sin,
        np.cos: F.cos,
        np.tan: lambda x: F.divide(F.sin(x), F.cos(x)),
        np.tanh: F.tanh,
        np.maximum: F.maximum,
        np.minimum: F.minimum,
        np.matmul: linalg.matmul,
        np.sign: logic.sign,
        np.less: logic.less,
        np.less_equal: logic.less_equal,
        np.greater: logic.greater,
        np.greater_equal: logic.greater_equal,
        np.equal: logic.equal,
        np.not_equal: logic.not_equal,
        np.logical_and: logic.logical_and,
        np.logical_or: logic.logical_or,
        np.logical_not: logic.logical_not,
        np.isfinite: logic.isfinite,
    }
    reductions = {np.add: F.sum, np.multiply: F.prod, np.maximum: F.max, np.minimum: F.min}
    functions = {
        np.sum: F.sum,
        np.mean: F.mean,
        np.var: F.var,
        np.std: F.std,
        np.max: F.max,
        np.amax: F.max,
        np.min: F.min,
        np.amin: F.min,
        np.prod: F.prod,
        np.argmax: logic.argmax,
        np.argmin: logic.argmin,
        np.all: logic.all,
        np.any: logic.any,
        np.isclose: logic.isclose,
        np.allclose: logic.allclose,
        np.reshape: F.reshape,
        np.ravel: F.flatten,
        np.transpose: F.transpose,
        np.swapaxes: F.swapaxes,
        np.squeeze: F.squeeze,
        np.expand_dims: F.expand_dims,
        np.broadcast_to: F.broadcast_to,
        np.concatenate: F.concatenate,
        np.stack: F.stack,
        np.split: F.split,
        np.where: F.where,
        np.clip: F.clip,
        np.einsum: linalg.einsum,
        np.dot: linalg.dot,
        np.vdot: linalg.vdot,
        np.outer: linalg.outer,
        np.linalg.norm: linalg.norm,
        np.zeros_like: creation.zeros_like,
        np.ones_like: creation.ones_like,
        np.full_like: creation.full_like,
    }
    return ufuncs, reductions, functions


_UFUNCS, _REDUCTIONS, _FUNCTIONS = {}, {}, {}


def load_tables() -> None:
    """Fill the tables (once minigrad's modules are all imported)."""
    ufuncs, reductions, functions = _tables()
    _UFUNCS.update(ufuncs)
    _REDUCTIONS.update(reductions)
    _FUNCTIONS.update(functions)
