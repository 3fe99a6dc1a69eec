"""Custom ops: `Function` subclasses with NumPy forward, backward and (optional) jvp.

>>> import numpy as np, minigrad as mg
>>> class Cube(mg.Function):
...     @staticmethod
...     def forward(ctx, x):
...         ctx.save_for_backward(x)
...         return x ** 3
...     @staticmethod
...     def backward(ctx, g):
...         (x,) = ctx.saved_tensors
...         return 3 * x ** 2 * g
>>> x = mg.tensor([1.0, 2.0], requires_grad=True)
>>> Cube.apply(x).sum().backward()
>>> x.grad
tensor([ 3., 12.])
"""

from __future__ import annotations

import inspect

import numpy as np

from minigrad.autodiff.graph import Primitive
from minigrad.autodiff.mode import is_grad_enabled
from minigrad.tensor import Tensor


class NoJvpError(RuntimeError):
    """Forward mode reached a custom op that defines no jvp."""


class Context:
    """What a custom op's forward leaves for its backward and jvp."""

    def __init__(self, needs_input_grad: tuple[bool, ...]) -> None:
        self.needs_input_grad = needs_input_grad
        self.saved_tensors: tuple = ()

    def save_for_backward(self, *arrays) -> None:
        self.saved_tensors = arrays


class Function:
    """Base class of custom ops. Subclasses define static methods on NumPy arrays:

    - ``forward(ctx, *args)`` returns the output array (save what backward needs with
      ``ctx.save_for_backward``; ``ctx.needs_input_grad`` says which inputs want gradients);
    - ``backward(ctx, g)`` returns one gradient per input (an array of the input's shape, or
      None), given the output's gradient ``g``;
    - ``jvp(ctx, *tangents)`` (optional) returns the output tangent, given one tangent per
      input (zeros for inputs without one). Without it, forward mode through the op raises.

    ``MyOp.apply(*inputs)`` records the op in the graph like a primitive, under ``MyOp.name``
    (default: the class name), which errors and rendered graphs use. Its derivatives are
    first order: the backward is NumPy code, so differentiating through it a second time
    raises a clear error.
    """

    name: str | None = None

    @staticmethod
    def forward(ctx: Context, *args):
        raise NotImplementedError(
            "Function.forward is for subclasses to define: @staticmethod def forward(ctx, x, ...)"
            " returning the output array"
        )

    @staticmethod
    def backward(ctx: Context, g):
        raise NotImplementedError(
            "Function.backward is for subclasses to define: @staticmethod def backward(ctx, g)"
            " returning the gradient with respect to each input"
        )

    jvp = None

    @classmethod
    def check(cls, *shapes, trials: int = 3, second_order: bool = False, **options):
        """Gradient-check this op in one line, on `trials` random inputs of the given shapes
        (one per input; by default each input of shape (3,), then (2, 3)): reverse mode, and
        forward mode if the op defines `jvp`. See `minigrad.testing.check_function` for the
        options; raises `GradcheckError` on failure and returns the results otherwise."""
        from minigrad.testing import check_function

        modes = ("rev", "fwd") if cls.jvp is not None else ("rev",)
        if shapes:
            return check_function(
                cls.apply, *shapes, trials=trials, modes=modes, second_order=second_order, **options
            )
        arity = len(inspect.signature(cls.forward).parameters) - 1
        return [
            r
            for shape in [(3,), (2, 3)]
            for r in check_function(
                cls.apply,
                *[shape] * arity,
                trials=trials,
                modes=modes,
                second_order=second_order,
                **options,
            )
        ]

    @classmethod
    def apply(cls, *inputs) -> Tensor:
        """Apply the op to `inputs` (Tensors, arrays or numbers), recorded for backward when an
        input requires grad. As in PyTorch, a Function without `backward` (forward mode only)
        applies; a backward pass through it raises, saying what to add."""
        _check_method(cls, "forward")
        needs = tuple(isinstance(x, Tensor) and x.requires_grad for x in inputs)
        if any(needs) and is_grad_enabled() and cls.backward is not Function.backward:
            _check_method(cls, "backward")  # a backward that is not a function: say so now
        out = CustomOp(cls, needs)(*inputs)
        return out if isinstance(out, Tensor) else Tensor(out)


_MISSING = {
    "forward": (
        "forward(ctx, *inputs)",
        "add `@staticmethod def forward(ctx, x)` (one argument per input) computing the "
        "output array from NumPy arrays",
    ),
    "backward": (
        "backward(ctx, g)",
        "add `@staticmethod def backward(ctx, g)` returning the gradient with respect to each "
        "input (an array of that input's shape, or None), given the output's gradient g",
    ),
}


def _check_method(cls: type[Function], method: str) -> None:
    """Raise, naming the op, if `cls` does not define `method` (or defines it as a non-function)."""
    name = cls.name or cls.__name__
    value = getattr(cls, method)
    signature, advice = _MISSING[method]
    if value is getattr(Function, method):
        why = " (so gradients cannot flow through it)" if method == "backward" else ""
        raise NotImplementedError(f"custom op `{name}` defines no {signature}{why}; {advice}")
    if not callable(value):
        raise TypeError(
            f"custom op `{name}`: {method} must be a function, got {type(value).__name__} "
            f"{value!r:.40}; {advice}"
        )


