"""Graphviz drawings of recorded graphs: tensor records and small op nodes, modules as clusters,
gradient magnitude as colour, values, gradients or tangents on nodes and edges."""

from __future__ import annotations

import math
import re

import graphviz
import numpy as np

from minigrad.validate import choice, flag, integer
from minigrad.viz.graph import Graph, backward_values, collect, forward_values, local_derivatives
from minigrad.viz.jupyter import Drawing, table_rows
from minigrad.viz.labels import (  # noqa: F401 (PALETTE, _summary: also read from here)
    PALETTE,
    _cell,
    _html,
    _ink,
    _number,
    _palette,
    _short,
    _summary,
    _text,
)

WRONG = "#d62728"
FONT = "Helvetica"
MAX_NODES = 500  # drawn by default; dot lays this many out in seconds, 30,000 in minutes


def draw(
    *outputs,
    model=None,
    view: str = "forward",
    gradient=None,
    tangents=None,
    edge_labels: str | None = None,
    rankdir: str | None = None,
    collapse: bool = False,
    depth: int = 1,
    max_nodes: int | None = MAX_NODES,
    highlight=(),
    color: bool | None = None,
    title: str | None = None,
    expand: bool = False,
) -> Drawing:
    """Draw the graph that computed `outputs`: a graphviz.Digraph that Jupyter displays (as a
    table and an install hint when Graphviz's `dot` is missing).

    view: "forward" (values), "backward" (each node's gradient d output / d node, computed by a
    fresh reverse sweep from the first output, edges labelled with the gradient they carry),
    or "tangent" (forward mode: `tangents={input: tangent}`, each node and edge shows its
    tangent). `edge_labels="local"` writes the local partial derivative on each edge of a scalar
    graph. `model` names parameters (`layers.0.weight`) and groups nodes into a cluster per
    module; `collapse=True` folds each module at `depth` into one node. `max_nodes` keeps the
    nodes nearest the outputs and folds the rest into one marker (by default beyond 500 nodes,
    which `dot` lays out in seconds; `max_nodes=None` draws all). `highlight` lists node indices
    to draw red (what `gradcheck` found wrong). Node ids are `n<index>` in evaluation order.
    Every user string (names, op names, titles) is escaped.

    A composite (relu, softmax, logsumexp, the losses and activations of `nn`) is one op node
    (a double ellipse) with one edge per input; `expand=True` draws its primitives instead.
    Every edge into a primitive is one use: `x * x` has two. In the forward view a tensor
    whose `.grad` is set (leaves after `backward()`, tensors that `retain_grad()`) shows it;
    the backward view shows every node's gradient d output / d node, computed afresh.

    >>> import minigrad as mg
    >>> x = mg.tensor(2.0, requires_grad=True, name="x")
    >>> dot = draw(x * 3, view="backward")
    >>> "grad 3" in dot.source and "multiply(·, 3)" in dot.source
    True
    >>> relu = draw(mg.nn.relu(x))  # one step; draw(..., expand=True) shows where(x <= 0, 0, x)
    >>> "relu" in relu.source and "where" not in relu.source
    True
    """
    from minigrad.program.ir import Program

    if len(outputs) == 1 and isinstance(outputs[0], Program):  # a static program
        from minigrad.viz.program import draw_program

        return draw_program(outputs[0], title=title, rankdir=rankdir or "LR")
    choice(view, ("forward", "backward", "tangent"), "draw", "view")
    graph = collect(outputs, model)
    if view == "backward":
        backward_values(graph, outputs[0], gradient)
    elif view == "tangent":
        forward_values(graph, tangents or {})
    if edge_labels == "local":
        local_derivatives(graph)
    color = view == "backward" if color is None else color
    return draw_graph(
        graph,
        view=view,
        edge_labels=edge_labels,
        rankdir=rankdir,
        collapse=collapse,
        depth=depth,
        max_nodes=max_nodes,
        highlight=highlight,
        color=color,
        title=title,
        expand=expand,
    )


