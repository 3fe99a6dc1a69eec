"""Elementwise primitives. Each states its differential; broadcasting is the engine's job."""

from __future__ import annotations

import numpy as np

from minigrad.autodiff.graph import Primitive
from minigrad.dtypes import floating


class Add(Primitive):
    """z = x + y;   dz = dx + dy."""

    __slots__ = ()
    name = "add"
    ufunc = np.add
    broadcasts = True
    linear = True

    def forward(self, x, y):
        return np.add(x, y)

    def vjp(self, xp, i, g, ans, x, y):
        return g

    def jvp(self, xp, i, dx, ans, x, y):
        return dx


class Subtract(Primitive):
    """z = x - y;   dz = dx - dy.

    NOTE: a primitive, not add(x, -y), because subtraction is everywhere (losses, centring,
    updates) and one node instead of two is a measured speed gain on small tensors.
    """

    __slots__ = ()
    name = "subtract"
    ufunc = np.subtract
    broadcasts = True
    linear = True

    def forward(self, x, y):
        return np.subtract(x, y)

    def vjp(self, xp, i, g, ans, x, y):
        return g if i == 0 else -g

    def jvp(self, xp, i, dx, ans, x, y):
        return dx if i == 0 else -dx


class Negative(Primitive):
    """y = -x;   dy = -dx."""

    __slots__ = ()
    name = "negative"
    ufunc = np.negative
    broadcasts = True
    linear = True

    def forward(self, x):
        return np.negative(x)

    def vjp(self, xp, i, g, ans, x):
        return -g

    def jvp(self, xp, i, dx, ans, x):
        return -dx


class Multiply(Primitive):
    """z = x * y;   dz = y dx + x dy."""

    __slots__ = ()
    name = "multiply"
    ufunc = np.multiply
    broadcasts = True
    saves = {0: "y", 1: "x"}

    def forward(self, x, y):
        return np.multiply(x, y)

    def vjp(self, xp, i, g, ans, x, y):
        return g * y if i == 0 else g * x

    def jvp(self, xp, i, dx, ans, x, y):
        return dx * y if i == 0 else x * dx


class Divide(Primitive):
    """z = x / y;   dz = dx / y - z dy / y."""

    __slots__ = ()
    name = "divide"
    ufunc = np.divide
    broadcasts = True
    saves = {0: "y", 1: "y ans"}

    def forward(self, x, y):
        return np.divide(x, y)

    def vjp(self, xp, i, g, ans, x, y):
        return g / y if i == 0 else -g * ans / y

    def jvp(self, xp, i, dx, ans, x, y):
        return dx / y if i == 0 else -dx * ans / y


class Power(Primitive):
    """z = x ** y;   dz = y x**(y-1) dx + z log(x) dy.

    NOTE: as PyTorch, d/dx x**0 := 0 (also at x = 0), and d/dy 0**y := 0; for x < 0 the
    derivative in y is NaN (log of a negative number).
    """

    __slots__ = ()
    name = "power"
    broadcasts = True
    saves = {0: "x y", 1: "x ans"}

    def forward(self, x, y):
        return np.power(x, y)

    def vjp(self, xp, i, g, ans, x, y):
        return g * self._partial(xp, i, ans, x, y)

    def jvp(self, xp, i, dx, ans, x, y):
        return dx * self._partial(xp, i, ans, x, y)

    @staticmethod
    def _partial(xp, i, ans, x, y):
        if i == 0:
            if isinstance(y, int | float | np.generic) and y != 0:  # x ** 2: the common case
                return y * x ** (y - 1)
            # The base is guarded where y == 0, so that the branch `where` drops is finite
            # and its own derivative (second order) cannot turn 0 * inf into NaN.
            zero = y == 0
            return xp.where(zero, 0.0, y * xp.where(zero, 1.0, x) ** (y - 1))
        return ans * xp.log(xp.where(x == 0, 1.0, x))


class Exp(Primitive):
    """y = exp(x);   dy = y dx."""

    __slots__ = ()
    name = "exp"
    ufunc = np.exp
    broadcasts = True
    saves = "ans"

    def forward(self, x):
        return np.exp(x)

    def vjp(self, xp, i, g, ans, x):
        return g * ans

    def jvp(self, xp, i, dx, ans, x):
        return dx * ans


class Log(Primitive):
    """y = log(x);   dy = dx / x."""

    __slots__ = ()
    name = "log"
    ufunc = np.log
    broadcasts = True
    saves = "x"

    def forward(self, x):
        return np.log(x)

    def vjp(self, xp, i, g, ans, x):
        return g / x

    def jvp(self, xp, i, dx, ans, x):
        return dx / x


class Log1p(Primitive):
    """y = log(1 + x);   dy = dx / (1 + x).

    NOTE: a primitive, not log(1 + x), for precision when |x| is tiny.
    """

    __slots__ = ()
    name = "log1p"
    ufunc = np.log1p
    broadcasts = True
    saves = "x"

    def forward(self, x):
        return np.log1p(x)

    def vjp(self, xp, i, g, ans, x):
        return g / (1 + x)

    def jvp(self, xp, i, dx, ans, x):
        return dx / (1 + x)


