"""A step-by-step backprop trace: the reverse sweep one node at a time, as a table of
upstream gradient x local derivative = contribution, and as frames a learner can page through."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from minigrad.viz import jupyter
from minigrad.viz.drawing import _summary, draw_graph
from minigrad.viz.graph import Graph, backward_values, collect, local_derivatives
from minigrad.viz.output import render


@dataclass
class Step:
    step: int
    node: int  # the node whose gradient is complete and is passed to its inputs
    name: str
    op: str
    input: str
    upstream: np.ndarray
    local: np.ndarray | None  # d node / d input, for scalar nodes
    contribution: np.ndarray


class BackpropTrace:
    """The steps of the reverse sweep from `output`, in the order the engine takes them."""

    def __init__(self, output, model=None) -> None:
        self.graph: Graph = collect([output], model)
        backward_values(self.graph, output)
        local_derivatives(self.graph)
        self.steps: list[Step] = []
        incoming: dict[int, list] = {}
        for e in self.graph.edges:
            incoming.setdefault(e.target, []).append(e)
        for node in reversed(self.graph.nodes):
            if node.kind != "op" or node.index not in self.graph.grads:
                continue
            for e in incoming.get(node.index, []):
                if e.value is None:
                    continue
                self.steps.append(
                    Step(
                        len(self.steps) + 1,
                        node.index,
                        node.name,
                        node.tensor._op.name,
                        self.graph.nodes[e.source].name,
                        self.graph.grads[node.index],
                        e.local,
                        e.value,
                    )
                )

    HEADER = ("step", "at", "op", "to input", "upstream", "x local", "= contribution")

    def rows(self) -> list[tuple[str, ...]]:
        """One row of text per edge swept, as `table` and rich displays show them."""
        return [
            (
                str(s.step),
                s.name,
                s.op,
                s.input,
                _summary(s.upstream),
                "-" if s.local is None else _summary(s.local),
                _summary(s.contribution),
            )
            for s in self.steps
        ]

    def table(self) -> str:
        """A text table: one row per edge swept, upstream x local = contribution."""
        header = self.HEADER
        rows = [header, *self.rows()]
        widths = [max(len(r[k]) for r in rows) for k in range(len(header))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
        return "\n".join([lines[0], "-" * len(lines[0]), *lines[1:]])

    def drawing(self, **draw_options):
        """The backward view of the whole sweep (see `viz.draw`), composites expanded: the
        steps are the primitives'."""
        return draw_graph(self.graph, view="backward", **{"expand": True, **draw_options})

    # Jupyter: the drawing (with Graphviz's `dot`) above the table of steps; without `dot`,
    # the table and a one-line hint on how to get the picture.
    def _repr_html_(self) -> str:
        return jupyter.trace_html(self)

    def _repr_markdown_(self) -> str:
        return jupyter.trace_markdown(self)

    def _repr_svg_(self) -> str | None:
        return self.drawing()._repr_svg_()

    def frames(self, folder, format: str = "svg", **draw_options) -> list[Path]:  # noqa: A002
        """One drawing per step: the gradients known so far, the current node outlined."""
        folder = Path(folder)
        draw_options.setdefault("expand", True)  # the steps are the primitives'
        paths = []
        for k, step in enumerate(self.steps):
            done = self.steps[: k + 1]
            partial = copy.copy(self.graph)
            partial.grads = {
                i: g
                for i, g in self.graph.grads.items()
                if i in {s.node for s in done} or i == self.graph.nodes[-1].index
            }
            partial.edges = [copy.copy(e) for e in self.graph.edges]
            swept = {(s.node, s.input) for s in done}
            for e in partial.edges:
                if (e.target, self.graph.nodes[e.source].name) not in swept:
                    e.value = None
            title = (
                f"step {step.step}: at {step.name} ({step.op}), upstream "
                f"{_summary(step.upstream)} to {step.input}: {_summary(step.contribution)}"
            )
            dot = draw_graph(
                partial, view="backward", current=step.node, title=title, **draw_options
            )
            paths.append(render(dot, folder / f"step_{step.step:02d}", format=format))
        return paths


def trace(output, model=None) -> BackpropTrace:
    """The backprop trace of `output` (see `BackpropTrace`).

    >>> import minigrad as mg
    >>> x = mg.tensor(3.0, requires_grad=True, name="x")
    >>> y = (x * x).sum()
    >>> [float(s.contribution) for s in trace(y).steps]  # x reaches multiply twice: 3 + 3
    [1.0, 3.0, 3.0]
    """
    return BackpropTrace(output, model)
