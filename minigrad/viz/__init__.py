"""Rendering computation graphs with the graphviz package: forward, backward and tangent views,
modules as clusters, composites as one step, gradient magnitude as colour, a step-by-step
backprop trace; in Jupyter, pictures (or tables and an install hint without Graphviz)."""

from minigrad.viz import output
from minigrad.viz.drawing import draw, draw_gradcheck, draw_graph
from minigrad.viz.graph import Graph, collect
from minigrad.viz.jupyter import Drawing
from minigrad.viz.output import GraphvizNotFound, has_dot, render
from minigrad.viz.trace import BackpropTrace, trace

__all__ = [
    "output",
    "BackpropTrace",
    "Drawing",
    "Graph",
    "GraphvizNotFound",
    "collect",
    "draw",
    "draw_graph",
    "draw_gradcheck",
    "has_dot",
    "render",
    "trace",
]
