"""In-place changes to tensors, and the rule that keeps them from giving wrong gradients.

minigrad records operations, not changes to memory. So:

- `c += x` (and `-=`, `*=`, `/=`) where a derivative must flow (grad mode on and `c` or `x`
  requires grad, or either is a dual) **rebinds** `c` to a new, recorded tensor `c + x`, as
  Python does for numbers and as micrograd's `Value` and JAX's arrays do. Nothing is changed
  in place, so no gradient can be wrong.
- Two cases cannot rebind safely and raise, saying what to write: a leaf that requires grad (a
  parameter: rebinding would leave the parameter unchanged, so update it under `mg.no_grad()`
  as optimisers do), and a tensor that shares memory with a view (the other tensor would not
  see the change).
- `add_`, `x[i] = v`, `copy_`, ... are in place by name; where a derivative must flow they
  raise, with the out-of-place spelling.
- Otherwise the change is made in place and bumps the version counter shared with views, so a
  backward pass that saved the old value raises instead of using the new one.
"""

from __future__ import annotations

import threading
import weakref

from minigrad.validate import restated, shape_text

# In-place changes so far, in all tensors. A recorded op notes this count; a tensor's version
# counter [version, count at its last change, shares memory with a view] tells whether it
# changed after that op ran.
IN_PLACE_CHANGES = [0]
_LOCK = threading.Lock()  # threads may change tensors in place concurrently

# What to write instead of each in-place method that cannot be recorded.
OUT_OF_PLACE = {
    "add_": "x = x + y",
    "sub_": "x = x - y",
    "mul_": "x = x * y",
    "div_": "x = x / y",
    "copy_": "x = y",
    "fill_": "x = mg.full_like(x, value)",
    "zero_": "x = mg.zeros_like(x)",
    "x[index] = value": "x = mg.where(mask, value, x)",
}


# The tensors a transform made for the user's function to differentiate (mg.grad's argument
# inside f, as JAX's tracers): `x += ...` rebinds them too, though they are leaves or aliases.
_VARIABLES: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def variable(x: Tensor) -> Tensor:
    """Mark `x` as a transform's variable (see `augmented`)."""
    _VARIABLES[id(x)] = x
    return x


def hidden_view(x: Tensor, make) -> Tensor:
    """`make(x)`: a recorded view of `x` that the user never holds as one (a transform's alias
    of an argument, a hook's identity node), so it does not mark x's memory as shared."""
    shared = x._vc[2]
    y = make(x)
    x._vc[2] = shared
    return y


def _recorded(x: Tensor, other) -> bool:
    return differentiable((x, other))


def augmented(x: Tensor, symbol: str, op, method: str, other):
    """`x <symbol>= other`: a new recorded tensor where a derivative flows, else in place."""
    if not _recorded(x, other):
        return change(x, method, other)
    if _VARIABLES.get(id(x)) is x:
        return op(x, other)
    if x._op is None and x._requires_grad:
        raise RuntimeError(
            f"`x {symbol}= ...` on a leaf tensor that requires grad (a parameter, shape "
            f"{x.shape}): minigrad would have to replace it by a new tensor, and the parameter "
            f"itself would not change. To update a parameter, as optimisers do, write "
            f"`with mg.no_grad(): x {symbol}= ...`; to compute a new tensor from it, write "
            f"`y = x {symbol} ...`"
        )
    if x._vc[2]:
        raise RuntimeError(
            f"`x {symbol}= ...`: x (shape {x.shape}) shares its memory with a view of it (or "
            "is one), and minigrad does not record changes in place: the new value would not "
            f"reach the other tensor. Write `x = x {symbol} ...` for a new tensor (the other "
            "keeps its value), or build the other tensor anew from the parts you want"
        )
    return op(x, other)


def change(x: Tensor, method: str, other, fn=None) -> Tensor:
    """Change `x` in place with `fn(x.data, value)` (the ndarray method `method` by default)."""
    if _recorded(x, other):
        raise RuntimeError(_refusal(x, method))
    value = other.data if isinstance(other, Tensor) else other
    try:
        if fn is None:
            result = getattr(x.data, method)(value)
            if result is not x.data:  # e.g. __iadd__ returning NotImplemented
                raise TypeError(f"unsupported operand {type(other).__name__}")
        else:
            fn(x.data, value)
    except (ValueError, TypeError) as err:
        raise restated(
            err,
            f"{_NAMES.get(method, method)}: {err}; tensor shape {x.shape} and dtype {x.dtype}, "
            f"{_operands(value)}",
        ) from None
    changed(x)
    return x


def _operands(value) -> str:
    """The other operand's shape, or the shapes of several (a NumPy call's inputs)."""
    if isinstance(value, tuple):
        return "operand shapes " + ", ".join(shape_text(v) for v in value)
    return f"other shape {shape_text(value)}"


def changed(x: Tensor) -> None:
    """Note that `x`'s memory was changed in place (a new version; optimisers call this after
    updating a parameter's data), so that backward passes that saved the old value refuse."""
    with _LOCK:
        IN_PLACE_CHANGES[0] += 1
        x._vc[0] += 1
        x._vc[1] = IN_PLACE_CHANGES[0]


def _refusal(x: Tensor, method: str) -> str:
    name = _NAMES.get(method, method)
    instead = OUT_OF_PLACE.get(name, "x = <the same operation, giving a new tensor>")
    if x._is_dual:
        return (
            f"{name}: changing a dual tensor in place would leave its tangent stale; "
            f"write `{instead}` instead (a new dual)"
        )
    if x._op is None and x._requires_grad:
        return (
            f"{name}: changing a leaf tensor that requires grad (a parameter, shape {x.shape}) "
            "in place is not recorded. To update a parameter, as optimisers do, do it inside "
            f"`with mg.no_grad():`; to compute a new tensor from it, write `{instead}`"
        )
    whose = "a tensor computed by recorded ops" if x._requires_grad else "a tensor"
    operand = "" if x._requires_grad else " from an operand that requires grad"
    return (
        f"{name}: changing {whose}{operand} in place is not recorded, so its gradient would be "
        f"wrong; write `{instead}` instead: a new tensor, recorded"
    )


# The ndarray methods behind the in-place methods, by the names users write.
_NAMES = {
    "__iadd__": "add_",
    "__isub__": "sub_",
    "__imul__": "mul_",
    "__itruediv__": "div_",
}


from minigrad.interop import differentiable  # noqa: E402  (the Tensor class uses these)
from minigrad.tensor import Tensor  # noqa: E402