def draw_graph(
    graph: Graph,
    *,
    view: str = "forward",
    edge_labels: str | None = None,
    rankdir: str | None = None,
    collapse: bool = False,
    depth: int = 1,
    max_nodes: int | None = None,
    highlight=(),
    color: bool = False,
    title: str | None = None,
    current: int | None = None,
    expand: bool = False,
) -> graphviz.Digraph:
    """Draw an already collected `Graph` (see `draw`); `current` outlines one node (a step)."""
    _check_options(edge_labels, rankdir, collapse, depth, max_nodes, color, title)
    flag(expand, "draw", "expand")
    drawing = _Drawing(
        graph, view, edge_labels, rankdir, collapse, depth, max_nodes, set(highlight), color, title
    )
    drawing.current = current
    if not expand:  # a composite's inner nodes fold into its output's op node
        drawing.inside = {n.index: n.inside for n in graph.nodes if n.inside is not None}
        drawing.steps = {n.index for n in graph.nodes if n.step is not None}
    return drawing.build()


class _Drawing:
    def __init__(
        self,
        graph: Graph,
        view,
        edge_labels,
        rankdir,
        collapse,
        depth,
        max_nodes,
        highlight,
        color,
        title,
    ) -> None:
        self.graph, self.view, self.edge_labels = graph, view, edge_labels
        self.collapse, self.depth, self.highlight, self.color = collapse, depth, highlight, color
        self.current: int | None = None
        self.inside: dict[int, int] = {}  # inner node -> its composite's output node
        self.steps: set[int] = set()  # the outputs of composites drawn as one op
        self.spine = any(n.module for n in graph.nodes)
        self.dot = Drawing(
            graph_attr={
                "rankdir": rankdir or ("LR" if _depth(graph) <= 2 else "TB"),
                "fontname": FONT,
            },
            node_attr={"fontname": FONT, "fontsize": "10"},
            edge_attr={"fontname": FONT, "fontsize": "9"},
        )
        if title:
            self.dot.attr(label=_html(title), labelloc="t", fontsize="12")
        n = len(graph.nodes)
        self.hidden = set(range(n - max_nodes)) if max_nodes and n > max_nodes else set()
        self.norms = {k: float(np.linalg.norm(g)) for k, g in graph.grads.items()}
        self.range = self._range()
        # Module names may be any string (dict keys): ids keep only [A-Za-z0-9_] (and are
        # numbered on a clash); the names themselves appear, escaped, in labels only.
        self.cluster_ids: dict[str, str] = {}
        names = [n.module for n in graph.nodes if n.module] + list(self._groups().values())
        for m in dict.fromkeys(names):
            safe = re.sub(r"[^A-Za-z0-9_]", "_", m)
            taken = safe in self.cluster_ids.values()
            self.cluster_ids[m] = f"{safe}_{len(self.cluster_ids)}" if taken else safe

    def build(self) -> graphviz.Digraph:
        groups = self._groups()
        clusters: dict[str, list[tuple]] = {}
        for node in self.graph.nodes:
            if node.index in self.hidden or node.index in groups or node.index in self.inside:
                continue
            clusters.setdefault(node.module or "", []).extend(self._node(node))
        for module, specs in clusters.items():
            if module:
                with self.dot.subgraph(name=f"cluster_{self.cluster_ids[module]}") as sub:
                    sub.attr(
                        label=_html(self._module_label(module)),
                        style="rounded,dashed",
                        color="#888888",
                        fontsize="10",
                    )
                    _emit(sub, specs, self.spine)
                    self._pin(sub, module, groups)
            else:
                _emit(self.dot, specs, self.spine)
        for group in sorted(set(groups.values())):
            last = max(k for k, g in groups.items() if g == group)  # the module's output
            fill = self._fill(last) if last in self.norms else "#e8eef7"
            label = self._module_label(group)
            if last in self.norms:
                label += f"\n|grad| of output {self.norms[last]:.2e}"
            self.dot.node(
                self._group_id(group),
                _html(label),
                shape="box3d",
                style="filled",
                fillcolor=fill,
                fontcolor=_ink(fill),
            )
        if self.hidden:
            self.dot.node(
                "folded",
                _html(
                    f"... {len(self.hidden)} earlier nodes folded (draw(..., max_nodes=None) "
                    "draws all; dot may take minutes)"
                ),
                shape="note",
                style="dashed",
            )
        self._edges(groups)
        shown = set(range(len(self.graph.nodes))) - self.hidden - set(groups) - set(self.inside)
        self.dot.rows = table_rows(self.graph, shown, self.steps, self.inside, self.view)
        if self.color and self.norms:
            self._legend()
        return self.dot

    def _pin(self, sub: graphviz.Digraph, module: str, groups) -> None:
        """A module's parameters on the rank of the op that first uses them: the module's
        cluster then takes no rank of the previous module's, and a deep network is drawn
        straight down instead of drifting right by one cluster's width per layer."""
        pinned = set()
        folded = self.hidden | set(groups) | set(self.inside)
        for e in self.graph.edges:
            source = self.graph.nodes[e.source]
            if (
                source.kind == "op"
                or source.module != module
                or self.graph.nodes[e.target].module != module
                or e.source in pinned
                or {e.source, e.target} & folded
            ):
                continue
            pinned.add(e.source)
            with sub.subgraph() as same:
                same.attr(rank="same")
                same.node(_id(e.source))
                same.node(f"op{e.target}")

    def _module_label(self, name: str) -> str:
        kind = self.graph.modules.get(name)
        return f"{name}: {kind}" if kind else name

    def _groups(self) -> dict[int, str]:
        if not self.collapse:
            return {}
        return {
            n.index: ".".join(n.module.split(".")[: self.depth])
            for n in self.graph.nodes
            if n.module
        }

    def _node(self, node) -> list[tuple]:
        """(name, label, attributes) of the tensor record and, for a computed tensor, of its
        op node and the edge between them."""
        t = node.tensor
        wrong = node.index in self.highlight
        value = self.graph.value(node)
        data = value if isinstance(value, str) else _cell(value)
        rows = [f"<b>{_text(node.name)}</b>  {t.shape} {t.dtype}", f"data {data}"]
        if node.index in self.graph.grads:
            rows.append(f"grad {_cell(self.graph.grads[node.index])}")
        elif self.view == "forward" and t._grad is not None:  # what backward() left in .grad
            rows.append(f"grad {_cell(t._grad.data)}")
        if node.index in self.graph.tangents:
            rows.append(f"tangent {_cell(self.graph.tangents[node.index])}")
        if node.kind != "op":
            rows.append("leaf, requires grad" if node.kind == "leaf" else "constant")
        fill = WRONG if wrong else self._fill(node.index)
        attrs = {
            "shape": "box",
            "style": "rounded,filled",
            "fillcolor": fill,
            "fontcolor": _ink(fill),
        }
        if node.index == self.current:
            attrs.update(color="#ff7f0e", penwidth="3")
        if node.kind == "op" and self.spine:
            attrs["group"] = "spine"  # computed values in one straight column or row
        specs = [(_id(node.index), "<" + "<br/>".join(rows) + ">", attrs)]
        composite = node.index in self.steps
        if node.kind == "op":
            op = t._op
            params = " ".join(f"{k}={_short(v)}" for k, v in op.params().items())
            text = node.step if composite else " ".join(s for s in (op.name, params) if s)
            if not composite and any(not hasattr(x, "_op") for x in op.inputs):
                text += (
                    "("
                    + ", ".join("·" if hasattr(x, "_op") else _short(x) for x in op.inputs)
                    + ")"
                )
            specs.append(
                (
                    f"op{node.index}",
                    _html(text),
                    {
                        "shape": "ellipse",
                        "style": "filled",
                        "fillcolor": "#f2f2f2",
                        "color": WRONG if wrong else "#555555",
                        "fontsize": "9",
                        "penwidth": "2" if wrong else "1",
                        **({"peripheries": "2"} if composite else {}),
                        **({"group": "spine"} if self.spine else {}),
                    },
                )
            )
            specs.append((f"op{node.index}", _id(node.index), None))
        return specs

    def _fill(self, index: int) -> str:
        if not self.color or index not in self.norms:
            return "#ffffff" if self.graph.nodes[index].kind == "op" else "#eef4fb"
        return _palette(self._scale(self.norms[index]))

    def _scale(self, norm: float) -> float:
        lo, hi = self.range
        if norm <= 0:
            return 0.0
        return min(1.0, max(0.0, (math.log10(norm) - lo) / max(hi - lo, 1e-9)))

    def _range(self) -> tuple[float, float]:
        """log10 of the smallest and largest gradient norm, at least one decade apart."""
        logs = [math.log10(v) for v in self.norms.values() if v > 0]
        lo, hi = (min(logs), max(logs)) if logs else (0.0, 1.0)
        if hi - lo < 1:
            mid = (lo + hi) / 2
            lo, hi = mid - 0.5, mid + 0.5
        return lo, hi

    def _edges(self, groups: dict[int, str]) -> None:
        drawn = set()
        into: dict[tuple[str, str], list] = {}  # edges into a folded composite, by source
        for e in self.graph.edges:
            if self.inside.get(e.source, -1) == self.inside.get(e.target, e.target):
                continue  # inside one composite
            source = self._endpoint(e.source, groups, tensor=True)
            target = self._endpoint(e.target, groups, tensor=False)
            if e.target in self.inside or e.target in self.steps:
                if target.startswith("op"):
                    into.setdefault((source, target), []).append(e)
                    continue
            folded = not (source.startswith("n") and target.startswith("op"))
            if source == target or (folded and (source, target) in drawn):
                continue  # between plain nodes, one edge per use: `x * x` has two
            drawn.add((source, target))
            self._edge(source, target, self._edge_label(e), e.value is not None, e)
        for (source, target), edges in into.items():
            label = self._composite_label(edges, int(target[2:]))
            self._edge(source, target, label, any(e.value is not None for e in edges), edges[0])

    def _edge(self, source: str, target: str, label: str, carries: bool, e) -> None:
        attrs = {"label": _html(label)} if label else {}
        if self.view == "backward" and carries:
            attrs["color"] = "#b03060"
        if self.graph.nodes[e.source].kind == "op":
            attrs["weight"] = "4"  # keep the chain of computed values straight, inputs beside it
        self.dot.edge(source, target, **attrs)

    def _composite_label(self, edges: list, out: int) -> str:
        """The label of the one edge from an input into a folded composite: the gradient it
        carries (the sum over the input's uses inside), the total local derivative, or the
        output's tangent when this is the only input that carries one."""
        if self.edge_labels == "local":
            d = self._through(edges, out)
            return "" if d is None else f"d = {_number(d)}"
        values = [e.value for e in edges if e.value is not None]
        if not values or self.view not in ("backward", "tangent"):
            return ""
        if self.view == "tangent":
            sources = {
                e.source
                for e in self.graph.edges
                if e.value is not None
                and self.inside.get(e.target, e.target) == out
                and self.inside.get(e.source) != out
            }
            if len(sources) > 1 or out not in self.graph.tangents:
                return ""
            values = [self.graph.tangents[out]]
        v = np.asarray(sum(values[1:], values[0]))
        letter = "g" if self.view == "backward" else "t"
        return _number(v) if v.size == 1 else f"|{letter}| {np.linalg.norm(v):.2e}"

    def _through(self, edges: list, out: int):
        """d out / d source through a folded composite of scalars, by the chain rule on the
        local derivatives of its inner edges; None where one is missing."""
        source = edges[0].source
        d = {source: 1.0}
        members = sorted([k for k, c in self.inside.items() if c == out] + [out])
        for k in members:
            total = None
            for e in self.graph.edges:
                if e.target == k and e.source in d:
                    if e.local is None or d[e.source] is None:
                        return None
                    part = float(np.asarray(e.local).reshape(-1)[0]) * d[e.source]
                    total = part if total is None else total + part
            if total is not None:
                d[k] = total
        return d.get(out)

    def _endpoint(self, index: int, groups, tensor: bool) -> str:
        if index in self.hidden:
            return "folded"
        if index in groups:
            return self._group_id(groups[index])
        if index in self.inside:  # (a tensor that leaves a composite is its output)
            index = self.inside[index]
        return _id(index) if tensor else f"op{index}"

    def _edge_label(self, e) -> str:
        if self.edge_labels == "local" and e.local is not None:
            return f"d = {_number(e.local)}"
        if e.value is not None and self.view in ("backward", "tangent"):
            v = np.asarray(e.value)
            return (
                _number(v)
                if v.size == 1
                else f"|{'g' if self.view == 'backward' else 't'}| {np.linalg.norm(v):.2e}"
            )
        return ""

    def _group_id(self, group: str) -> str:
        return f"m_{self.cluster_ids[group]}"

    def _legend(self) -> None:
        lo, hi = self.range
        rows = "".join(
            f'<tr><td bgcolor="{_palette(k / 4)}">   </td>'
            f"<td>{10 ** (lo + (hi - lo) * k / 4):.1e}</td></tr>"
            for k in range(5)
        )
        label = (
            f'<<table border="0" cellspacing="2"><tr><td colspan="2"><b>|grad|</b>'
            f"</td></tr>{rows}</table>>"
        )
        self.dot.node("legend", label, shape="plaintext")


