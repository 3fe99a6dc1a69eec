"""What a rendered graph shows: the recorded tensors in a stable order, their names and modules,
and the values that flow in each view (gradients backward, tangents forward)."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np

from minigrad.autodiff.graph import toposort
from minigrad.autodiff.reverse import check_versions, unbroadcast
from minigrad.autodiff.saved import arguments, live, values
from minigrad.tensor import Tensor


@dataclass
class Node:
    index: int  # position in evaluation order: the stable id `n{index}`
    tensor: Tensor
    name: str
    kind: str  # "op" (computed), "leaf" (requires grad), "const"
    module: str | None = None  # dotted name of the innermost module that made it
    step: str | None = None  # the composite (relu, softmax, mse_loss) whose output this is
    inside: int | None = None  # the output node of the outermost composite that made it


@dataclass
class Edge:
    source: int  # node index of the input
    target: int  # node index of the output
    position: int  # which input of the op
    value: np.ndarray | None = None  # gradient or tangent carried along the edge
    local: np.ndarray | None = None  # the local partial derivative d target / d source


@dataclass
class Graph:
    nodes: list[Node]
    edges: list[Edge]
    grads: dict[int, np.ndarray] = field(default_factory=dict)
    tangents: dict[int, np.ndarray] = field(default_factory=dict)
    modules: dict[str, str] = field(default_factory=dict)  # dotted name -> "Linear(4, 8, ...)"

    def node_of(self, t: Tensor) -> Node:
        return self.nodes[self._index[t._seq]]

    def __post_init__(self) -> None:
        self._index = {n.tensor._seq: n.index for n in self.nodes}
        self._values: dict[int, np.ndarray] | None = None
        self._missing: dict[int, str] = {}

    def values(self) -> dict[int, np.ndarray]:
        """Every node's value by sequence number, replayed where the graph did not keep it;
        `_missing` says why, for those that cannot be had."""
        if self._values is None:
            self._values = values([n.tensor for n in self.nodes], self._missing)
        return self._values

    def value(self, node: Node) -> np.ndarray | str:
        """The node's value, or why it cannot be shown (freed by backward(), or not kept and
        its inputs changed since)."""
        found = self.values().get(node.tensor._seq)
        if found is not None:
            return found
        why = self._missing[node.tensor._seq]
        return "freed by backward()" if "freed" in why else "not kept, inputs changed"

    def local_inputs(self, node: Node) -> tuple[list, np.ndarray]:
        """(the arrays the node's op was applied to, its output) for running its rules;
        raises if they are gone."""
        known = self.values()
        seq = node.tensor._seq
        if seq in self._missing:
            raise RuntimeError(f"draw: {self._missing[seq]}")
        return arguments(node.tensor._op, known), known[seq]


def collect(outputs, model=None) -> Graph:
    """Every tensor that `outputs` were computed from (constants included), inputs first, by an
    iterative depth-first walk in input order: the same graph always gets the same order."""
    outputs = list(outputs)
    if not outputs:
        raise ValueError("draw: give at least one tensor to draw, e.g. draw(loss)")
    for k, t in enumerate(outputs):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"draw: output {k} is a {type(t).__name__}, not a Tensor; draw the tensors a "
                "computation returns"
            )
    order = [live(t) for t in toposort(outputs, constants=True)]
    names, owners = _module_names(model)
    spans = _module_spans(model)
    nodes = []
    for k, t in enumerate(order):
        kind = "op" if t._op is not None else "leaf" if t.requires_grad else "const"
        name = t.name or names.get(id(t)) or f"{'t' if kind == 'op' else kind}{k}"
        module = owners.get(id(t)) or _innermost(spans, t._seq)
        nodes.append(Node(k, t, name, kind, module))
    index = {t._seq: k for k, t in enumerate(order)}
    _composites(nodes, index)
    edges = [
        Edge(index[x._seq], k, i)
        for k, t in enumerate(order)
        if t._op is not None
        for i, x in enumerate(t._op.inputs)
        if isinstance(x, Tensor)
    ]
    modules = (
        {}
        if model is None
        else {
            name: f"{type(m).__name__}({m.extra_repr()})"
            for name, m in model.named_modules()
            if name
        }
    )
    return Graph(nodes, edges, modules=modules)


def _composites(nodes: list[Node], index: dict[int, int]) -> None:
    """Mark each composite's output with its name and the nodes made inside its outermost call
    (calls nest, so each node lies in at most one outermost span: a sweep and a bisection)."""
    from minigrad.functional import COMPOSITES, composite_label

    spans = []
    for node in nodes:
        entry = COMPOSITES.get(node.tensor._seq)
        if entry is not None and node.kind == "op":
            node.step = composite_label(entry)
            spans.append((entry[1], node.tensor._seq, node.index))
    outer: list[tuple[int, int, int]] = []
    for span in sorted(spans):
        if not outer or span[0] > outer[-1][1]:
            outer.append(span)
    starts = [s for s, _, _ in outer]
    for node in nodes:
        k = bisect.bisect_right(starts, node.tensor._seq) - 1
        if k >= 0 and node.tensor._seq < outer[k][1]:
            node.inside = outer[k][2]


def _module_names(model):
    if model is None:
        return {}, {}
    names, owners = {}, {}
    for module_name, module in model.named_modules():
        for name, value in vars(module).items():
            if isinstance(value, Tensor):
                names[id(value)] = f"{module_name}.{name}" if module_name else name
                owners[id(value)] = module_name or None
    return names, owners


def _module_spans(model) -> list[tuple[int, int, str]]:
    if model is None:
        return []
    return [
        (*m._span, name) for name, m in model.named_modules() if name and getattr(m, "_span", None)
    ]


def _innermost(spans, seq: int) -> str | None:
    inside = [(end - start, name) for start, end, name in spans if start < seq < end]
    return min(inside)[1] if inside else None


def backward_values(graph: Graph, output: Tensor, gradient=None) -> None:
    """Fill `graph.grads` (d output / d node) and each edge's value (the gradient it carries)
    by a reverse sweep with the rules on arrays; `.grad` is not needed or touched."""
    root = graph.node_of(output)
    seed = np.ones(output.shape) if gradient is None else np.asarray(gradient, dtype=float)
    if seed.shape != output.shape:
        raise ValueError(
            f"draw: gradient has shape {seed.shape} but the output has shape {output.shape}"
        )
    grads = {root.index: seed.astype(output.dtype)}
    incoming: dict[int, list[Edge]] = {}
    for e in graph.edges:
        incoming.setdefault(e.target, []).append(e)
    for node in reversed(graph.nodes):
        g = grads.get(node.index)
        if g is None or node.kind != "op":
            continue
        op = node.tensor._op
        check_versions(node.tensor, op)  # values changed in place would give wrong numbers
        for e in incoming.get(node.index, []):
            x = graph.nodes[e.source].tensor
            if not x.requires_grad:
                continue
            args, ans = graph.local_inputs(node)
            gx = unbroadcast(np.asarray(op.vjp(np, e.position, g, ans, *args)), x.shape)
            e.value = gx
            grads[e.source] = gx if e.source not in grads else grads[e.source] + gx
    graph.grads = grads


def forward_values(graph: Graph, tangents: dict) -> None:
    """Fill `graph.tangents` and each edge's value (the tangent it carries) by a forward sweep
    with the JVP rules, from `tangents` = {input tensor: tangent}."""
    if not isinstance(tangents, dict):
        raise TypeError("draw: tangents must be a dict {input tensor: tangent}")
    values = {}
    for t, u in tangents.items():
        if not isinstance(t, Tensor) or t._seq not in graph._index:
            raise ValueError(
                f"draw: a tangent is given for {t!r:.40}, which is not a tensor of this graph"
            )
        u = np.asarray(u.data if isinstance(u, Tensor) else u, dtype=t.dtype)
        if u.shape != t.shape:
            raise ValueError(
                f"draw: the tangent of {graph.node_of(t).name} has shape {u.shape} but the "
                f"tensor has shape {t.shape}"
            )
        values[graph.node_of(t).index] = u
    incoming: dict[int, list[Edge]] = {}
    for e in graph.edges:
        incoming.setdefault(e.target, []).append(e)
    for node in graph.nodes:
        if node.kind != "op":
            continue
        op = node.tensor._op
        args, out = graph.local_inputs(node)
        total = None
        for e in incoming.get(node.index, []):
            if e.source in values:
                part = np.broadcast_to(
                    op.jvp(np, e.position, values[e.source], out, *args), out.shape
                )
                e.value = part
                total = part if total is None else total + part
        if total is not None:
            values[node.index] = total
    graph.tangents = values


def local_derivatives(graph: Graph) -> None:
    """For scalar graphs (every node of size 1): each edge's local partial d target / d source,
    the number written on the edges of seed 004's figure 5.8."""
    for e in graph.edges:
        node = graph.nodes[e.target]
        source = graph.nodes[e.source].tensor
        if node.tensor.size != 1 or source.size != 1:
            continue
        op = node.tensor._op
        one = np.ones(source.shape, dtype=source.dtype)
        args, ans = graph.local_inputs(node)
        e.local = np.asarray(op.jvp(np, e.position, one, ans, *args))
