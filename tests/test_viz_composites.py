"""Drawings that match the lecture: one edge per use, gradients shown once they exist,
composites (relu, softmax, losses, activations) drawn as one step unless expanded."""

import html
import re

import numpy as np
import pytest

import minigrad as mg
from minigrad import functional as F
from minigrad import nn, viz


def edges(dot) -> list[tuple[str, str]]:
    return re.findall(r"^\s*(\w+) -> (\w+)", dot.source, flags=re.M)


def op_labels(dot) -> list[str]:
    return [html.unescape(label) for label in _op_labels(dot)]


def _op_labels(dot) -> list[str]:
    return re.findall(r"^\s*op\d+ \[label=<([^>]*)>", dot.source, flags=re.M)


def test_one_edge_per_use_of_an_input():
    a = mg.tensor(2.0, requires_grad=True, name="a")
    for y in (a + a, a * a):
        drawn = edges(viz.draw(y))
        assert drawn.count(("n0", "op1")) == 2, drawn
        backward = viz.draw(y, view="backward")
        assert backward.source.count("n0 -> op1") == 2
    assert float(viz.trace(a + a).graph.grads[0]) == 2.0


def test_leaf_gradients_are_shown_by_default_once_backward_ran():
    x = mg.tensor([1.0, -2.0], requires_grad=True, name="x")
    y = (x * 3.0).sum()
    assert "<br/>grad" not in viz.draw(y).source  # no gradient yet: none shown
    y.backward()
    source = viz.draw(y).source
    assert "<br/>grad [3, 3]" in source
    assert source.count("<br/>grad") == 1  # intermediate tensors keep no .grad


def test_relu_is_one_step_not_a_where_with_a_bool_constant():
    x = mg.tensor([1.0, -2.0, 3.0], requires_grad=True, name="x")
    y = nn.relu(x).sum()
    dot = viz.draw(y)
    assert op_labels(dot) == ["relu", "sum axis=(0,) keepdims=False"]
    assert "bool" not in dot.source and "where" not in dot.source
    assert "peripheries=2" in dot.source  # a composite is drawn as a double ellipse
    expanded = viz.draw(y, expand=True)
    assert "where" in expanded.source and "bool" in expanded.source


@pytest.mark.parametrize(
    ("name", "f"),
    [
        ("softmax axis=-1", lambda x: F.softmax(x, axis=-1)),
        ("logsumexp", lambda x: F.logsumexp(x)),
        ("leaky_relu negative_slope=0.2", lambda x: nn.leaky_relu(x, 0.2)),
        ("mse_loss reduction='sum'", lambda x: nn.mse_loss(x, np.ones((2, 3)), "sum")),
        ("gelu", nn.gelu),
        ("softplus", nn.softplus),
        ("elu", nn.elu),
        ("hard_tanh", nn.hard_tanh),
        ("mse_loss", lambda x: nn.mse_loss(x, np.ones((2, 3), dtype=np.float32))),
        (
            "binary_cross_entropy_with_logits",
            lambda x: nn.binary_cross_entropy_with_logits(x, np.ones((2, 3), dtype=np.float32)),
        ),
    ],
)
def test_composites_are_drawn_as_one_named_step(name, f):
    x = mg.tensor(np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=True, name="x")
    y = f(x)
    dot = viz.draw(y)
    assert op_labels(dot) == [name]
    assert ("n" + str(viz.collect([y]).node_of(x).index), op_name(dot)) in edges(dot)
    assert len(op_labels(viz.draw(y, expand=True))) > 1


def op_name(dot) -> str:
    return re.search(r"^\s*(op\d+) \[label", dot.source, flags=re.M).group(1)


def test_cross_entropy_is_drawn_by_its_name():
    logits = mg.tensor(np.eye(3, dtype=np.float32), requires_grad=True)
    loss = nn.cross_entropy(logits, [0, 1, 2])
    assert any(label.startswith("cross_entropy") for label in op_labels(viz.draw(loss)))


def test_the_edge_into_a_composite_carries_the_gradient_summed_over_uses_inside():
    x = mg.tensor(0.7, requires_grad=True, name="x")
    y = nn.gelu(x) * 2.0  # gelu uses x four times
    dot = viz.draw(y, view="backward")
    grad = float(viz.trace(y).graph.grads[0])
    (label,) = re.findall(r"n0 -> op\d+ \[label=<([^>]*)>", dot.source)
    assert float(label) == pytest.approx(grad, rel=1e-3)
    assert dot.source.count("n0 -> ") == 1  # one edge per input of the composite
    local = viz.draw(y, edge_labels="local")
    (d,) = re.findall(r"n0 -> op\d+ \[label=<d = ([^>]*)>", local.source)
    assert float(d) == pytest.approx(grad / 2.0, rel=1e-3)  # d gelu / dx


def test_nested_composites_show_the_outermost_and_modules_keep_their_clusters():
    model = nn.Sequential(nn.Linear(3, 4, rng=np.random.default_rng(0)), nn.ReLU())
    y = model(mg.tensor(np.ones((2, 3), dtype=np.float32))).sum()
    dot = viz.draw(y, model=model)
    assert "relu" in op_labels(dot) and "where" not in dot.source
    assert "cluster_1" in dot.source
    x = mg.tensor([0.5, 2.0], requires_grad=True)
    assert op_labels(viz.draw(nn.hard_tanh(x))) == ["hard_tanh"]  # not clip


def test_composites_do_not_change_results_or_collapsed_modules():
    x = mg.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    nn.relu(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 1.0])
    model = nn.Sequential(nn.Linear(3, 4, rng=np.random.default_rng(0)), nn.ReLU())
    y = model(mg.tensor(np.ones((2, 3), dtype=np.float32))).sum()
    assert "relu" not in viz.draw(y, model=model, collapse=True).source


def test_the_record_of_composites_does_not_grow_without_bound():
    for _ in range(3):
        for _ in range(5000):
            nn.relu(mg.tensor([1.0], requires_grad=True))
    assert len(F.COMPOSITES) <= 10000


def test_a_graph_of_about_50_nodes_fits_a_laptop_width():
    from tests.conftest import needs_dot

    needs_dot()
    rng = np.random.default_rng(0)
    layers = [m for _ in range(11) for m in (nn.Linear(4, 4, rng=rng), nn.Sigmoid())]
    model = nn.Sequential(*layers, nn.Linear(4, 3, rng=rng))
    x = mg.tensor(rng.normal(size=(5, 4)).astype(np.float32))
    loss = nn.cross_entropy(model(x), [0, 1, 2, 0, 1])
    assert 45 <= len(viz.collect([loss]).nodes) <= 60
    # Left to right, or top to bottom with each module's parameters on the rank above its op,
    # this graph is 2,300-4,300 pt wide; with them beside the op and the computed values in a
    # straight column, 554 and 734 pt (at most 800 pt: ~1,070 px, a laptop's width).
    for view in ("forward", "backward"):
        svg = viz.draw(loss, model=model, view=view).pipe(format="svg").decode()
        width = float(re.search(r'<svg width="([\d.]+)pt"', svg).group(1))
        assert width <= 800, f"{view}: {width} pt wide"
    small = viz.draw(mg.tensor(2.0, requires_grad=True) * 3 + 1)
    assert "rankdir=LR" in small.source  # two ops read like a formula, left to right
