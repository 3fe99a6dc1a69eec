"""Singular values of the layer-to-layer Jacobians dz^(i+1)/dz^i of a network (Glorot and
Bengio 2010, section 4.2.2: with normalized initialisation they stay near 1)."""

from __future__ import annotations

import numpy as np

from minigrad.autodiff.mode import no_grad
from minigrad.nn.module import Module
from minigrad.tensor import Tensor
from minigrad.transforms import vjp


def layer_jacobian_singular_values(
    blocks: list[Module], x: np.ndarray, examples: int = 8
) -> list[np.ndarray]:
    """For consecutive `blocks` (each maps one hidden representation to the next, e.g. a
    Linear followed by its activation), the singular values of each block's Jacobian at the
    first `examples` rows of `x`: one array (examples, k) per block.

    The Jacobians of all examples come from one reverse sweep per output unit (the rows
    d y_k / d x of every example at once), then `numpy.linalg.svd`. The blocks run in
    evaluation mode (no dropout, BatchNorm's running statistics, so examples do not couple
    and nothing is updated); their modes are restored after.
    """
    values = []
    h = np.asarray(x[:examples], dtype=np.float64)
    modes = [b.training for b in blocks]
    try:
        for block in blocks:
            block.eval()
            values.append(np.linalg.svd(block_jacobians(block, h), compute_uv=False))
            with no_grad():
                h = block(Tensor(h)).data
    finally:
        for block, mode in zip(blocks, modes, strict=True):
            block.train(mode)
    return values


def block_jacobians(block: Module, h: np.ndarray) -> np.ndarray:
    """(examples, outputs, inputs): the Jacobian of `block` at each row of `h`."""
    out, pullback = vjp(block, h)
    rows = []
    for k in range(out.shape[1]):
        seed = np.zeros(out.shape)
        seed[:, k] = 1
        rows.append(pullback(seed)[0].data)
    return np.stack(rows, axis=1)


def mean_singular_value(values: list[np.ndarray]) -> float:
    """The average singular value over blocks and examples (the paper's summary number)."""
    return float(np.mean([v.mean() for v in values]))
