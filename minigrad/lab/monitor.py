"""Per-layer instruments attached with hooks: activations, back-propagated gradients, weight and
bias gradients, learning speed, histograms, all recorded into plain arrays over training."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from minigrad.nn.module import Module
from minigrad.tensor import Tensor
from minigrad.validate import choice

PERCENTILES = (2, 15, 50, 85, 98)


@dataclass
class LayerRecord:
    """What one watched layer saw, one entry per recorded step."""

    name: str
    steps: list[int] = field(default_factory=list)
    mean: list[float] = field(default_factory=list)
    std: list[float] = field(default_factory=list)
    percentiles: list[np.ndarray] = field(default_factory=list)  # at PERCENTILES
    saturation: list[float] = field(default_factory=list)
    grad_mean: list[float] = field(default_factory=list)  # of dC/d(output of the layer)
    grad_std: list[float] = field(default_factory=list)
    histograms: dict[int, np.ndarray] = field(default_factory=dict)  # step -> values
    grad_histograms: dict[int, np.ndarray] = field(default_factory=dict)

    def arrays(self) -> dict[str, np.ndarray]:
        """The record as arrays (JSON-ready with `.tolist()`)."""
        return {
            "steps": np.array(self.steps),
            "mean": np.array(self.mean),
            "std": np.array(self.std),
            "percentiles": np.array(self.percentiles),
            "saturation": np.array(self.saturation),
            "grad_mean": np.array(self.grad_mean),
            "grad_std": np.array(self.grad_std),
        }


SATURATION_KINDS = ("logistic", "tanh", "softsign")


def saturated(values: np.ndarray, kind: str) -> float:
    """Fraction of units near the flat ends of a squashing function: logistic outputs below
    0.01 or above 0.99, tanh/softsign beyond +-0.99 (Glorot and Bengio's saturation)."""
    choice(kind, SATURATION_KINDS, "saturated", "kind")
    if kind == "logistic":
        return float(np.mean((values < 0.01) | (values > 0.99)))
    return float(np.mean(np.abs(values) > 0.99))


class Monitor:
    """Watch the outputs of `layers` (a dict name -> module, default: every activation module
    of `model`) and, after each backward pass, the gradients flowing into them and the
    parameters' gradients. Call `record(step)` after `loss.backward()` to store one entry.

    `histogram_steps` lists the steps whose full values are kept for histograms.
    """

    def __init__(
        self,
        model: Module,
        layers: dict[str, Module] | None = None,
        saturation: str = "tanh",
        histogram_steps=(),
    ) -> None:
        choice(saturation, SATURATION_KINDS, "Monitor", "saturation")
        self.model, self.saturation_kind = model, saturation
        self.layers = layers if layers is not None else _activations(model)
        _check_not_shared(model, self.layers)
        self.records = {name: LayerRecord(name) for name in self.layers}
        self.learning_speed: dict[str, list[float]] = {}
        self.weight_grad_norm: dict[str, list[float]] = {}
        self.weight_grad_std: dict[str, list[float]] = {}
        self.weight_grads: dict[int, dict[str, np.ndarray]] = {}
        self.histogram_steps = set(histogram_steps)
        self._outputs: dict[str, Tensor] = {}
        self._grads: dict[str, np.ndarray] = {}
        self._handles = [
            m.register_forward_hook(self._watch(name)) for name, m in self.layers.items()
        ]

    def _watch(self, name: str):
        def hook(module, inputs, output):
            self._outputs[name] = output
            if output.requires_grad:
                output.register_hook(lambda g: self._grads.__setitem__(name, g.data.copy()))

        return hook

    def record(self, step: int) -> None:
        """Store the statistics of the last forward (and backward, if one ran) pass."""
        for name, out in self._outputs.items():
            values = out.data
            r = self.records[name]
            r.steps.append(step)
            r.mean.append(float(values.mean()))
            r.std.append(float(values.std(dtype=np.float64)))
            r.percentiles.append(np.percentile(values, PERCENTILES))
            r.saturation.append(saturated(values, self.saturation_kind))
            g = self._grads.get(name)
            r.grad_mean.append(float(g.mean()) if g is not None else np.nan)
            r.grad_std.append(float(g.std(dtype=np.float64)) if g is not None else np.nan)
            if step in self.histogram_steps:
                r.histograms[step] = values.reshape(-1).copy()
                if g is not None:
                    r.grad_histograms[step] = g.reshape(-1).copy()
        for name, p in self.model.named_parameters():
            if p.grad is None:
                continue
            norm = float(np.linalg.norm(p.grad.data))
            if name.endswith("bias"):
                self.learning_speed.setdefault(name, []).append(norm)
            else:
                self.weight_grad_norm.setdefault(name, []).append(norm)
                self.weight_grad_std.setdefault(name, []).append(
                    float(p.grad.data.std(dtype=np.float64))
                )
                if step in self.histogram_steps:
                    self.weight_grads.setdefault(step, {})[name] = p.grad.data.reshape(-1).copy()
        self._grads.clear()

    def remove(self) -> None:
        """Detach every hook; the model is as it was."""
        for h in self._handles:
            h.remove()
        self._handles = []


def _check_not_shared(model: Module, layers: dict[str, Module]) -> None:
    """A module placed in several spots of the model runs several times per forward pass, and
    its statistics would be those of its last run only: refuse it, saying where it is."""
    places: dict[int, list[str]] = {}
    stack = [("", model)]
    while stack:  # every path, shared modules included (named_modules lists each once)
        prefix, module = stack.pop()
        for name, child in module.named_children():
            path = f"{prefix}.{name}" if prefix else name
            places.setdefault(id(child), []).append(path)
            stack.append((path, child))
    for name, module in layers.items():
        where = places.get(id(module), [])
        if len(where) > 1:
            raise ValueError(
                f"Monitor: layer {name!r} is one module used in {len(where)} places "
                f"({', '.join(sorted(where))}), so its statistics would mix its runs; give each "
                "place its own module (e.g. a new nn.Tanh() per layer)"
            )


def _activations(model: Module) -> dict[str, Module]:
    """The activation modules of a model (modules without parameters or children, other than
    Flatten, Dropout and BatchNorm), by dotted name."""
    from minigrad.nn.layers import BatchNorm1d, Dropout, Flatten

    out = {}
    for name, m in model.named_modules():
        if not name or m.parameters() or list(m.named_children()):
            continue
        if not isinstance(m, Flatten | Dropout | BatchNorm1d):
            out[name] = m
    return out


def learning_speed(model: Module) -> dict[str, float]:
    """Nielsen's learning speed of each layer: the norm of dC/db for its bias (call after
    backward)."""
    return {
        name: float(np.linalg.norm(p.grad.data))
        for name, p in model.named_parameters()
        if name.endswith("bias") and p.grad is not None
    }
