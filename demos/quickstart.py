"""Automatic differentiation by hand and by minigrad: seed 004's sigmoid(w x + b) (figure 5.8).

Run:  python demos/quickstart.py
It builds f(x; w, b) = 1 / (exp(-(w x + b)) + 1) from the elementary steps h1..h6 and
differentiates it both ways: forward mode carries dh/dw along with each value (dual numbers),
reverse mode (backward()) brings df/dh back from the output. Both give df/dw = 0.25, as the
seed does; the result is checked against the fused `sigmoid` op, central differences and a
second derivative.
"""

from __future__ import annotations

import numpy as np

import minigrad as mg
from minigrad.cli import Parser
from minigrad.lab import sigmoid_steps
from minigrad.numerical import central_jacobian


def decomposed(x, w, b):
    """The six elementary steps of figure 5.8, each kept for printing."""
    steps = sigmoid_steps(x, w, b)
    for h in steps:
        h.retain_grad()
    return steps[-1], steps


def main(argv: list[str] | None = None) -> None:
    Parser(description=__doc__.splitlines()[0]).parse_args(argv or [])
    mg.set_default_dtype(np.float64)
    x = mg.tensor(1.0, name="x")
    w = mg.tensor(0.0, requires_grad=True, name="w")
    b = mg.tensor(0.0, requires_grad=True, name="b")

    with mg.dual_level():  # forward mode: w carries the tangent dw = 1
        _, forward_steps = decomposed(x, mg.make_dual(w, 1.0), b)
        tangents = [mg.unpack_dual(h).tangent.item() for h in forward_steps]
    f, steps = decomposed(x, w, b)  # reverse mode
    f.backward()
    print("f(x; w, b) = sigmoid(w x + b) at x = 1, w = 0, b = 0, step by step")
    print(f"{'node':>5} {'value':>8} {'dnode/dw':>9} {'df/dnode':>9}")
    print(f"{'':>5} {'':>8} {'(forward)':>9} {'(reverse)':>9}")
    for h, tangent in zip(steps, tangents, strict=True):
        print(f"{h.name:>5} {h.item() + 0.0:8.4f} {tangent + 0.0:9.4f} {h.grad.item() + 0.0:9.4f}")
    print(f"forward mode:  df/dw = dh6/dw = {tangents[-1]:.4f}")
    print(
        f"reverse mode:  df/dw = {w.grad.item():.4f}   df/db = {b.grad.item():.4f}"
        "   (seed 004: 0.25)"
    )

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
