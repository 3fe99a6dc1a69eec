"""Initialisers. Each fills a tensor in place and states the variance it gives; fan_in and fan_out
are read from a weight of shape (out, in). The random ones draw from `rng`: rng=None uses
minigrad's default generator, seeded by mg.manual_seed; pass a Generator for independent streams."""

from __future__ import annotations

import math
import numbers

import numpy as np

from minigrad.autodiff.mode import no_grad
from minigrad.rng import generator_or_default
from minigrad.tensor import Tensor
from minigrad.validate import integer, number


def _fill(t: Tensor, values) -> Tensor:
    with no_grad():
        t.copy_(np.asarray(values, dtype=t.dtype))
    return t


def _target(t, where: str) -> bool:
    """Check that `t` can be initialised (a float leaf Tensor); False when `t` has no
    elements, which leaves nothing to do (as PyTorch)."""
    if not isinstance(t, Tensor):
        raise TypeError(
            f"init.{where}: expects a Tensor (e.g. layer.weight), got {type(t).__name__}"
        )
    if t.dtype.kind != "f":
        raise TypeError(f"init.{where}: expects a float tensor, got dtype {t.dtype}")
    if not t.is_leaf:
        raise ValueError(
            f"init.{where}: the tensor was computed by `{t._op.name}`; initialise the leaf "
            "parameters it was computed from"
        )
    return t.size > 0


def _random_target(t, where: str, rng) -> np.random.Generator | None:
    """Check `t` as `_target` does and return the generator to draw from (`rng`, or the
    default one for None), or None when `t` has no elements."""
    ok = _target(t, where)
    if isinstance(rng, numbers.Real) and not isinstance(rng, bool | np.bool_):
        raise TypeError(
            f"init.{where}: rng must be a np.random.Generator or None, got the number {rng!r}; "
            f"minigrad's initialisers take the generator right after the tensor "
            f"({where}(t, rng, ...)), so pass the other arguments by keyword, e.g. "
            f"{where}(t, std=0.02)"
        )
    rng = generator_or_default(rng, f"init.{where}")
    return rng if ok else None


