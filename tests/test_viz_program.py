"""Drawing static programs: one node per instruction, one edge per use, escaped names."""

from __future__ import annotations

import numpy as np

import minigrad as mg
from minigrad import viz


def test_a_program_draws_one_node_per_value_and_one_edge_per_use():
    p = mg.make_program(lambda x: (x * x + 1.0).sum())(np.ones(3))
    source = viz.draw(p).source
    assert source.count("= multiply(·, ·)") == 1 and "= add(·, 1.0)" in source
    x, square = p.inputs[0], p.instructions[0].out
    assert source.count(f"v{x.index} -> v{square.index}") == 2  # x * x: two uses, two edges
    assert 'style="rounded,bold"' in source  # the output


def test_names_from_the_arguments_are_escaped():
    p = mg.make_program(lambda d: d["<b>w</b>\n"] * 2.0)({"<b>w</b>\n": np.ones(2)})
    source = viz.draw(p, title="<i>t</i>").source
    assert "<b>w</b>" not in source and "&lt;b&gt;w&lt;/b&gt;\\n" in source  # (repr's \\n)
    assert "<i>" not in source


def test_borrowed_tensors_and_large_constants_are_boxes_of_their_own():
    t = mg.tensor(np.ones(3))
    big = np.arange(10.0)
    p = mg.make_program(lambda x: (x * t).sum() + (x.sum() * big))(np.ones(3))
    source = viz.draw(p).source
    assert "(borrowed)" in source and "float64[10]" in source
