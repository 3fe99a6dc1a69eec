"""Tensor: a NumPy array that remembers how it was computed. Methods delegate to functional."""

from __future__ import annotations

import itertools
import warnings

import numpy as np

from minigrad.autodiff.mode import MODE, OFF
from minigrad.dtypes import as_array
from minigrad.validate import flag

# Creation order: a tensor's number exceeds its inputs', which orders the backward sweep.
_SEQUENCE = itertools.count()


class Tensor:
    """A NumPy array with autodiff: `data`, `grad`, `requires_grad`, `name`.

    `Tensor(data)` (like `mg.tensor`) copies `data`, so later changes to the user's array
    never reach the tensor; `mg.from_numpy(array)` shares the memory instead.

    >>> import minigrad as mg
    >>> x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    tensor([2., 4., 6.])
    """

    __slots__ = (
        "data",
        "_grad",
        "name",
        "_requires_grad",
        "_op",
        "_vc",
        "_hooks",
        "_retains_grad",
        "_seq",
        "__weakref__",
    )

    _is_dual = False  # forward mode's Dual sets this

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        """NumPy's ufuncs (np.exp, ndarray + Tensor, ...) on tensors: see `minigrad.interop`."""
        return interop.array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        """NumPy functions (np.sum, np.allclose, ...) on tensors: see `minigrad.interop`."""
        return interop.array_function(func, args, kwargs)

    def __init__(
        self,
        data,
        dtype=None,
        requires_grad: bool = False,
        name: str | None = None,
        *,
        label: str | None = None,
    ):
        self._init(as_array(data, dtype, copy=True), requires_grad, either_name(name, label))

    @classmethod
    def _leaf(cls, data: np.ndarray, requires_grad: bool = False, name: str | None = None):
        """A leaf around an array that nobody else holds (no copy; constructors use this)."""
        t = object.__new__(cls)
        t._init(data, requires_grad, name)
        return t

    def _init(self, data: np.ndarray, requires_grad, name) -> None:
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Tensor: name must be a str or None, got {type(name).__name__}")
        self.data = data
        self._grad = None
        self.name = name
        self._requires_grad = False
        self._op = None
        self._vc = [0, 0, False]
        self._hooks = None
        self._retains_grad = False
        self._seq = next(_SEQUENCE)
        if requires_grad is not False:
            self.requires_grad = requires_grad

    @staticmethod
    def _make(data: np.ndarray, op) -> Tensor:
        """Wrap an op's output without conversion (the engine's fast path)."""
        t = object.__new__(Tensor)
        t.data = data
        t._grad = None
        t.name = None
        t._requires_grad = op is not None
        t._op = op
        t._vc = [0, 0, False]
        t._hooks = None
        t._retains_grad = False
        t._seq = next(_SEQUENCE)
        return t

    # -- autodiff state ------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        value = flag(value, "Tensor", "requires_grad")
        if self._op is not None:
            raise RuntimeError(
                "requires_grad can only be changed on leaf tensors; this one was computed by "
                f"`{self._op.name}`. Use .detach() to get a leaf."
            )
        if value and self.data.dtype.kind != "f":
            raise TypeError(
                f"only floating-point tensors can require grad, this one is {self.dtype}; "
                "convert it first, e.g. x.astype(np.float32)"
            )
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        self.requires_grad = requires_grad
        return self

    @property
    def grad(self) -> Tensor | None:
        """The accumulated gradient (a Tensor of this tensor's shape and dtype), or None."""
        if self._grad is None and self._op is not None and not self._retains_grad:
            warnings.warn(
                f"reading .grad of a tensor computed by `{self._op.name}` (not a leaf): "
                "backward() fills .grad only for leaves, so it is None. Call .retain_grad() on "
                "it before backward() to keep its gradient, or read the leaf's .grad",
                UserWarning,
                stacklevel=2,
            )
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is None:
            self._grad = None
            return
        if isinstance(value, int | float | np.number) and not isinstance(value, bool | np.bool_):
            if value == 0:  # micrograd's `p.grad = 0.0`
                self._grad = Tensor._make(np.zeros_like(self.data), None)
                return
            if self.ndim == 0 and self.dtype.kind == "f":  # micrograd's manual backprop
                self._grad = Tensor._make(np.array(value, dtype=self.dtype), None)
                return
        if not isinstance(value, Tensor | np.ndarray):
            raise TypeError(
                f"grad: assign None (to reset it, as zero_grad() does), 0 (zeros), a number (to "
                f"a 0-d float tensor) or a Tensor of shape {self.shape} and dtype {self.dtype}, "
                f"not {type(value).__name__} {value!r:.40}"
            )
        if value.shape != self.shape or value.dtype != self.dtype:
            raise ValueError(
                f"grad: the gradient must have this tensor's shape {self.shape} and dtype "
                f"{self.dtype}, got shape {value.shape} and dtype {value.dtype}"
            )
        self._grad = value if isinstance(value, Tensor) else Tensor(value)

    @property
    def label(self) -> str | None:
        """Another name for `name` (micrograd's)."""
        return self.name

    @label.setter
    def label(self, value: str | None) -> None:
        if value is not None and not isinstance(value, str):
            raise TypeError(f"Tensor: label must be a str or None, got {type(value).__name__}")
        self.name = value

    @property
    def grad_fn(self):
        """The recorded op that computed this tensor (read only: `.name`, `.inputs`,
        `.params`), or None for a leaf; follow `.inputs` to walk the graph."""
        from minigrad.autodiff.graph import OpView

        return None if self._op is None else OpView(self._op)

    @property
    def is_leaf(self) -> bool:
        """True unless the tensor was computed by a recorded op."""
        return self._op is None

    @property
    def _version(self) -> int:
        """How many in-place changes this tensor's memory has seen (shared with its views)."""
        return self._vc[0]

    def detach(self) -> Tensor:
        """The same data (shared, with the same version counter), cut from the graph."""
        t = Tensor._make(self.data, None)
        t._vc = self._vc
        return t

    def retain_grad(self) -> Tensor:
        """Keep the gradient of this non-leaf tensor in `.grad` after backward()."""
        if self._op is not None:
            self._retains_grad = True
        return self

    def register_hook(self, hook):
        """Call `hook(grad)` when the gradient flowing into this tensor is complete.

        The hook may return a Tensor of the gradient's shape and dtype to use in its place.
        Returns a handle with `.remove()`.
        """
        if not callable(hook):
            raise TypeError(
                f"register_hook: the hook must be a function of the gradient, got "
                f"{type(hook).__name__} {hook!r:.40}"
            )
        if not self._requires_grad:
            raise RuntimeError(
                "register_hook: the tensor does not require grad, so no gradient will flow into it"
            )
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return _HookHandle(self._hooks, hook)

    def backward(
        self,
        gradient=None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        inputs=None,
    ) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's `.grad` (PyTorch semantics); with
        `inputs` (a tensor or a list of them), into those tensors' `.grad` only."""
        from minigrad.autodiff.reverse import backward

        backward(
            [self], [gradient], retain_graph=retain_graph, create_graph=create_graph, into=inputs
        )

    # -- array facts ---------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def item(self):
        return self.data.item()

    def __format__(self, spec: str) -> str:
        """`f"{x:.4f}"`: the number for one-element tensors, else each element formatted."""
        if not spec:
            return str(self)
        if self.size == 1:
            return format(self.data.item(), spec)
        each = {"all": lambda v: format(v, spec)}
        body = np.array2string(self.data, separator=", ", prefix="tensor(", formatter=each)
        return f"tensor({body})"

    def numpy(self) -> np.ndarray:
        """The data as a NumPy array (shared, not copied)."""
        return self.data

    def tolist(self):
        return self.data.tolist()

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __array__(self, dtype=None, copy=None):
        """The data, for NumPy (np.asarray, np.array([...]), plotting). Refused, as in PyTorch,
        for a tensor whose gradient is being recorded: the array would silently drop it."""
        if self._requires_grad and (not OFF or MODE.enabled) or self._is_dual:
            raise TypeError(
                f"converting a tensor that requires grad (shape {self.shape}) to a NumPy array "
                "would drop its gradient: build tensors from tensors with mg.stack([...]) or "
                "mg.concatenate (recorded), copy it with x.clone() (recorded), or take the values "
                "with x.detach() or x.data"
            )
        if dtype is not None:
            return self.data.astype(dtype, copy=bool(copy) or copy is None)
        return self.data.copy() if copy else self.data

    def __bool__(self) -> bool:
        return bool(self.data)

    def __float__(self) -> float:
        return float(self._scalar("float"))

    def __int__(self) -> int:
        return int(self._scalar("int"))

    def _scalar(self, what: str) -> np.ndarray:
        if self.size != 1:
            raise TypeError(
                f"{what}() of a tensor of shape {self.shape}: only one-element tensors convert "
                "to a Python number (use .tolist() for all of them)"
            )
        return self.data.reshape(())

    def __index__(self) -> int:
        return self.data.__index__()

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        extras = []
        if self.data.dtype != np.float32 and self.data.dtype.kind == "f":
            extras.append(f"dtype={self.dtype}")
        if self._op is not None:
            extras.append(f"op={self._op.name}")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        return f"tensor({body}{''.join(', ' + e for e in extras)})"

    def _repr_html_(self) -> str:
        """Jupyter: shape, dtype, grad state on one line, then the values (compact)."""
        from minigrad.viz.jupyter import tensor_html

        return tensor_html(self)

    def _repr_markdown_(self) -> str:
        from minigrad.viz.jupyter import tensor_markdown

        return tensor_markdown(self)

    # -- in place: see minigrad/inplace.py for the rule ---------------------------------
    def add_(self, other) -> Tensor:
        return inplace.change(self, "__iadd__", other)

    def sub_(self, other) -> Tensor:
        return inplace.change(self, "__isub__", other)

    def mul_(self, other) -> Tensor:
        return inplace.change(self, "__imul__", other)

    def div_(self, other) -> Tensor:
        return inplace.change(self, "__itruediv__", other)

    def copy_(self, other) -> Tensor:
        return inplace.change(self, "copy_", other, np.copyto)

    def fill_(self, value) -> Tensor:
        return inplace.change(self, "fill_", value, np.copyto)

    def zero_(self) -> Tensor:
        return inplace.change(self, "zero_", 0, np.copyto)

    def __setitem__(self, index, value) -> None:
        """`x[index] = value` in place: not differentiable (build the result with mg.where or
        mg.concatenate instead), allowed on tensors that do not require grad."""
        index = interop.unwrap(index)
        inplace.change(self, "x[index] = value", value, lambda data, v: data.__setitem__(index, v))

    def __iadd__(self, other):
        return inplace.augmented(self, "+", F.add, "__iadd__", other)

    def __isub__(self, other):
        return inplace.augmented(self, "-", F.subtract, "__isub__", other)

    def __imul__(self, other):
        return inplace.augmented(self, "*", F.multiply, "__imul__", other)

    def __itruediv__(self, other):
        return inplace.augmented(self, "/", F.divide, "__itruediv__", other)

    # -- operators -----------------------------------------------------------------------
    def __add__(self, other):
        return F.add(self, other)

    def __radd__(self, other):
        return F.add(other, self)

    def __sub__(self, other):
        return F.subtract(self, other)

    def __rsub__(self, other):
        return F.subtract(other, self)

    def __mul__(self, other):
        return F.multiply(self, other)

    def __rmul__(self, other):
        return F.multiply(other, self)

    def __truediv__(self, other):
        return F.divide(self, other)

    def __rtruediv__(self, other):
        return F.divide(other, self)

    def __pow__(self, other):
        return F.power(self, other)

    def __rpow__(self, other):
        return F.power(other, self)

    def pow(self, other):
        return F.power(self, other)

    def __matmul__(self, other):
        return F.matmul(self, other)

    def __rmatmul__(self, other):
        return F.matmul(other, self)

    def __neg__(self):
        return F.negative(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return F.abs(self)

    def __getitem__(self, index):
        return F.getitem(self, index)

    def __lt__(self, other):
        return F.less(self, other) if _comparable(other) else NotImplemented

    def __le__(self, other):
        return F.less_equal(self, other) if _comparable(other) else NotImplemented

    def __gt__(self, other):
        return F.greater(self, other) if _comparable(other) else NotImplemented

    def __ge__(self, other):
        return F.greater_equal(self, other) if _comparable(other) else NotImplemented

    def __eq__(self, other):
        return F.equal(self, other) if _comparable(other) else NotImplemented

    def __ne__(self, other):
        return F.not_equal(self, other) if _comparable(other) else NotImplemented

    def __and__(self, other):
        return F.logical_and(self, other)

    def __or__(self, other):
        return F.logical_or(self, other)

    def __invert__(self):
        return F.logical_not(self)

    # -- elementwise ---------------------------------------------------------------------
    def exp(self):
        return F.exp(self)

    def log(self):
        return F.log(self)

    def log1p(self):
        return F.log1p(self)

    def sqrt(self):
        return F.sqrt(self)

    def sin(self):
        return F.sin(self)

    def cos(self):
        return F.cos(self)

    def tanh(self):
        return F.tanh(self)

    def sigmoid(self):
        return F.sigmoid(self)

    def relu(self):
        return F.relu(self)

    def abs(self):
        return F.abs(self)

    def sign(self):
        return F.sign(self)

    def clip(self, a_min=None, a_max=None):
        return F.clip(self, a_min, a_max)

    def maximum(self, other):
        return F.maximum(self, other)

    def minimum(self, other):
        return F.minimum(self, other)

    def astype(self, dtype):
        return F.astype(self, dtype)

    def double(self):
        return F.astype(self, np.float64)

    def float(self):
        return F.astype(self, np.float32)

    def clone(self):
        """A differentiable copy with its own memory."""
        return F.astype(self, self.dtype)

    # -- reductions ----------------------------------------------------------------------
    def sum(self, axis=None, keepdims=False):
        return F.sum(self, axis, keepdims)

    def mean(self, axis=None, keepdims=False):
        return F.mean(self, axis, keepdims)

    def var(self, axis=None, ddof=0, keepdims=False):
        return F.var(self, axis, ddof=ddof, keepdims=keepdims)

    def std(self, axis=None, ddof=0, keepdims=False):
        return F.std(self, axis, ddof=ddof, keepdims=keepdims)

    def max(self, axis=None, keepdims=False):
        return F.max(self, axis, keepdims)

    def min(self, axis=None, keepdims=False):
        return F.min(self, axis, keepdims)

    def prod(self, axis=None, keepdims=False):
        return F.prod(self, axis, keepdims)

    def all(self, axis=None, keepdims=False):
        return logic.all(self, axis, keepdims)

    def any(self, axis=None, keepdims=False):
        return logic.any(self, axis, keepdims)

    def norm(self, ord=None, axis=None, keepdims=False):  # noqa: A002 (NumPy's name)
        return linalg.norm(self, ord, axis, keepdims)

    def argmax(self, axis=None, keepdims=False):
        return F.argmax(self, axis, keepdims)

    def argmin(self, axis=None, keepdims=False):
        return F.argmin(self, axis, keepdims)

    def logsumexp(self, axis=None, keepdims=False):
        return F.logsumexp(self, axis, keepdims)

    def softmax(self, axis=-1):
        return F.softmax(self, axis)

    def log_softmax(self, axis=-1):
        return F.log_softmax(self, axis)

    # -- shape ---------------------------------------------------------------------------
    def reshape(self, *shape):
        return F.reshape(self, shape[0] if len(shape) == 1 else shape)

    def flatten(self):
        return F.reshape(self, -1)

    def transpose(self, *axes):
        return F.transpose(self, axes[0] if len(axes) == 1 else (axes or None))

    def permute(self, *axes):
        return F.transpose(self, axes[0] if len(axes) == 1 else axes)

    def swapaxes(self, axis1, axis2):
        return F.swapaxes(self, axis1, axis2)

    @property
    def T(self):  # noqa: N802 (NumPy's name)
        return F.transpose(self)

    @property
    def mT(self):  # noqa: N802 (NumPy's name)
        return F.swapaxes(self, -1, -2)

    def broadcast_to(self, shape):
        return F.broadcast_to(self, shape)

    def expand(self, *shape):
        return F.broadcast_to(self, shape[0] if len(shape) == 1 else shape)

    def squeeze(self, axis=None):
        return F.squeeze(self, axis)

    def unsqueeze(self, axis):
        return F.expand_dims(self, axis)

    def matmul(self, other):
        return F.matmul(self, other)


def _comparable(other) -> bool:
    """Operands a comparison understands; for others (pytest.approx, None, objects) Python
    asks the other side (`NotImplemented`), as NumPy arrays do."""
    return isinstance(other, Tensor | int | float | np.ndarray | np.generic | list | tuple)


def either_name(name: str | None, label: str | None) -> str | None:
    """`name=`, or micrograd's spelling `label=` (the same thing)."""
    if label is None:
        return name
    if name is not None and name != label:
        raise TypeError(f"Tensor: name={name!r} and label={label!r} are one thing; give one")
    return label


class _HookHandle:
    def __init__(self, hooks: list, hook) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


from minigrad import functional as F  # noqa: E402  (functional builds on Tensor)
from minigrad import inplace, interop, linalg, logic  # noqa: E402