class CustomOp(Primitive, register=False):
    """The graph node of one application of a `Function`."""

    __slots__ = ("function", "needs_input_grad", "ctx", "cache")

    def __init__(self, function: type[Function], needs_input_grad: tuple[bool, ...]) -> None:
        self.function, self.needs_input_grad = function, needs_input_grad
        # One application, one context: a clone made by forward mode shares it.
        self.ctx = Context(needs_input_grad)
        self.cache = None

    @property
    def name(self) -> str:
        return self.function.name or self.function.__name__

    def params(self) -> dict:
        return {}  # the name says it all

    def forward(self, *args):
        out = self.function.forward(self.ctx, *args)
        if isinstance(out, tuple | list) or out is None or isinstance(out, Tensor):
            raise TypeError(
                f"custom op `{self.name}`: forward must return one NumPy array (or number), got "
                f"{type(out).__name__}; ops with several outputs are not supported, write one "
                "Function per output"
            )
        out = np.asarray(out)
        if out.dtype.kind not in "biuf":
            raise TypeError(
                f"custom op `{self.name}`: forward returned an array of dtype {out.dtype}, "
                "not numbers"
            )
        if any(isinstance(a, np.ndarray) and np.may_share_memory(out, a) for a in args):
            out = out.copy()  # an input returned as is (or a view of it) would share memory
        return out

    def evaluate(self, *args):
        return CustomOp(self.function, self.needs_input_grad).forward(*args)

    def vjp(self, xp, i, g, ans, *xs):
        if xp is not np:
            return OnceDifferentiable(
                self.name, self.vjp(np, i, _array(g), None, *map(_array, xs))
            )(g, *xs)
        cache = self.cache  # read once: another thread may sweep the same graph
        if cache is None or cache[0] is not g:
            _check_method(self.function, "backward")
            grads = self.function.backward(self.ctx, g)
            grads = grads if isinstance(grads, tuple | list) else (grads,)
            if len(grads) != len(xs):
                raise ValueError(
                    f"custom op `{self.name}`: backward returned {len(grads)} "
                    f"gradients for {len(xs)} inputs"
                )
            self.cache = cache = (g, grads)
        return _checked(self.name, "backward returned a gradient", cache[1][i], xs[i], i)

    def jvp(self, xp, i, dx, ans, *xs):
        if self.function.jvp is None:
            raise NoJvpError(
                f"forward mode through custom op `{self.name}`: it defines no "
                "jvp(ctx, *tangents); add one to use jvp, jacfwd, hessian or hvp with it"
            )
        if xp is not np:
            return OnceDifferentiable(
                self.name, self.jvp(np, i, _array(dx), _array(ans), *map(_array, xs))
            )(dx, *xs)
        tangents = [dx if j == i else np.zeros_like(x) for j, x in enumerate(xs)]
        out = self.function.jvp(self.ctx, *tangents)
        return _checked(self.name, "jvp returned a tangent", out, ans, None)


class OnceDifferentiable(Primitive, register=False):
    """A value computed by a custom op's NumPy derivative code: it can be used, but not
    differentiated again."""

    __slots__ = ("op_name", "value")

    def __init__(self, op_name: str, value: np.ndarray) -> None:
        self.op_name, self.value = op_name, value

    @property
    def name(self) -> str:
        return f"{self.op_name} (derivative)"

    def params(self) -> dict:
        return {}

    def forward(self, *args):
        return self.value

    def vjp(self, xp, i, g, ans, *xs):
        raise self._error()

    def jvp(self, xp, i, dx, ans, *xs):
        raise self._error()

    def _error(self) -> RuntimeError:
        return RuntimeError(
            f"custom op `{self.op_name}`: its derivative is NumPy code, so it cannot be "
            "differentiated again (create_graph, hessian, hvp, nested grad or jvp); write "
            "the op as a composite of minigrad operations to get higher derivatives"
        )


def _checked(name: str, what: str, value, like, i: int | None) -> np.ndarray:
    """A derivative returned by user code, as an array of `like`'s shape with numbers (None
    means zero), or a TypeError/ValueError naming the op."""
    target = "its output" if i is None else f"input {i}"
    if value is None:
        return np.zeros(np.shape(like))
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"custom op `{name}`: {what} for {target} that is not an array: {err}"
        ) from None
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"custom op `{name}`: {what} of dtype {array.dtype} for {target}; return numbers"
        )
    if array.shape != np.shape(like):
        raise ValueError(
            f"custom op `{name}`: {what} of shape {array.shape} for {target} of shape "
            f"{np.shape(like)}"
        )
    return array


def _array(x):
    return x.data if isinstance(x, Tensor) else np.asarray(x)
