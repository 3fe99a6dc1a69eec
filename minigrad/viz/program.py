"""Drawings of static programs (minigrad/program/): one box per input, borrowed tensor and
large constant, one node per instruction with its op, parameters and result type, one edge per
use of a value (so `multiply(x, x)` has two), small constants written inside the node."""

from __future__ import annotations

from minigrad.viz.drawing import FONT, _html, _text
from minigrad.viz.jupyter import Drawing


def draw_program(program, title: str | None = None, rankdir: str = "LR") -> Drawing:
    """The program as a graph: values flow left to right, outputs drawn bold (in Jupyter
    without `dot`: a table of its instructions)."""
    from minigrad.program.ir import _operand

    dot = Drawing(
        graph_attr={"rankdir": rankdir, "fontname": FONT},
        node_attr={"fontname": FONT, "fontsize": "10"},
        edge_attr={"fontname": FONT, "fontsize": "9"},
    )
    if title is not None:
        dot.attr(label=_html(title), labelloc="t")
    outputs = {v.index for v in program.outputs}
    dot.header = ("value", "is", "type")
    dot.rows = [(v.name, "input", v.type_text()) for v in program.inputs]
    for v in program.inputs:
        dot.node(_id(v), _html(f"{v.name}: {v.type_text()}"), shape="box", style="rounded")
    drawn = set()
    for c in program.constants:
        if c.borrowed or not _small(c):
            label = f"{c.name}: {c.type_text()}" + (" (borrowed)" if c.borrowed else "")
            dot.node(_id(c), _html(label), shape="box", style="dashed")
            drawn.add(c.index)
    for ins in program.instructions:
        inline = ", ".join(
            "·" if not a.is_constant or a.index in drawn else _operand(a) for a in ins.args
        )
        params = " ".join(f"{k}={v!r}" for k, v in ins.op.params().items())
        rows = [f"<b>{_text(ins.out.name)}</b> = {_text(ins.op.name)}({_text(inline)})"]
        if params:
            rows.append(_text(params))
        rows.append(_text(ins.out.type_text()))
        text = f"{ins.op.name}({inline})" + (f" {params}" if params else "")
        dot.rows.append((ins.out.name, text, ins.out.type_text()))
        bold = ins.out.index in outputs
        dot.node(
            _id(ins.out),
            "<" + "<br/>".join(rows) + ">",
            shape="box",
            style="rounded,bold" if bold else "rounded",
        )
        for a in ins.args:
            if not a.is_constant or a.index in drawn:
                dot.edge(_id(a), _id(ins.out))
    return dot


def _small(c) -> bool:
    from minigrad.program.ir import _inline

    return _inline(c.value)


def _id(v) -> str:
    return f"v{v.index}"
