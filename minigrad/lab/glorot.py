"""Glorot and Bengio (2010), "Understanding the difficulty of training deep feedforward neural
networks" (seed 000), run as the paper did: 1,000 units per hidden layer, 5 hidden layers (4 for
the sigmoid), softmax output, negative log-likelihood, SGD on mini-batches of 10, biases 0,
Shapeset-3x2 as an online stream (fresh images every step), the learning rate chosen per
configuration on validation error, statistics on 300 fixed test examples.

`train` is one run and a sweep target (`minigrad sweep minigrad.lab.glorot:train ...`); its
result is plain JSON: error curves, per-layer activation statistics over training, histograms at
initialisation and at the end, weight-gradient spreads and the layer Jacobians' singular values.
`best_runs` picks each configuration's learning rate on validation; figures are drawn by
`minigrad.lab.glorot_figures`.
"""

from __future__ import annotations

import functools
import inspect
import time

import numpy as np

import minigrad as mg
from minigrad import nn, optim
from minigrad.data import MnistError, load_mnist, shapeset_3x2, shapeset_3x2_batches
from minigrad.lab.jacobian import layer_jacobian_singular_values
from minigrad.lab.monitor import Monitor
from minigrad.training import evaluate
from minigrad.validate import choice

ACTIVATIONS = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "softsign": nn.Softsign}
SATURATION = {"sigmoid": "logistic", "tanh": "tanh", "softsign": "softsign"}
RANGE = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "softsign": (-1.0, 1.0)}
INITS = ("standard", "normalized")
DATASETS = ("shapeset", "mnist")
BATCH = 10  # the paper's mini-batch
PROBE = 300  # the paper's fixed test examples for statistics and histograms
TEST_SEED = 2010  # Shapeset's validation and test sets are the same for every run
CURVE_EXAMPLES = 1000  # error curves during training use the first examples of each set
BINS = 50

# (activation, init, depth): the rows of table 1, plus the 5-layer sigmoid of figure 2's text
CONFIGS = [
    ("sigmoid", "standard", 4),
    ("sigmoid", "standard", 5),
    ("tanh", "standard", 5),
    ("tanh", "normalized", 5),
    ("softsign", "standard", 5),
    ("softsign", "normalized", 5),
]
LEARNING_RATES = {
    "sigmoid": [0.1, 0.3, 1.0],
    "tanh": [0.01, 0.03, 0.1],
    "softsign": [0.01, 0.03, 0.1],
}
# test error %, Shapeset-3x2 and MNIST, Glorot and Bengio 2010, table 1 (sigmoid: depth 4)
PAPER_TABLE_1 = {
    ("sigmoid", "standard"): (82.61, 2.21),
    ("tanh", "standard"): (27.15, 1.76),
    ("tanh", "normalized"): (15.60, 1.64),
    ("softsign", "standard"): (16.27, 1.64),
    ("softsign", "normalized"): (16.06, 1.72),
}
PAPER_SINGULAR = {"standard": 0.5, "normalized": 0.8}  # section 4.2.2, mean singular value
PAPER_UPDATES = 5_000_000  # section 2.3: learning rates chosen on validation after 5M updates