def _depth(graph: Graph) -> int:
    """The number of ops on the longest path: graphs at most two ops deep are drawn left to
    right (they read like a formula), deeper ones top to bottom, so that graphs of up to ~50
    nodes fit a laptop's width (each step is a record ~150-350 pt wide and an op)."""
    depth: dict[int, int] = {}
    incoming: dict[int, list[int]] = {}
    for e in graph.edges:
        incoming.setdefault(e.target, []).append(e.source)
    for node in graph.nodes:  # evaluation order: inputs first
        before = [depth[k] for k in incoming.get(node.index, [])]
        depth[node.index] = (node.kind == "op") + max(before, default=0)
    return max(depth.values(), default=0)


def _emit(graph: graphviz.Digraph, specs: list[tuple], spine: bool) -> None:
    for name, label, attrs in specs:
        if attrs is None:  # an op node to its output tensor, straight below it in a model
            graph.edge(name, label, **({"weight": "8"} if spine else {}))
        else:
            graph.node(name, label, **attrs)


def _id(index: int) -> str:
    return f"n{index}"


def _check_options(edge_labels, rankdir, collapse, depth, max_nodes, color, title) -> None:
    if edge_labels is not None:
        choice(edge_labels, ("local",), "draw", "edge_labels")
    if rankdir is not None:
        choice(rankdir, ("LR", "TB", "RL", "BT"), "draw", "rankdir")
    flag(collapse, "draw", "collapse")
    integer(depth, "draw", "depth", low=1)
    if max_nodes is not None:
        integer(max_nodes, "draw", "max_nodes", low=1)
    if color is not None:
        flag(color, "draw", "color")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"draw: title must be a str, got {type(title).__name__}")


def draw_gradcheck(f, *inputs, model=None, **options) -> tuple[graphviz.Digraph, object]:
    """Run `gradcheck(f, *inputs)` and draw f's graph at those inputs with the node it blames
    (the culprit) in red. Returns the drawing and the gradcheck result."""
    from minigrad.autodiff.graph import toposort
    from minigrad.gradcheck import _promote, gradcheck
    from minigrad.tensor import Tensor

    result = gradcheck(f, *inputs, raise_exception=False)
    xs = [Tensor(a, requires_grad=True) for a in _promote(inputs)]
    out = f(*xs)
    outs = list(out) if isinstance(out, tuple | list) else [out]
    graph = collect(outs, model)
    highlight = set()
    if result.culprit is not None:
        blamed = toposort([o for o in outs if o.requires_grad])[result.culprit.node]
        highlight.add(graph.node_of(blamed).index)
    backward_values(graph, outs[0])
    options.setdefault("expand", True)  # the culprit may be a primitive inside a composite
    title = f"gradcheck {'passed' if result else 'FAILED'}"
    if result.culprit is not None:
        title += f": culprit {result.culprit}"
    return draw_graph(
        graph, view="backward", highlight=highlight, title=title, color=False, **options
    ), result
