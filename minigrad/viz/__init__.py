"""Rendering computation graphs with the graphviz package: forward, backward and tangent views,
modules as clusters, gradient magnitude as colour, a step-by-step backprop trace."""

from minigrad.viz import output
from minigrad.viz.drawing import draw, draw_gradcheck, draw_graph
from minigrad.viz.graph import Graph, collect
from minigrad.viz.output import GraphvizNotFound, has_dot, render
from minigrad.viz.trace import BackpropTrace, trace

__all__ = [
    "output",
    "BackpropTrace",
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
