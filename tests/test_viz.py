"""Rendering: golden DOT text, counts, labels, clusters, colours, SVG output, no-dot errors,
traces and the command line."""

from __future__ import annotations

import re
import runpy
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, viz
from minigrad.cli import main
from minigrad.viz import drawing as draw_module
from minigrad.viz import output
from tests.conftest import needs_dot

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
FIGURE = runpy.run_path(str(ROOT / "demos" / "figure_5_8.py"))


def test_golden_dot_text_for_the_seed_graph():
    f, _ = FIGURE["build"]()
    assert viz.draw(f).source == (GOLDEN / "figure_5_8_forward.dot").read_text()
    assert (
        viz.draw(f, view="backward", edge_labels="local").source
        == (GOLDEN / "figure_5_8_backward.dot").read_text()
    )


def test_dot_text_is_the_same_in_another_process():
    code = (
        "import runpy; from minigrad import viz; "
        "f, _ = runpy.run_path('demos/figure_5_8.py')['build'](); "
        "print(viz.draw(f, view='backward').source, end='')"
    )
    other = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    f, _ = FIGURE["build"]()
    assert other == viz.draw(f, view="backward").source
    assert "0x" not in other  # no id()-based names


class MLP(nn.Module):
    def __init__(self, rng, depth=2):
        super().__init__()
        sizes = [4] + [6] * depth
        self.layers = nn.Sequential(
            *[
                m
                for a, b in zip(sizes[:-1], sizes[1:], strict=True)
                for m in (nn.Linear(a, b, rng=rng), nn.Sigmoid())
            ]
        )
        self.head = nn.Linear(6, 3, rng=rng)

    def forward(self, x):
        return self.head(self.layers(x))


def _mlp_loss(depth=2):
    rng = np.random.default_rng(0)
    model = MLP(rng, depth)
    x = mg.Tensor(rng.standard_normal((5, 4)).astype(np.float32), name="x")
    return model, nn.cross_entropy(model(x), np.array([0, 1, 2, 0, 1]))


def _statements(source: str) -> tuple[list[str], list[str]]:
    nodes = re.findall(r"^\s+(n\d+|op\d+) \[", source, re.M)
    edges = re.findall(r"^\s+(\S+) -> (\S+)", source, re.M)
    return nodes, edges


def test_node_and_edge_counts_match_the_recorded_graph():
    model, loss = _mlp_loss()
    graph = viz.collect([loss], model)
    source = viz.draw(loss, model=model).source
    nodes, edges = _statements(source)
    computed = [n for n in graph.nodes if n.kind == "op"]
    assert len(nodes) == len(graph.nodes) + len(computed)
    assert len(edges) == len(graph.edges) + len(computed)  # inputs -> op, op -> output
    assert len(graph.nodes) == 13  # x, 3 x (W, b, linear), 2 sigmoids, the loss


def test_labels_show_names_shapes_values_and_gradients():
    model, loss = _mlp_loss()
    source = viz.draw(loss, model=model, view="backward").source
    for text in [
        "<b>layers.0.weight</b>  (6, 4) float32",
        "<b>head.bias</b>  (3,) float32",
        "<b>x</b>  (5, 4) float32",
        "leaf, requires grad",
        "constant",
        "grad mean",
        "cross_entropy reduction=&#x27;mean&#x27;",
        "linear",
        "|g| ",
    ]:
        assert text in source, text


def test_modules_are_clusters_and_collapse_into_one_node():
    model, loss = _mlp_loss()
    source = viz.draw(loss, model=model).source
    for name in ["layers_0", "layers_1", "layers_2", "layers_3", "head"]:
        assert f"subgraph cluster_{name} " in source
    assert "label=<layers.0: Linear(4, 6, bias=True)>" in source
    collapsed = viz.draw(loss, model=model, view="backward", collapse=True).source
    assert "m_layers [" in collapsed and "m_head [" in collapsed
    assert "cluster_" not in collapsed and "layers.0.weight" not in collapsed
    assert "|grad| of output" in collapsed
    finer = viz.draw(loss, model=model, collapse=True, depth=2).source
    assert "m_layers_0 [" in finer and "m_layers_3 [" in finer