def make_model(activation: str, init: str, sizes: list[int], rng: np.random.Generator):
    """Linear layers of `sizes` with `activation` between them, biases 0, weights from the
    "standard" U[-1/sqrt(n_in), 1/sqrt(n_in)] or "normalized" (Xavier) initialisation."""
    choice(activation, tuple(ACTIVATIONS), "glorot.make_model", "activation")
    choice(init, INITS, "glorot.make_model", "init")
    layers = []
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        linear = nn.Linear(n_in, n_out, rng=rng)
        if init == "normalized":
            nn.init.xavier_uniform_(linear.weight, rng)
        nn.init.zeros_(linear.bias)
        layers.append(linear)
        if k < len(sizes) - 2:
            layers.append(ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


def datasets(dataset: str, seed: int, mnist=None, small: bool = False) -> dict:
    """Fixed validation and test sets and an endless stream of training mini-batches.

    Shapeset-3x2: the stream draws fresh images from a generator seeded by `seed` (the paper's
    online setting); validation and test sets come from a fixed generator. MNIST: the
    50k/10k/10k split, the training set reshuffled every epoch.
    """
    choice(dataset, DATASETS, "glorot.datasets", "dataset")
    if dataset == "shapeset":
        fixed = np.random.default_rng(TEST_SEED)
        n_val, n_test = (300, 600) if small else (2000, 5000)
        vx, vy = shapeset_3x2(n_val, fixed)
        tx, ty = shapeset_3x2(n_test, fixed)
        stream = shapeset_3x2_batches(BATCH, np.random.default_rng([seed, 1]))
        return {"validation": (vx, vy), "test": (tx, ty), "stream": stream, "inputs": 1024}
    data = load_mnist(mnist, split="nielsen")
    x, y = data.train_images, data.train_labels
    stream = _epochs(x, y, np.random.default_rng([seed, 1]))
    vx, vy = data.validation_images, data.validation_labels
    tx, ty = data.test_images, data.test_labels
    if small:
        vx, vy, tx, ty = vx[:300], vy[:300], tx[:600], ty[:600]
    return {"validation": (vx, vy), "test": (tx, ty), "stream": stream, "inputs": 784}


def _epochs(x: np.ndarray, y: np.ndarray, rng: np.random.Generator):
    while True:
        order = rng.permutation(len(y))
        for start in range(0, len(y) - BATCH + 1, BATCH):
            k = order[start : start + BATCH]
            yield x[k], y[k]


def majority_error(dataset: str, examples: int | None = None, mnist=None) -> float | None:
    """The error of always answering the most frequent class of the test set (or of its first
    `examples`): the chance level; None when the MNIST files are not on this machine."""
    try:
        labels = _test_labels(dataset, mnist)[:examples]
    except MnistError:
        return None
    return 1 - np.bincount(labels).max() / len(labels)


@functools.lru_cache(maxsize=4)
def _test_labels(dataset: str, mnist) -> np.ndarray:
    """The fixed test set's labels, read once (the figures and the summary each ask)."""
    return datasets(dataset, 0, mnist)["test"][1]


def error(model, x: np.ndarray, y: np.ndarray) -> float:
    """Classification error of `model` on (x, y) (`training.evaluate`, without a graph)."""
    return 1 - evaluate(model, x, y)["accuracy"]


def train(
    dataset: str = "shapeset",
    activation: str = "tanh",
    init: str = "standard",
    lr: float = 0.03,
    depth: int = 5,
    width: int = 1000,
    steps: int = 20_000,
    record_every: int = 500,
    seed: int = 0,
    mnist: str | None = None,
    small: bool = False,
) -> dict:
    """One run: `steps` SGD updates on mini-batches of 10; every `record_every` steps, the
    validation and test error on the first examples of each set, and a forward and backward
    pass on the 300 probe examples recorded per layer (its gradients discarded). A run whose
    loss turns NaN or inf stops there and says `diverged`. `small` shrinks the fixed sets (tests).
    """
    _check_run(lr, depth, width, steps, record_every)
    rng = np.random.default_rng(seed)
    data = datasets(dataset, seed, mnist, small)
    model = make_model(activation, init, [data["inputs"]] + [width] * depth + [10], rng)
    hidden = {f"layer {j + 1}": model[2 * j + 1] for j in range(depth)}
    monitor = Monitor(model, hidden, SATURATION[activation], histogram_steps={0, steps})
    jacobian = jacobian_singular_values(model, data["test"][0][:PROBE])
    start = time.perf_counter()
    curve, step, diverged = _fit(model, monitor, data, lr, steps, record_every)
    seconds = time.perf_counter() - start
    monitor.remove()
    (vx, vy), (tx, ty) = data["validation"], data["test"]
    return {
        "validation_error": None if diverged else error(model, vx, vy),
        "test_error": None if diverged else error(model, tx, ty),
        "diverged": diverged,
        "steps_run": step,
        "seconds_per_step": seconds / max(step, 1),
        "curve": curve,
        "layers": _layer_stats(monitor),
        "histograms": _histograms(monitor, activation, steps),
        "jacobian": jacobian,
    }


def _fit(model, monitor: Monitor, data: dict, lr: float, steps: int, every: int):
    """The SGD loop with its records: (error curves, last step, whether it diverged)."""
    opt = optim.SGD(model.parameters(), lr=lr)
    probe = tuple(a[:PROBE] for a in data["test"])
    curve = {"steps": [], "validation": [], "test": []}
    for step in range(steps + 1):
        if step % every == 0 or step == steps:
            finite = _probe(model, monitor, *probe, step)
            curve["steps"].append(step)
            for name in ("validation", "test"):
                x, y = (a[:CURVE_EXAMPLES] for a in data[name])
                curve[name].append(error(model, x, y))
            if step == steps or not finite:
                return curve, step, not finite
        x, y = next(data["stream"])
        loss = nn.cross_entropy(model(mg.Tensor(x)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    raise AssertionError("unreachable: the last step returns")


def _check_run(lr, depth, width, steps, record_every) -> None:
    if not isinstance(lr, int | float) or isinstance(lr, bool) or not np.isfinite(lr) or lr <= 0:
        raise ValueError(f"glorot.train: lr must be a positive number, got {lr!r}")
    for name, value in (("depth", depth), ("width", width), ("steps", steps)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"glorot.train: {name} must be a whole number >= 1, got {value!r}")
    if not isinstance(record_every, int) or isinstance(record_every, bool) or record_every < 1:
        raise ValueError(
            f"glorot.train: record_every must be a whole number >= 1, got {record_every!r}"
        )


def _probe(model, monitor: Monitor, x: np.ndarray, y: np.ndarray, step: int) -> bool:
    """Record one forward and backward pass on the probe examples; False if the loss or a
    parameter is not finite (the run diverged)."""
    loss = nn.cross_entropy(model(mg.Tensor(x)), y)
    loss.backward()
    monitor.record(step)
    model.zero_grad()
    finite = all(np.isfinite(p.data).all() for p in model.parameters())
    return finite and bool(np.isfinite(loss.item()))


def jacobian_singular_values(model, x: np.ndarray, examples: int = 4) -> dict:
    """Singular values of dh^(i+1)/dh^i between consecutive hidden layers at `x`'s first
    examples (float64): their mean per layer pair and overall (the paper's section 4.2.2)."""
    layers = model.layers
    blocks = [nn.Sequential(layers[k], layers[k + 1]) for k in range(2, len(layers) - 1, 2)]
    with mg.no_grad():
        h = layers[1](layers[0](mg.Tensor(x[:examples]))).data.astype(np.float64)
    values = layer_jacobian_singular_values(blocks, h, examples=examples)
    return {
        "mean": float(np.mean([v.mean() for v in values])),
        "per_layer": [float(v.mean()) for v in values],
    }


def _layer_stats(monitor: Monitor) -> dict:
    out = {}
    weights = [name for name in monitor.weight_grad_std][: len(monitor.records)]
    for (name, r), weight in zip(monitor.records.items(), weights, strict=True):
        a = r.arrays()
        out[name] = {
            "steps": a["steps"].tolist(),
            "mean": a["mean"].tolist(),
            "std": a["std"].tolist(),
            "p2": a["percentiles"][:, 0].tolist(),
            "p98": a["percentiles"][:, -1].tolist(),
            "saturation": a["saturation"].tolist(),
            "grad_std": a["grad_std"].tolist(),
            "weight_grad_std": monitor.weight_grad_std[weight],
        }
    return out


def _histograms(monitor: Monitor, activation: str, steps: int) -> dict:
    """Histograms (counts on shared edges) of activations at initialisation and at the end,
    of the back-propagated gradients and of the weight gradients at initialisation. Gradient
    edges span the 99.5th percentile of |values|; values beyond count in the end bins."""
    records = monitor.records
    weights = list(monitor.weight_grads.get(0, {}).values())[: len(records)]
    kinds = {
        "activations_init": [r.histograms.get(0) for r in records.values()],
        "activations_end": [r.histograms.get(steps) for r in records.values()],
        "gradients_init": [r.grad_histograms.get(0) for r in records.values()],
        "weight_gradients_init": weights,
    }
    out = {}
    for kind, values in kinds.items():
        if any(v is None for v in values) or not values:
            continue
        if kind.startswith("activations"):
            lo, hi = RANGE[activation]
        else:
            hi = float(max(np.percentile(np.abs(v), 99.5) for v in values)) or 1.0
            lo = -hi
        edges = np.linspace(lo, hi, BINS + 1)
        out[kind] = {
            "edges": edges.tolist(),
            "layers": {
                name: np.histogram(np.clip(v, lo, hi), edges)[0].tolist()
                for name, v in zip(records, values, strict=True)
            },
        }
    return out


GROUP = ("dataset", "activation", "init", "depth", "width", "steps")
DEFAULTS = {k: p.default for k, p in inspect.signature(train).parameters.items()}


def best_runs(rows: list[dict]) -> dict:
    """For each (dataset, activation, init, depth, width, steps), the row (of `sweep.table`)
    whose final validation error is lowest over the learning rates (diverged runs never win),
    with `tried`: the learning rates and validation errors compared."""
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        config = tuple(row.get(k, DEFAULTS[k]) for k in GROUP)
        groups.setdefault(config, []).append(row)
    best = {}
    for config, group in groups.items():
        finished = [r for r in group if r["validation_error"] is not None]
        if not finished:
            continue
        winner = min(finished, key=lambda r: (r["validation_error"], r["lr"]))
        tried = sorted([r["lr"], r["validation_error"]] for r in group)
        best[config] = {**winner, "tried": tried}
    return best
