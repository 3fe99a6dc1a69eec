"""Instruments for experiments on deep networks: per-layer activation and gradient statistics,
learning speed, Jacobian singular values, histograms; plotting helpers in `minigrad.lab.plots`."""

from minigrad.lab.jacobian import layer_jacobian_singular_values, mean_singular_value
from minigrad.lab.monitor import PERCENTILES, LayerRecord, Monitor, learning_speed, saturated
from minigrad.lab.seed_graph import sigmoid_steps

__all__ = [
    "PERCENTILES",
    "LayerRecord",
    "Monitor",
    "layer_jacobian_singular_values",
    "learning_speed",
    "mean_singular_value",
    "saturated",
    "sigmoid_steps",
]
