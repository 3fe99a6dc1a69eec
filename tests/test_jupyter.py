"""Jupyter without surprises: a small notebook run by a real kernel (nbclient) with and
without Graphviz's `dot` on PATH; drawings, traces and tensors display as SVG or HTML."""

import importlib.util
import os

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, viz
from minigrad.viz import jupyter
from tests.conftest import needs_dot

CELLS = [
    "import minigrad as mg\nfrom minigrad import nn, viz",
    "x = mg.tensor([1.0, -2.0, 3.0], requires_grad=True, name='x')\n"
    "loss = (nn.relu(x) * x).sum()\nloss.backward()\nx",
    "viz.draw(loss)",
    "viz.trace(loss)",
]


def needs_nbclient() -> None:
    """nbclient and ipykernel come with the dev extra; CI has them, elsewhere skip."""
    missing = [m for m in ("nbclient", "nbformat", "ipykernel") if not importlib.util.find_spec(m)]
    if missing:
        (pytest.fail if os.environ.get("CI") else pytest.skip)(
            f"{', '.join(missing)} not installed: pip install -e '.[dev]'"
        )


def run_notebook(path: str) -> list[dict]:
    """Execute CELLS in a fresh kernel whose PATH is `path`; the outputs of each cell."""
    import nbclient
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    env = {**os.environ, "PATH": path}
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3")
    client.execute(env=env)
    return [c.outputs for c in nb.cells]


def kinds(outputs: list[dict]) -> set[str]:
    found = set()
    for out in outputs:
        assert out["output_type"] not in ("error", "stream"), out  # no traceback, no stderr
        found |= set(out.get("data", {}))
    return found


def test_a_notebook_shows_pictures_with_dot():
    needs_nbclient()
    needs_dot()
    outputs = run_notebook(os.environ["PATH"])
    assert {"text/html", "text/markdown"} <= kinds(outputs[1])  # the tensor
    assert "image/svg+xml" in kinds(outputs[2])  # the drawing
    assert kinds(outputs[2]) == {"image/svg+xml", "text/plain"}
    trace = outputs[3][0]["data"]["text/html"]
    assert "<svg" in trace and "<table" in trace


def test_a_notebook_without_dot_shows_tables_and_one_hint(tmp_path):
    needs_nbclient()
    empty = tmp_path / "bin"  # a PATH on which there is no `dot`
    empty.mkdir()
    outputs = run_notebook(str(empty))
    assert "image/svg+xml" not in kinds(outputs[2])
    for cell in (2, 3):
        page = outputs[cell][0]["data"]["text/html"]
        assert "<table" in page and page.count("apt-get install graphviz") == 1
        assert "<svg" not in page and "ExecutableNotFound" not in page
    assert "<b>" not in outputs[2][0]["data"]["text/plain"]


def test_without_dot_a_drawing_is_a_table_of_its_tensors(monkeypatch):
    monkeypatch.setattr(jupyter, "has_dot", lambda: False)
    x = mg.tensor([1.0, -2.0], requires_grad=True, name="x")
    y = nn.relu(x).sum()
    drawing = viz.draw(y)
    bundle = drawing._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/markdown", "text/plain"}
    assert drawing._repr_svg_() is None
    rows = {r[1]: r for r in drawing.rows}
    assert rows["x"][2] == "leaf, requires grad"
    relu = next(r for r in drawing.rows if r[2] == "relu")
    assert relu[3] == "x"  # the composite's input, not its bool mask
    assert "| x | leaf, requires grad |" in drawing._repr_markdown_()
    assert "&lt;b&gt;" in jupyter.html_table(["a"], [["<b>"]])  # cells are escaped


def test_a_tensor_shows_shape_dtype_grad_state_and_values_compactly():
    x = mg.tensor(np.arange(1000.0), requires_grad=True, name="x")
    line = jupyter.tensor_line(x)
    assert line == "x (1000,) float64 · requires grad"
    (x * 2).sum().backward()
    assert "grad mean 2" in jupyter.tensor_line(x)
    page = x._repr_html_()
    assert "..." in page and len(page) < 600
    assert "made by multiply" in jupyter.tensor_line(x * 2)
    assert x._repr_markdown_().startswith("`x (1000,) float64")


def test_with_dot_a_drawing_is_svg():
    needs_dot()
    drawing = viz.draw(mg.tensor(2.0, requires_grad=True) * 3)
    assert set(drawing._repr_mimebundle_()) == {"image/svg+xml", "text/plain"}
    assert drawing._repr_svg_().startswith("<?xml")
    assert drawing._repr_html_() is None and drawing._repr_markdown_() is None


def test_without_dot_a_program_is_a_table_of_its_instructions(monkeypatch):
    monkeypatch.setattr(jupyter, "has_dot", lambda: False)
    p = mg.make_program(lambda x: (x * x + 1.0).sum())(np.ones(3))
    drawing = viz.draw(p)
    assert isinstance(drawing, jupyter.Drawing)
    table = drawing._repr_markdown_()
    assert "multiply(·, ·)" in table and "add(·, 1.0)" in table and "| input |" in table
    assert "<table" in drawing._repr_html_()
