"""minigrad's default random generator, for code that passes no `rng=`: `manual_seed` seeds it,
as `torch.manual_seed` does. A `np.random.Generator` passed as `rng=` is used as it is."""

from __future__ import annotations

import threading

import numpy as np

from minigrad.validate import is_int

# NOTE: fixed, as PyTorch's default seed is: a script that never calls manual_seed still gets
# the same numbers on every run (deterministic by construction). The stream is NumPy's
# default_rng(seed): after mg.manual_seed(0), mg.randn(3) is
# np.random.default_rng(0).standard_normal(3).
_INITIAL_SEED = 0
_DEFAULT = np.random.default_rng(_INITIAL_SEED)
_SEED_LOCK = threading.Lock()  # one manual_seed at a time


def default_generator() -> np.random.Generator:
    """The process-wide Generator that random functions use when given `rng=None`.

    It is one object for the life of the process (`manual_seed` reseeds it in place), so a
    reference to it stays valid. NumPy locks a Generator for each draw and `manual_seed` takes
    the same lock, so threads may share it safely; but which numbers each thread gets then
    depends on scheduling: give each thread its own `np.random.default_rng(seed)` instead.
    """
    return _DEFAULT


def manual_seed(seed: int) -> np.random.Generator:
    """Seed the default generator and return it, as `torch.manual_seed`.

    `seed` is a non-negative int. After `mg.manual_seed(s)` the default generator draws the
    numbers of `np.random.default_rng(s)`. Generators passed explicitly as `rng=` are not
    affected.

    >>> import minigrad as mg
    >>> from minigrad.rng import manual_seed
    >>> _ = manual_seed(0)
    >>> a = mg.randn(3)
    >>> _ = manual_seed(0)
    >>> bool((mg.randn(3) == a).all())
    True
    """
    if not is_int(seed):
        raise TypeError(
            f"manual_seed: seed must be an int, got {type(seed).__name__} {seed!r:.40}; "
            "e.g. mg.manual_seed(0)"
        )
    if seed < 0:
        raise ValueError(f"manual_seed: seed must be a non-negative int, got {seed}")
    state = np.random.PCG64(int(seed)).state
    bits = _DEFAULT.bit_generator
    with _SEED_LOCK, bits.lock:  # the lock NumPy holds during each draw
        bits.state = state
    return _DEFAULT


def generator_or_default(rng, where: str) -> np.random.Generator:
    """`rng` if it is a Generator, the default generator if it is None, else a TypeError that
    names `where` and says what to pass."""
    if rng is None:
        return _DEFAULT
    if isinstance(rng, np.random.Generator):
        return rng
    hint = ""
    if isinstance(rng, np.random.RandomState):
        hint = " (RandomState is NumPy's legacy API; use np.random.default_rng(seed))"
    elif is_int(rng):
        hint = f" (to seed, pass np.random.default_rng({rng}) or call mg.manual_seed({rng}))"
    raise TypeError(
        f"{where}: rng must be a np.random.Generator, e.g. np.random.default_rng(0), or None "
        f"for minigrad's default generator (seeded by mg.manual_seed), got "
        f"{type(rng).__name__}{hint}"
    )
