"""Mini-batches of arrays, shuffled by an explicit Generator."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def batches(
    *arrays: np.ndarray,
    batch_size: int,
    rng: np.random.Generator | None = None,
    drop_last: bool = False,
) -> Iterator[tuple[np.ndarray, ...]]:
    """Yield aligned mini-batches of `arrays` (same first dimension), in an order shuffled by
    `rng` (in order if None); the last batch may be smaller unless `drop_last`."""
    n = len(arrays[0])
    if any(len(a) != n for a in arrays):
        raise ValueError(f"batches: arrays of different lengths {[len(a) for a in arrays]}")
    if batch_size < 1:
        raise ValueError(f"batches: batch_size must be >= 1, got {batch_size}")
    order = np.arange(n) if rng is None else rng.permutation(n)
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        index = order[start : start + batch_size]
        yield tuple(a[index] for a in arrays)


def num_batches(n: int, batch_size: int, drop_last: bool = False) -> int:
    return n // batch_size if drop_last else -(-n // batch_size)
