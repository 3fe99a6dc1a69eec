"""Seed 004's worked example: f(x; w, b) = sigmoid(w x + b) decomposed into h1..h6 (fig. 5.8)."""

from __future__ import annotations

from minigrad.tensor import Tensor


def sigmoid_steps(x, w, b) -> list[Tensor]:
    """The six elementary steps, named h1..h6: h6 = 1 / (exp(-(w x + b)) + 1).

    >>> import minigrad as mg
    >>> [h.item() for h in sigmoid_steps(mg.tensor(1.0), mg.tensor(0.0), mg.tensor(0.0))]
    [0.0, 0.0, -0.0, 1.0, 2.0, 0.5]
    """
    h1 = x * w
    h2 = h1 + b
    h3 = -h2
    h4 = h3.exp()
    h5 = h4 + 1
    h6 = 1 / h5
    steps = [h1, h2, h3, h4, h5, h6]
    for k, h in enumerate(steps, start=1):
        h.name = f"h{k}"
    return steps