def test_colours_follow_gradient_norms():
    model, loss = _mlp_loss(depth=4)
    graph = viz.collect([loss], model)
    from minigrad.viz.graph import backward_values

    backward_values(graph, loss)
    source = viz.draw_graph(graph, view="backward", color=True).source
    norms = {k: float(np.linalg.norm(g)) for k, g in graph.grads.items()}
    fills = dict(re.findall(r"^\s+(n\d+) \[.*?fillcolor=\"(#[0-9a-f]{6})\"", source, re.M))
    darkest, brightest = min(norms, key=norms.get), max(norms, key=norms.get)
    assert fills[f"n{darkest}"] == draw_module.PALETTE[0]
    assert fills[f"n{brightest}"] == draw_module.PALETTE[-1]
    ranked = sorted(norms, key=norms.get)
    brightness = [sum(int(fills[f"n{k}"][i : i + 2], 16) for i in (1, 3, 5)) for k in ranked]
    assert brightness[0] < brightness[len(brightness) // 2] < brightness[-1]
    assert "|grad|" in source and "legend" in source


def test_tangent_view_and_second_order_graph():
    x = mg.tensor([1.0, 2.0], dtype=np.float64, requires_grad=True, name="x")
    y = (x * x).sum()
    source = viz.draw(y, view="tangent", tangents={x: np.array([1.0, 0.0])}).source
    assert "tangent [1, 0]" in source and "tangent 2" in source
    y.backward(create_graph=True)
    second = viz.draw(x.grad).source
    assert x.grad.requires_grad and "multiply" in second
    with pytest.raises(ValueError, match="view must be"):
        viz.draw(y, view="sideways")


def test_node_limit_folds_the_rest():
    _, loss = _mlp_loss(depth=4)
    source = viz.draw(loss, max_nodes=10).source
    assert "earlier nodes folded" in source
    assert len(re.findall(r"^\s+n\d+ \[", source, re.M)) == 10


def test_rendered_svg_is_valid_and_has_every_label(tmp_path):
    needs_dot()
    model, loss = _mlp_loss()
    path = viz.render(viz.draw(loss, model=model, view="backward"), tmp_path / "mlp")
    root = ET.parse(path).getroot()
    text = " ".join(t.text or "" for t in root.iter() if t.tag.endswith("text"))
    for node in viz.collect([loss], model).nodes:
        assert node.name in text
    assert viz.render(viz.draw(loss), tmp_path / "mlp", format="png").read_bytes()[:4] == b"\x89PNG"


def test_without_dot_rendering_fails_at_once_and_keeps_the_text(tmp_path, monkeypatch):
    monkeypatch.setattr(output.shutil, "which", lambda name: None)
    _, loss = _mlp_loss()
    graph = viz.draw(loss)
    assert graph.source.startswith("digraph {")
    with pytest.raises(
        viz.GraphvizNotFound,
        match=r"not installed.*DOT text is in .*mlp\.dot"
        r".*apt-get install graphviz",
    ):
        viz.render(graph, tmp_path / "mlp", format="svg")
    assert (tmp_path / "mlp.dot").read_text() == graph.source


def test_backprop_trace_table_and_frames(tmp_path):
    f, _ = FIGURE["build"]()
    trace = viz.trace(f)
    assert [s.name for s in trace.steps] == ["h6", "h5", "h4", "h3", "h2", "h2", "h1"]
    assert [float(s.local) for s in trace.steps] == [-0.25, 1.0, 1.0, -1.0, 1.0, 1.0, 1.0]
    for s in trace.steps:
        assert float(s.upstream) * float(s.local) == float(s.contribution)
    table = trace.table()
    assert table.splitlines()[0].split() == [
        "step",
        "at",
        "op",
        "to",
        "input",
        "upstream",
        "x",
        "local",
        "=",
        "contribution",
    ]
    frames = trace.frames(tmp_path, format="svg" if viz.has_dot() else "dot")
    assert len(frames) == 7 and all(p.exists() for p in frames)
    assert "step 4: at h3 (negative)" in (tmp_path / "step_04.dot").read_text()


def test_gradcheck_culprit_is_drawn_red():
    class Twice(mg.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 4 * x * g  # should be 2 x g

    graph, result = viz.draw_gradcheck(lambda t: Twice.apply(t.sin()).sum(), np.array([0.3]))
    assert not result and result.culprit.name == "Twice"
    red = re.findall(r'^\s+(op\d+) \[label=<Twice> .*color="#d62728"', graph.source, re.M)
    assert red and "culprit" in graph.source


def test_cli_draw(tmp_path, capsys):
    target = tmp_path / "f.py"
    target.write_text("def f(x, y):\n    return (x * y).tanh().sum()\n")
    fmt = "svg" if viz.has_dot() else "dot"
    assert (
        main(
            [
                "draw",
                f"{target}:f",
                "--shapes",
                "3",
                "3",
                "--out",
                str(tmp_path / "g"),
                "--format",
                fmt,
            ]
        )
        == 0
    )
    assert (tmp_path / f"g.{fmt}").exists() and "drawn to" in capsys.readouterr().out


def test_figure_5_8_demo(tmp_path):
    FIGURE["main"](["--out", str(tmp_path)])
    assert (tmp_path / "figure_5_8.dot").exists()
    assert "0.25" in (tmp_path / "trace.txt").read_text()
    if viz.has_dot():
        assert (tmp_path / "figure_5_8.png").read_bytes()[:4] == b"\x89PNG"
        assert len(list((tmp_path / "frames").glob("*.png"))) == 7


def test_jupyter_shows_the_drawing_inline():
    needs_dot()
    f, _ = FIGURE["build"]()
    bundle = viz.draw(f)._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"] and "h6" in bundle["image/svg+xml"]
