"""NumPy's functions on tensors (its `__array_function__` protocol): they run on the data, and
a float result computed from a tensor that requires grad is refused, since it would silently
drop the gradient (minigrad's function of the same name records it instead)."""

from __future__ import annotations

import numpy as np

from minigrad.tensor import Tensor

# NumPy functions that read only a tensor's shape: safe whatever the tensor.
_METADATA = {np.shape, np.ndim, np.size}


def _has_float(value) -> bool:
    if isinstance(value, np.ndarray | np.generic):
        return value.dtype.kind in "fc"
    if isinstance(value, tuple | list):
        return any(_has_float(v) for v in value)
    return isinstance(value, float | complex)


def any_requires_grad(tree) -> bool:
    if isinstance(tree, Tensor):
        return tree._requires_grad
    if isinstance(tree, tuple | list):
        return any(any_requires_grad(t) for t in tree)
    if isinstance(tree, dict):
        return any(any_requires_grad(t) for t in tree.values())
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


def array_function(func, args, kwargs):
    if func in _METADATA:
        return func(*unwrap(args), **kwargs)
    result = func(*unwrap(args), **unwrap(kwargs))
    if not _has_float(result) or not any_requires_grad((args, kwargs)):
        return result
    from minigrad import functional

    name = func.__name__
    own = f"mg.{name}" if hasattr(functional, name) else "minigrad operations"
    raise TypeError(
        f"np.{name} on a tensor that requires grad would drop its gradient; use {own} "
        f"instead (they are recorded), or np.{name} on x.detach() for a constant"
    )
