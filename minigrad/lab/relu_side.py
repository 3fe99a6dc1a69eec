"""The ReLU side of seeds 003/004: the backward chain product w relu'(z) (no 1/4 per layer as with
sigmoid), dying ReLU after training with a large learning rate (and leaky ReLU / PReLU units that
keep a gradient under the same training), and the sparsity of activations."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

import minigrad as mg
from minigrad import nn
from minigrad.nn.losses import cross_entropy
from minigrad.optim import SGD
from minigrad.validate import choice, generator, integer, number

ACTIVATIONS = {
    "relu": nn.ReLU,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "softplus": nn.Softplus,
    "leaky_relu": nn.LeakyReLU,  # slope 0.01 below 0 (seed 004, eq. 5.18)
    "prelu": nn.PReLU,  # a learned slope per unit, initialised to 0.25 (eq. 5.20)
}
ONE_SIDED = ("relu", "leaky_relu", "prelu")  # the activations of the dying experiment
KINDS = (*ACTIVATIONS, "linear")  # "linear": no activation module (Glorot's linear regime)
INITS = ("he", "xavier", "standard")


# --- checks at the public boundary ---------------------------------------------------------


def check_inputs(x, where: str, what: str = "x", features: int | None = None) -> np.ndarray:
    """A non-empty, finite, real 2-D array (examples, features), as float64."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{where}: {what} must be a NumPy array, got {type(x).__name__}")
    if x.dtype.kind not in "fiu" or x.dtype == bool:
        raise TypeError(f"{where}: {what} must hold real numbers, got dtype {x.dtype}")
    if x.ndim != 2 or x.size == 0:
        raise ValueError(f"{where}: {what} must be a non-empty 2-D array, got shape {x.shape}")
    if features is not None and x.shape[1] != features:
        raise ValueError(f"{where}: {what} must have {features} features, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{where}: {what} holds NaN or infinite values")
    return x.astype(np.float64)


def check_labels(y, n: int, classes: int, where: str) -> np.ndarray:
    """Integer class labels in [0, classes), one per example."""
    if not isinstance(y, np.ndarray) or y.dtype.kind not in "iu":
        raise TypeError(f"{where}: y must be a NumPy array of integer labels, got {y!r:.40}")
    if y.shape != (n,):
        raise ValueError(f"{where}: y must have shape ({n},) like x's rows, got {y.shape}")
    if y.min() < 0 or y.max() >= classes:
        raise ValueError(f"{where}: y must hold labels in [0, {classes}), got {y.min()}..{y.max()}")
    return y.astype(np.int64)


def check_widths(widths, where: str) -> tuple[int, ...]:
    """Layer widths (input, hidden..., output): at least two whole numbers >= 1."""
    if isinstance(widths, str | bytes) or not isinstance(widths, Sequence):
        raise TypeError(f"{where}: widths must be a sequence of ints, got {widths!r:.40}")
    if len(widths) < 2:
        raise ValueError(f"{where}: widths needs the input and output widths, got {widths!r}")
    return tuple(integer(w, where, "widths", low=1) for w in widths)


def check_rates(lrs, where: str) -> list[float]:
    """A non-empty sequence of learning rates > 0."""
    if isinstance(lrs, str | bytes) or not isinstance(lrs, Sequence) or len(lrs) == 0:
        raise ValueError(f"{where}: lrs must be a non-empty sequence of numbers, got {lrs!r:.40}")
    return [number(lr, where, "lrs", low=0, low_open=True) for lr in lrs]


# --- networks --------------------------------------------------------------------------------