def fans(t: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight: shape (out, in[, receptive field...]); a vector is (n, n)."""
    if t.ndim < 2:
        return t.size, t.size
    field = math.prod(t.shape[2:])
    return t.shape[1] * field, t.shape[0] * field


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor by which an initialiser's scale is multiplied for a nonlinearity.

    identity/linear/sigmoid 1 (PyTorch's convention), tanh 5/3, relu sqrt(2), leaky_relu
    sqrt(2 / (1 + slope^2)), selu 3/4, and `logistic` 4: Glorot and Bengio's normalized
    initialisation for logistic units, r = 4 sqrt(6 / (n_in + n_out)) (seed 004 prints the
    tanh and logistic formulas 5.90 and 5.91 the other way round; the factor 4 belongs to the
    logistic, whose slope at 0 is 1/4).
    """
    gains = {
        "linear": 1.0,
        "identity": 1.0,
        "sigmoid": 1.0,
        "logistic": 4.0,
        "tanh": 5 / 3,
        "relu": math.sqrt(2.0),
        "selu": 0.75,
    }
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity not in gains:
        raise ValueError(
            f"calculate_gain: unknown nonlinearity {nonlinearity!r}; known: "
            f"{sorted([*gains, 'leaky_relu'])}"
        )
    return gains[nonlinearity]


def zeros_(t: Tensor) -> Tensor:
    """All zeros (variance 0)."""
    if not _target(t, "zeros_"):
        return t
    return _fill(t, np.zeros(t.shape))


def constant_(t: Tensor, value: float) -> Tensor:
    """All `value` (variance 0)."""
    if not _target(t, "constant_"):
        return t
    return _fill(t, np.full(t.shape, value))


def normal_(
    t: Tensor, rng: np.random.Generator | None = None, mean: float = 0.0, std: float = 1.0
) -> Tensor:
    """N(mean, std^2): variance std^2."""
    rng = _random_target(t, "normal_", rng)
    if rng is None:
        return t
    number(mean, "init.normal_", "mean")
    number(std, "init.normal_", "std", low=0)
    return _fill(t, rng.normal(mean, std, t.shape))


def uniform_(
    t: Tensor, rng: np.random.Generator | None = None, a: float = 0.0, b: float = 1.0
) -> Tensor:
    """U[a, b]: variance (b - a)^2 / 12."""
    rng = _random_target(t, "uniform_", rng)
    if rng is None:
        return t
    if not number(a, "init.uniform_", "a") <= number(b, "init.uniform_", "b"):
        raise ValueError(f"init.uniform_: the interval [a, b] needs a <= b, got [{a}, {b}]")
    return _fill(t, rng.uniform(a, b, t.shape))


def standard_(
    t: Tensor, rng: np.random.Generator | None = None, fan_in: int | None = None
) -> Tensor:
    """Glorot and Bengio's "standard" U[-1/sqrt(n_in), 1/sqrt(n_in)]: variance 1 / (3 n_in).
    For a bias pass the layer's `fan_in`."""
    rng = _random_target(t, "standard_", rng)
    if rng is None:
        return t
    if fan_in is not None:
        integer(fan_in, "init.standard_", "fan_in", low=1)
    n = fans(t)[0] if fan_in is None else fan_in
    bound = 1 / math.sqrt(n)
    return uniform_(t, rng, -bound, bound)


def xavier_uniform_(t: Tensor, rng: np.random.Generator | None = None, gain: float = 1.0) -> Tensor:
    """Glorot's normalized initialisation U[-r, r], r = gain sqrt(6 / (n_in + n_out)):
    variance gain^2 2 / (n_in + n_out)."""
    rng = _random_target(t, "xavier_uniform_", rng)
    if rng is None:
        return t
    fan_in, fan_out = fans(t)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(t, rng, -bound, bound)


def xavier_normal_(t: Tensor, rng: np.random.Generator | None = None, gain: float = 1.0) -> Tensor:
    """N(0, gain^2 2 / (n_in + n_out))."""
    rng = _random_target(t, "xavier_normal_", rng)
    if rng is None:
        return t
    fan_in, fan_out = fans(t)
    return normal_(t, rng, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def _fan(t: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    return fans(t)[0 if mode == "fan_in" else 1]


def kaiming_uniform_(
    t: Tensor,
    rng: np.random.Generator | None = None,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "relu",
) -> Tensor:
    """He's U[-b, b], b = gain sqrt(3 / fan): variance gain^2 / fan (gain sqrt(2) for relu)."""
    rng = _random_target(t, "kaiming_uniform_", rng)
    if rng is None:
        return t
    gain = calculate_gain(nonlinearity, a)
    bound = gain * math.sqrt(3.0 / _fan(t, mode))
    return uniform_(t, rng, -bound, bound)


def kaiming_normal_(
    t: Tensor,
    rng: np.random.Generator | None = None,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "relu",
) -> Tensor:
    """He's N(0, gain^2 / fan)."""
    rng = _random_target(t, "kaiming_normal_", rng)
    if rng is None:
        return t
    gain = calculate_gain(nonlinearity, a)
    return normal_(t, rng, 0.0, gain / math.sqrt(_fan(t, mode)))


def lecun_uniform_(t: Tensor, rng: np.random.Generator | None = None) -> Tensor:
    """LeCun's U[-sqrt(3 / n_in), sqrt(3 / n_in)]: variance 1 / n_in."""
    rng = _random_target(t, "lecun_uniform_", rng)
    if rng is None:
        return t
    bound = math.sqrt(3.0 / fans(t)[0])
    return uniform_(t, rng, -bound, bound)


def lecun_normal_(t: Tensor, rng: np.random.Generator | None = None) -> Tensor:
    """LeCun's N(0, 1 / n_in)."""
    rng = _random_target(t, "lecun_normal_", rng)
    if rng is None:
        return t
    return normal_(t, rng, 0.0, 1 / math.sqrt(fans(t)[0]))


def orthogonal_(t: Tensor, rng: np.random.Generator | None = None, gain: float = 1.0) -> Tensor:
    """A (semi-)orthogonal matrix times `gain` (QR of a Gaussian matrix, signs fixed so the
    distribution is uniform): rows or columns orthonormal, variance gain^2 / max(n_in, n_out)."""
    rng = _random_target(t, "orthogonal_", rng)
    if rng is None:
        return t
    if t.ndim < 2:
        raise ValueError(f"orthogonal_: needs at least 2 dimensions, got shape {t.shape}")
    rows, cols = t.shape[0], math.prod(t.shape[1:])
    a = rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q *= np.sign(np.diag(r))
    q = q if rows >= cols else q.T
    return _fill(t, gain * q.reshape(t.shape))


def nielsen_(weight: Tensor, bias: Tensor, rng: np.random.Generator | None = None) -> None:
    """Nielsen's initialisation: weights N(0, 1 / n_in), biases N(0, 1)."""
    rng = generator_or_default(rng, "init.nielsen_")
    normal_(weight, rng, 0.0, 1 / math.sqrt(fans(weight)[0]))
    normal_(bias, rng, 0.0, 1.0)
