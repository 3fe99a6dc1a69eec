"""A deep sigmoid MLP's backward graph: modules as clusters, gradient norms as colours.

Run:  python demos/mlp_graph.py [--out out/mlp_graph] [--depth 6]
With the "standard" initialisation the gradient shrinks layer by layer on its way back to the
input (Glorot and Bengio's observation): the colours darken from the output to the input.
Writes mlp_collapsed.{dot,png} (one node per layer) and mlp_full.{dot,svg} (every op).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import minigrad as mg
from minigrad import nn, viz
from minigrad.cli import Parser, count
from minigrad.lab.demo import output_folder


def build(depth: int, width: int = 32, seed: int = 0):
    rng = np.random.default_rng(seed)
    sizes = [64] + [width] * depth
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [nn.Linear(n_in, n_out, rng=rng), nn.Sigmoid()]
    model = nn.Sequential(*layers, nn.Linear(width, 10, rng=rng))
    x = mg.Tensor(rng.standard_normal((16, 64)).astype(np.float32), name="x")
    loss = nn.cross_entropy(model(x), rng.integers(0, 10, 16))
    return model, loss


def main(argv: list[str] | None = None) -> list[Path]:
    parser = Parser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=output_folder, default=Path("out/mlp_graph"))
    parser.add_argument("--depth", type=count, default=6)
    args = parser.parse_args(argv)
    model, loss = build(args.depth)
    title = f"sigmoid MLP, {args.depth} hidden layers: |grad| of each layer's output"
    collapsed = viz.draw(loss, model=model, view="backward", collapse=True, title=title)
    full = viz.draw(loss, model=model, view="backward", rankdir="TB")
    formats = ("png", "svg") if viz.has_dot() else ("dot", "dot")
    written = [
        viz.render(collapsed, args.out / "mlp_collapsed", format=formats[0]),
        viz.render(full, args.out / "mlp_full", format=formats[1]),
    ]
    print("\n".join(str(p) for p in written))
    return written


if __name__ == "__main__":
    main()