class Sin(Primitive):
    """y = sin(x);   dy = cos(x) dx."""

    __slots__ = ()
    name = "sin"
    ufunc = np.sin
    broadcasts = True
    saves = "x"

    def forward(self, x):
        return np.sin(x)

    def vjp(self, xp, i, g, ans, x):
        return g * xp.cos(x)

    def jvp(self, xp, i, dx, ans, x):
        return dx * xp.cos(x)


class Cos(Primitive):
    """y = cos(x);   dy = -sin(x) dx."""

    __slots__ = ()
    name = "cos"
    ufunc = np.cos
    broadcasts = True
    saves = "x"

    def forward(self, x):
        return np.cos(x)

    def vjp(self, xp, i, g, ans, x):
        return -g * xp.sin(x)

    def jvp(self, xp, i, dx, ans, x):
        return -dx * xp.sin(x)


class Tanh(Primitive):
    """y = tanh(x);   dy = (1 - y**2) dx."""

    __slots__ = ()
    name = "tanh"
    ufunc = np.tanh
    broadcasts = True
    saves = "ans"

    def forward(self, x):
        return np.tanh(x)

    def vjp(self, xp, i, g, ans, x):
        return g * (1 - ans * ans)

    def jvp(self, xp, i, dx, ans, x):
        return dx * (1 - ans * ans)


class Sigmoid(Primitive):
    """y = 1 / (1 + exp(-x));   dy = y (1 - y) dx.

    NOTE: a primitive for speed (one node, and the rule reuses y). The forward is accurate in
    both tails (sigmoid(-38) = 3.1e-17, exp(-x) overflowing to inf gives exactly 0); the
    derivative y (1 - y) is PyTorch's, which rounds to 0 where y rounds to 1 (x > 17 in
    float32, x > 37 in float64).
    """

    __slots__ = ()
    name = "sigmoid"
    broadcasts = True
    saves = "ans"

    def forward(self, x):
        if type(x) is not np.ndarray:
            x = np.asarray(x)
        x = floating(x)
        with np.errstate(over="ignore"):
            return 1 / (1 + np.exp(np.negative(x)))

    def vjp(self, xp, i, g, ans, x):
        return g * ans * (1 - ans)

    def jvp(self, xp, i, dx, ans, x):
        return dx * ans * (1 - ans)


class Abs(Primitive):
    """y = |x|;   dy = sign(x) dx.   NOTE: abs'(0) := 0, as PyTorch and JAX."""

    __slots__ = ()
    name = "abs"
    ufunc = np.abs
    broadcasts = True
    saves = "x"

    def forward(self, x):
        return np.abs(x)

    def vjp(self, xp, i, g, ans, x):
        return g * xp.sign(x)

    def jvp(self, xp, i, dx, ans, x):
        return dx * xp.sign(x)


class Maximum(Primitive):
    """z = max(x, y);   dz = [x > y] dx + [y > x] dy, and (dx + dy) / 2 at ties.

    NOTE: ties split the derivative evenly, as PyTorch and JAX do. A NaN wins, as in NumPy,
    and takes the derivative (as in relu, which passes it to a NaN input).
    """

    __slots__ = ()
    name = "maximum"
    broadcasts = True
    saves = "x y"
    compute = staticmethod(np.maximum)
    larger_wins = True

    def forward(self, x, y):
        return self.compute(x, y)

    def vjp(self, xp, i, g, ans, x, y):
        return self._weight(x, y, g) if i == 0 else self._weight(y, x, g)

    def jvp(self, xp, i, dx, ans, x, y):
        return self._weight(x, y, dx) if i == 0 else self._weight(y, x, dx)

    def _weight(self, mine, other, v):
        wins = (mine > other if self.larger_wins else mine < other) | (mine != mine)
        return v * wins + 0.5 * v * (mine == other)


class Minimum(Maximum):
    """z = min(x, y);   dz = [x < y] dx + [y < x] dy, and (dx + dy) / 2 at ties.

    NOTE: a primitive (Maximum's rules with `<`), not -max(-x, -y): negation wraps around for
    unsigned integers and fails for booleans.
    """

    __slots__ = ()
    name = "minimum"
    compute = staticmethod(np.minimum)
    larger_wins = False


class Where(Primitive):
    """z = where(c, x, y);   dz = where(c, dx, dy).   The condition is not differentiable."""

    __slots__ = ()
    name = "where"
    broadcasts = True
    saves = "c"

    def forward(self, c, x, y):
        return np.where(c, x, y)

    def vjp(self, xp, i, g, ans, c, x, y):
        return xp.where(c, g, 0.0) if i == 1 else xp.where(c, 0.0, g)

    def jvp(self, xp, i, dx, ans, c, x, y):
        return xp.where(c, dx, 0.0) if i == 1 else xp.where(c, 0.0, dx)


class AsType(Primitive):
    """y = x converted to `dtype` (always a copy);   dy = dx converted."""

    __slots__ = ("dtype",)
    name = "astype"
    broadcasts = True
    linear = True

    def __init__(self, dtype) -> None:
        self.dtype = np.dtype(dtype)

    def forward(self, x):
        return np.asarray(x).astype(self.dtype)

    def vjp(self, xp, i, g, ans, x):
        return g.astype(x.dtype)

    def jvp(self, xp, i, dx, ans, x):
        return dx.astype(self.dtype)
