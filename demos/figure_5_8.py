"""Seed 004's figure 5.8: the graph of f(x; w, b) = sigmoid(w x + b) as h1..h6, drawn by minigrad.

Run:  python demos/figure_5_8.py [--out out/figure_5_8]
Each edge carries its local partial derivative dh_(k+1)/dh_k at x = 1, w = 0, b = 0; each node
shows its value, its tangent dh/dw (forward mode) and its gradient df/dh (reverse mode).
Writes figure_5_8.svg and .png (with Graphviz; the .dot text always) and a backprop trace
(trace.txt and one frame per step) into the output folder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import minigrad as mg
from minigrad import viz
from minigrad.cli import Parser
from minigrad.lab import sigmoid_steps
from minigrad.lab.demo import output_folder
from minigrad.viz.graph import backward_values, collect, forward_values, local_derivatives


def build():
    """The six elementary steps, named as in the seed."""
    x = mg.tensor(1.0, dtype=np.float64, name="x")
    w = mg.tensor(0.0, dtype=np.float64, requires_grad=True, name="w")
    b = mg.tensor(0.0, dtype=np.float64, requires_grad=True, name="b")
    return sigmoid_steps(x, w, b)[-1], w


def main(argv: list[str] | None = None) -> Path:
    parser = Parser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=output_folder, default=Path("out/figure_5_8"))
    parser.add_argument("--no-frames", action="store_true", help="skip the per-step frames")
    args = parser.parse_args(argv)
    f, w = build()
    graph = collect([f])
    backward_values(graph, f)  # df/dh on every node
    forward_values(graph, {w: np.ones(())})  # dh/dw on every node
    local_derivatives(graph)  # dh_(k+1)/dh_k on every edge
    title = (
        "seed 004, figure 5.8: f(x; w, b) = sigmoid(w x + b) at x = 1, w = 0, b = 0; "
        "edges: local partial derivatives; nodes: value, grad = df/dh, tangent = dh/dw"
    )
    dot = viz.draw_graph(
        graph, view="backward", edge_labels="local", color=False, rankdir="LR", title=title
    )
    args.out.mkdir(parents=True, exist_ok=True)
    written = [viz.render(dot, args.out / "figure_5_8", format="dot")]
    trace = viz.trace(f)
    (args.out / "trace.txt").write_text(trace.table() + "\n")
    print(trace.table())
    if viz.has_dot():
        written += [viz.render(dot, args.out / "figure_5_8", format=fmt) for fmt in ("svg", "png")]
        if not args.no_frames:
            written += trace.frames(args.out / "frames", format="png", rankdir="LR")
    else:
        print(
            f"Graphviz `dot` is not installed: only the DOT text was written. {viz.output.INSTALL}"
        )
    print(f"wrote {len(written)} files to {args.out}")
    return args.out


if __name__ == "__main__":
    main()
