"""minigrad: a small autodiff engine on NumPy, for learning, gradient-checking and drawing.

>>> import minigrad as mg
>>> x = mg.tensor(3.0, requires_grad=True)
>>> y = x * x + 2 * x
>>> y.backward()
>>> x.grad
tensor(8.)
"""

from minigrad.tensor import Tensor  # noqa: I001 (first: the modules below build on it)
from minigrad.autodiff.mode import enable_grad, is_grad_enabled, no_grad
from minigrad.creation import (arange, eye, full, full_like, ones, ones_like, rand, rand_like,
                               randn, randn_like, tensor, zeros, zeros_like)
from minigrad.dtypes import get_default_dtype, set_default_dtype
from minigrad.functional import (abs, add, argmax, argmin, astype, broadcast_to, clip,
                                 concatenate, cos, divide, equal, exp, expand_dims, flatten,
                                 greater, greater_equal, isfinite, less, less_equal, log,
                                 log1p, log_softmax, logical_and, logical_not, logical_or,
                                 logsumexp, matmul, max, maximum, mean, min, minimum,
                                 multiply, negative, not_equal, power, prod, relu, reshape,
                                 sigmoid, sign, sin, softmax, split, sqrt, squeeze, stack, std,
                                 subtract, sum, swapaxes, tanh, transpose, var, where)
from minigrad.ops import PRIMITIVES, Primitive
from minigrad.transforms import grad, jacrev, value_and_grad, vjp

__version__ = "0.1.0"

__all__ = [
    "PRIMITIVES", "Primitive", "Tensor", "abs", "add", "arange", "argmax", "argmin", "astype",
    "broadcast_to", "clip", "concatenate", "cos", "divide", "enable_grad", "equal", "exp",
    "expand_dims", "eye", "flatten", "full", "full_like", "get_default_dtype", "grad",
    "greater", "greater_equal", "is_grad_enabled", "isfinite", "jacrev", "less", "less_equal",
    "log", "log1p", "log_softmax", "logical_and", "logical_not", "logical_or", "logsumexp",
    "matmul", "max", "maximum", "mean", "min", "minimum", "multiply", "negative", "no_grad",
    "not_equal", "ones", "ones_like", "power", "prod", "rand", "rand_like", "randn",
    "randn_like", "relu", "reshape", "set_default_dtype", "sigmoid", "sign", "sin", "softmax",
    "split", "sqrt", "squeeze", "stack", "std", "subtract", "sum", "swapaxes", "tanh", "tensor",
    "transpose", "value_and_grad", "var", "vjp", "where", "zeros", "zeros_like",
]
