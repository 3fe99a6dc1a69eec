"""Rich displays in Jupyter: drawings as SVG, or as an HTML table with a one-line install hint
when Graphviz's `dot` is missing; backprop traces as tables; tensors as one compact line."""

from __future__ import annotations

import html

import graphviz
import numpy as np

from minigrad.viz.output import INSTALL, has_dot

HINT = f"Graphviz's `dot` program is not installed, so this is a table, not a picture: {INSTALL}"


class Drawing(graphviz.Digraph):
    """A graphviz.Digraph (render it, pipe it, read `.source`) that Jupyter shows as SVG, or,
    without the `dot` program, as a table of its tensors and a one-line install hint."""

    header = ("node", "name", "made by", "from", "shape", "dtype", "value", "gradient")
    rows: list | tuple = ()  # set by viz.draw: one row per drawn tensor

    def _repr_mimebundle_(self, include=None, exclude=None, **_) -> dict[str, str]:
        if has_dot():
            bundle = {"image/svg+xml": self._repr_svg_(), "text/plain": self._plain()}
        else:
            bundle = {
                "text/html": self._repr_html_(),
                "text/markdown": self._repr_markdown_(),
                "text/plain": self._plain(),
            }
        return {
            k: v
            for k, v in bundle.items()
            if (include is None or k in include) and (exclude is None or k not in exclude)
        }

    def _repr_svg_(self) -> str | None:
        return self.pipe(format="svg", encoding="utf-8") if has_dot() else None

    # With `dot` there is only the picture (IPython asks for every format the bundle lacks).
    def _repr_html_(self) -> str | None:
        return None if has_dot() else html_table(self.header, self.rows, HINT)

    def _repr_markdown_(self) -> str | None:
        return None if has_dot() else markdown_table(self.header, self.rows, HINT)

    def _plain(self) -> str:
        return f"<minigrad drawing of {len(self.rows)} values; .source has the DOT text>"


def table_rows(graph, shown: set[int], steps: set[int], inside: dict[int, int], view: str):
    """One row per drawn tensor: its node id, name, what made it and from which nodes, its
    shape, dtype, value and gradient (or tangent), as the drawing shows them."""
    from minigrad.viz.labels import _summary

    sources: dict[int, list[str]] = {}
    for e in graph.edges:  # a folded composite's inputs are those from outside it
        source, target = inside.get(e.source, e.source), inside.get(e.target, e.target)
        if source != target:
            sources.setdefault(target, []).append(graph.nodes[source].name)
    rows = []
    for node in graph.nodes:
        if node.index not in shown:
            continue
        t = node.tensor
        if node.kind == "op":
            made = node.step if node.index in steps else t._op.name
        else:
            made = "leaf, requires grad" if node.kind == "leaf" else "constant"
        value = graph.value(node)
        if node.index in graph.grads:
            grad = _summary(graph.grads[node.index])
        elif node.index in graph.tangents:
            grad = "tangent " + _summary(graph.tangents[node.index])
        elif view == "forward" and t._grad is not None:
            grad = _summary(t._grad.data)
        else:
            grad = ""
        rows.append(
            (
                f"n{node.index}",
                node.name,
                made,
                ", ".join(dict.fromkeys(sources.get(node.index, []))),
                str(t.shape),
                str(t.dtype),
                value if isinstance(value, str) else _summary(value),
                grad,
            )
        )
    return rows


def html_table(header, rows, note: str | None = None) -> str:
    """An HTML table (cells escaped), the note above it in a small paragraph."""
    cells = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    top = f'<p style="font-size:smaller"><em>{html.escape(note)}</em></p>' if note else ""
    return f"{top}<table><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>"


def markdown_table(header, rows, note: str | None = None) -> str:
    def cell(c) -> str:
        return str(c).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return ("*" + note + "*\n\n" if note else "") + "\n".join(lines)


def trace_html(trace) -> str:
    """The drawing of the backward view (with `dot`) above the table of steps."""
    table = html_table(trace.HEADER, trace.rows(), None if has_dot() else HINT)
    if not has_dot():
        return table
    return _inline(trace.drawing()._repr_svg_()) + table


def trace_markdown(trace) -> str:
    return markdown_table(trace.HEADER, trace.rows(), None if has_dot() else HINT)


def tensor_html(t) -> str:
    """One line: `tensor (2, 3) float32 · requires grad · grad (2, 3)` above the values,
    NumPy-printed with at most 6 entries per axis and 4 significant digits."""
    return (
        f"<code>{html.escape(tensor_line(t))}</code>"
        f"<pre style='margin:0'>{html.escape(tensor_values(t))}</pre>"
    )


def tensor_markdown(t) -> str:
    return f"`{tensor_line(t)}`\n\n```\n{tensor_values(t)}\n```"


def tensor_line(t) -> str:
    parts = [f"{t.name or 'tensor'} {t.shape} {t.dtype}"]
    if t._op is not None:
        parts.append(f"made by {t._op.name}")
    if t.requires_grad:
        parts.append("requires grad")
    if t._grad is not None:
        from minigrad.viz.labels import _summary

        parts.append(f"grad {_summary(t._grad.data)}")
    return " · ".join(parts)


def tensor_values(t) -> str:
    return _compact(t.data)


def _compact(a) -> str:
    a = np.asarray(a)
    return np.array2string(a, precision=4, threshold=36, edgeitems=3, max_line_width=100)


def _inline(svg: str) -> str:
    """SVG for an HTML page: without the XML prolog and doctype."""
    return svg[svg.find("<svg") :]
