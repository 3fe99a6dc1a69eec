"""Backprop by hand and by minigrad: the sigmoid(w x + b) graph of seed 004 (figure 5.8).

Run:  python demos/quickstart.py
It builds f(x; w, b) = 1 / (exp(-(w x + b)) + 1) from the elementary steps h1..h6, runs
backward(), prints every intermediate value and gradient, and checks the result against the
fused `sigmoid` op, central differences and the second derivative from create_graph=True.
"""

from __future__ import annotations

import numpy as np

import minigrad as mg
from minigrad.numerical import central_jacobian


def decomposed(x, w, b):
    """The six elementary steps of figure 5.8, each named and kept for printing."""
    h1 = x * w
    h2 = h1 + b
    h3 = -h2
    h4 = h3.exp()
    h5 = h4 + 1
    h6 = 1 / h5
    steps = [h1, h2, h3, h4, h5, h6]
    for k, h in enumerate(steps, start=1):
        h.name = f"h{k}"
        h.retain_grad()
    return h6, steps


def main() -> None:
    mg.set_default_dtype(np.float64)
    x = mg.tensor(1.0, name="x")
    w = mg.tensor(0.0, requires_grad=True, name="w")
    b = mg.tensor(0.0, requires_grad=True, name="b")

    f, steps = decomposed(x, w, b)
    f.backward()
    print("f(x; w, b) = sigmoid(w x + b) at x = 1, w = 0, b = 0, step by step")
    print(f"{'node':>5} {'value':>8} {'df/dnode':>9}")
    for h in steps:
        print(f"{h.name:>5} {h.item() + 0.0:8.4f} {h.grad.item() + 0.0:9.4f}")
    print(f"df/dw = {w.grad.item():.4f}   df/db = {b.grad.item():.4f}   (seed 004: 0.25)")

    w2 = mg.tensor(0.0, requires_grad=True)
    b2 = mg.tensor(0.0, requires_grad=True)
    (w2 * x + b2).sigmoid().backward()
    print(f"fused sigmoid op:     df/dw = {w2.grad.item():.4f}   df/db = {b2.grad.item():.4f}")

    numeric = central_jacobian(lambda w, b: 1 / (1 + np.exp(-(w * 1.0 + b))), [0.0, 0.0])
    print(
        f"central differences:  df/dw = {numeric[0].item():.4f}   df/db = {numeric[1].item():.4f}"
    )

    d2 = mg.grad(mg.grad(lambda w: (w * x + b).sigmoid()))(0.5)
    s = 1 / (1 + np.exp(-0.5))
    print(
        f"second derivative d2f/dw2 at w = 0.5: {d2.item():.6f} "
        f"(by hand s(1-s)(1-2s) x^2 = {s * (1 - s) * (1 - 2 * s):.6f})"
    )


if __name__ == "__main__":
    main()