def mlp(
    widths: Sequence[int], activation: str, rng: np.random.Generator, init: str = "he"
) -> nn.Sequential:
    """Linear layers of `widths` (input, hidden..., output) in float64 with `activation` after
    each hidden one ("prelu": one learned slope per unit); weights from `init` ("he":
    N(0, 2/n_in), "xavier": N(0, 2/(n_in + n_out)), "standard": U[-1/sqrt(n_in), 1/sqrt(n_in)])
    and zero biases."""
    widths = check_widths(widths, "mlp")
    choice(activation, KINDS, "mlp", "activation")
    choice(init, INITS, "mlp", "init")
    generator(rng, "mlp")
    layers: list[nn.Module] = []
    for k, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
        lin = nn.Linear(n_in, n_out, rng=rng, dtype=np.float64)
        if init == "he":
            nn.init.kaiming_normal_(lin.weight, rng)
        elif init == "xavier":
            nn.init.xavier_normal_(lin.weight, rng)
        nn.init.zeros_(lin.bias)
        layers.append(lin)
        if k < len(widths) - 2 and activation == "prelu":
            layers.append(nn.PReLU(n_out))
        elif k < len(widths) - 2 and activation != "linear":
            layers.append(ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


def linears(model: nn.Sequential) -> list[nn.Linear]:
    return [m for m in model if isinstance(m, nn.Linear)]


def hidden_outputs(model: nn.Sequential, x: np.ndarray) -> list[np.ndarray]:
    """The output of every activation module on `x` (no graph is recorded)."""
    outs, h = [], mg.tensor(check_inputs(x, "hidden_outputs"), dtype=np.float64)
    with mg.no_grad():
        for m in model:
            h = m(h)
            if not isinstance(m, nn.Linear):
                outs.append(h.numpy())
    return outs


# --- (a) the chain product -------------------------------------------------------------------


def local_derivatives(activation: str, z: np.ndarray) -> np.ndarray:
    """f'(z) elementwise, computed by minigrad's backward pass through f (the factor that
    multiplies w in each link of seed 003's chain dJ/db1 = f'(z1) w2 f'(z2) w3 ...).

    >>> local_derivatives("relu", np.array([[-1.0, 0.0, 2.0]])).tolist()
    [[0.0, 0.0, 1.0]]
    >>> float(local_derivatives("sigmoid", np.array([[0.0]]))[0, 0])
    0.25
    """
    choice(activation, tuple(ACTIVATIONS), "local_derivatives", "activation")
    zt = mg.tensor(check_inputs(z, "local_derivatives", "z"), dtype=np.float64, requires_grad=True)
    ACTIVATIONS[activation]()(zt).sum().backward()
    return zt.grad.numpy()


def layer_gradients(
    model: nn.Sequential, x: np.ndarray, rng: np.random.Generator, y: np.ndarray | None = None
) -> dict:
    """Back-propagate from the output a N(0, 1) cotangent (or, given labels `y`, the mean
    cross-entropy): per Linear layer (bottom first) the RMS and variance of dL/dz (z its output,
    the back-propagated delta) and the norm of dL/dW; per hidden layer the std of its output
    and the RMS and largest value of the activation's local derivative f'(z)."""
    generator(rng, "layer_gradients")
    lins = linears(model)
    x = check_inputs(x, "layer_gradients", features=lins[0].in_features)
    h = mg.tensor(x, dtype=np.float64)
    zs, acts, derivs = [], [], []
    for m in model:
        h = m(h)
        if isinstance(m, nn.Linear):
            zs.append(h.retain_grad())
        else:
            acts.append(h.numpy())
            derivs.append(local_derivatives(_name(m), zs[-1].numpy()))
    if y is None:
        (h * mg.tensor(rng.normal(0, 1, h.shape), dtype=np.float64)).sum().backward()
    else:
        cross_entropy(
            h, check_labels(y, len(x), lins[-1].out_features, "layer_gradients")
        ).backward()
    acts = acts or [z.numpy() for z in zs[:-1]]  # a linear net: the hidden z themselves
    return {
        "delta_rms": np.array([np.sqrt(np.mean(z.grad.numpy() ** 2)) for z in zs]),
        "delta_var": np.array([np.var(z.grad.numpy()) for z in zs]),
        "weight_grad_norm": np.array([np.linalg.norm(m.weight.grad.numpy()) for m in lins]),
        "activation_std": np.array([a.std() for a in acts]),
        "derivative_rms": np.array([np.sqrt(np.mean(d**2)) for d in derivs]),
        "derivative_max": np.array([d.max() for d in derivs]),
    }


def _name(module: nn.Module) -> str:
    return next(k for k, kind in ACTIVATIONS.items() if type(module) is kind)


def chain_comparison(
    depth: int, width: int, rng: np.random.Generator, n: int = 256
) -> dict[str, dict]:
    """A `depth`-hidden-layer net of `width` units, He init, sigmoid vs ReLU, on N(0, 1) inputs:
    layer_gradients of each and the mean per-layer factor delta_rms[l] / delta_rms[l + 1]."""
    depth = integer(depth, "chain_comparison", "depth", low=1)
    width = integer(width, "chain_comparison", "width", low=1)
    generator(rng, "chain_comparison")
    x = rng.normal(0, 1, (integer(n, "chain_comparison", "n", low=1), width))
    result = {}
    for act in ("sigmoid", "relu"):
        net = mlp([width] * (depth + 1) + [10], act, rng, init="he")
        r = layer_gradients(net, x, rng)
        hidden = r["delta_rms"][:-1]
        r["factor"] = hidden[:-1] / hidden[1:]
        r["mean_factor"] = float(np.exp(np.mean(np.log(r["factor"]))))
        r["first_over_last"] = float(hidden[0] / hidden[-1])
        result[act] = r
    return result


# --- (b) dying ReLU and (c) sparsity ---------------------------------------------------------


def dead_units(model: nn.Sequential, x: np.ndarray) -> list[np.ndarray]:
    """Per hidden layer, which units output 0 on every example of `x` (their gradient is 0 on
    all of them, so SGD on these examples never revives them)."""
    return [np.all(a == 0, axis=0) for a in hidden_outputs(model, x)]


def activation_inputs(model: nn.Sequential, x: np.ndarray) -> list[tuple[nn.Module, np.ndarray]]:
    """Every activation module with its input z on `x` (no graph is recorded)."""
    pairs, h = [], mg.tensor(check_inputs(x, "activation_inputs"), dtype=np.float64)
    with mg.no_grad():
        for m in model:
            if not isinstance(m, nn.Linear):
                pairs.append((m, h.numpy()))
            h = m(h)
    return pairs


def no_gradient_units(model: nn.Sequential, x: np.ndarray) -> list[np.ndarray]:
    """Per hidden layer, which units have a zero derivative of their output with respect to
    their input z on every example of `x` (computed by backward through the module itself):
    no gradient reaches their weights from these examples. For ReLU these are the dead units;
    a leaky ReLU or PReLU unit is in it only if its slope below 0 is exactly 0."""
    out = []
    for m, z in activation_inputs(model, x):
        zt = mg.tensor(z, dtype=np.float64, requires_grad=True)
        m(zt).sum().backward(inputs=[zt])  # inputs: a PReLU's slope gets no .grad here
        out.append(np.all(zt.grad.numpy() == 0, axis=0))
    return out


def nonpositive_units(model: nn.Sequential, x: np.ndarray) -> list[np.ndarray]:
    """Per hidden layer, which units output <= 0 on every example of `x` (for ReLU: the dead
    units; for leaky ReLU / PReLU: units that would be dead if they were ReLU units)."""
    return [np.all(a <= 0, axis=0) for a in hidden_outputs(model, x)]


def dead_fraction(model: nn.Sequential, x: np.ndarray) -> float:
    """The fraction of all hidden units that are dead on `x`."""
    dead = dead_units(model, x)
    return float(np.concatenate(dead).mean())


def sparsity(model: nn.Sequential, x: np.ndarray) -> np.ndarray:
    """Per hidden layer, the fraction of activations that are exactly 0 on `x` (averaged over
    the examples and the units)."""
    return np.array([float(np.mean(a == 0)) for a in hidden_outputs(model, x)])


def train_relu(
    model: nn.Sequential,
    data: tuple[np.ndarray, np.ndarray],
    lr: float,
    steps: int,
    rng: np.random.Generator,
    batch: int = 64,
    every: int = 50,
) -> dict:
    """Plain SGD on cross-entropy, recording every `every` steps on the fixed set `data[0]`
    (the probe set) the dead fraction (output exactly 0 on every example), the fractions of
    units with no gradient and of units that output <= 0 on every example, and the per-layer
    sparsity. Stops early when the loss
    is no longer finite (marked `diverged`)."""
    x = check_inputs(data[0], "train_relu", features=linears(model)[0].in_features)
    y = check_labels(data[1], len(x), linears(model)[-1].out_features, "train_relu")
    lr = number(lr, "train_relu", "lr", low=0, low_open=True)
    steps = integer(steps, "train_relu", "steps", low=1)
    generator(rng, "train_relu")
    opt = SGD(model.parameters(), lr=lr)
    rec = {"steps": [], "dead": [], "dead_layers": [], "sparsity": [], "loss": []}
    rec |= {"no_gradient": [], "nonpositive": []}
    _probe(rec, model, x, 0)
    rec["diverged"] = False
    for step in range(1, steps + 1):
        idx = rng.integers(0, len(x), batch)
        opt.zero_grad()
        loss = cross_entropy(model(mg.tensor(x[idx], dtype=np.float64)), y[idx])
        loss.backward()
        opt.step()
        rec["loss"].append(float(loss.item()))
        if not np.isfinite(rec["loss"][-1]):
            # NOTE: NaN weights give NaN activations, neither dead nor alive: no dead fraction
            rec["diverged"] = True
            rec["dead"][-1] = rec["no_gradient"][-1] = rec["nonpositive"][-1] = np.nan
            break
        if step % every == 0 or step == steps:
            _probe(rec, model, x, step)
    rec["sparsity"], rec["dead_layers"] = np.array(rec["sparsity"]), np.array(rec["dead_layers"])
    return rec


def _probe(rec: dict, model: nn.Sequential, x: np.ndarray, step: int) -> None:
    dead = dead_units(model, x)
    rec["steps"].append(step)
    rec["dead"].append(float(np.concatenate(dead).mean()))
    rec["dead_layers"].append([float(d.mean()) for d in dead])
    rec["sparsity"].append(sparsity(model, x))
    rec["no_gradient"].append(float(np.concatenate(no_gradient_units(model, x)).mean()))
    rec["nonpositive"].append(float(np.concatenate(nonpositive_units(model, x)).mean()))


def dying_sweep(
    lrs: Sequence[float],
    data: tuple[np.ndarray, np.ndarray],
    widths: Sequence[int],
    steps: int,
    seeds: Sequence[int],
    activation: str = "relu",
) -> dict:
    """For each learning rate and seed, a fresh He-initialised net of `widths` with
    `activation` (relu, leaky_relu or prelu) trained by train_relu; at the end (per seed, and
    the mean over the seeds that did not diverge) the fractions of dead units (output exactly
    0 on every example), of units with no gradient and of units that output <= 0 on every
    example; and the training records."""
    lrs = check_rates(lrs, "dying_sweep")
    choice(activation, ONE_SIDED, "dying_sweep", "activation")
    widths = check_widths(widths, "dying_sweep")
    if len(seeds) == 0:
        raise ValueError("dying_sweep: seeds must hold at least one seed")
    runs = {}
    for lr in lrs:
        runs[lr] = []
        for s in seeds:
            rng = np.random.default_rng(integer(s, "dying_sweep", "seeds", low=0))
            with np.errstate(over="ignore", invalid="ignore"):  # a large lr may diverge
                runs[lr].append(train_relu(mlp(widths, activation, rng), data, lr, steps, rng))
    result = {"lrs": lrs, "activation": activation, "runs": runs}
    for key in ("dead", "no_gradient", "nonpositive"):
        final = np.array([[r[key][-1] for r in runs[lr]] for lr in lrs])
        with np.errstate(all="ignore"):
            mean = [np.nanmean(f) if np.isfinite(f).any() else np.nan for f in final]
        result[key], result[f"{key}_mean"] = final, np.array(mean)
    result["diverged"] = np.array([[r["diverged"] for r in runs[lr]] for lr in lrs])
    return result


def sparsity_at_init(
    widths: Sequence[int], x: np.ndarray, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Per-layer fraction of exact zeros at initialisation for ReLU (He), sigmoid and softplus
    (Xavier): seed 004 says ReLU is sparse (about half the units off), the others are not."""
    generator(rng, "sparsity_at_init")
    inits = {"relu": "he", "sigmoid": "xavier", "softplus": "xavier"}
    return {act: sparsity(mlp(widths, act, rng, init), x) for act, init in inits.items()}
