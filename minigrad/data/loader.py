"""Mini-batches of arrays, shuffled by an explicit Generator."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from minigrad.validate import flag, generator, integer


def batches(
    *arrays: np.ndarray,
    batch_size: int,
    rng: np.random.Generator | None = None,
    drop_last: bool = False,
) -> Iterator[tuple[np.ndarray, ...]]:
    """Yield aligned mini-batches of `arrays` (same first dimension), in an order shuffled by
    `rng` (in order if None); the last batch may be smaller unless `drop_last`."""
    if not arrays:
        raise ValueError("batches: give at least one array, e.g. batches(x, y, batch_size=32)")
    arrays = tuple(np.asarray(a) for a in arrays)
    if any(a.ndim == 0 for a in arrays):
        raise ValueError("batches: each array needs one row per example, got a 0-d array")
    n = len(arrays[0])
    if any(len(a) != n for a in arrays):
        raise ValueError(f"batches: arrays of different lengths {[len(a) for a in arrays]}")
    integer(batch_size, "batches", "batch_size", low=1)
    flag(drop_last, "batches", "drop_last")
    if rng is not None:
        generator(rng, "batches")
    order = np.arange(n) if rng is None else rng.permutation(n)
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        index = order[start : start + batch_size]
        yield tuple(a[index] for a in arrays)


def num_batches(n: int, batch_size: int, drop_last: bool = False) -> int:
    return n // batch_size if drop_last else -(-n // batch_size)
