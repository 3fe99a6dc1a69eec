"""Glorot and Bengio (2010) section 3.1's explanation of the top sigmoid layer's saturation: early
in training the softmax output softmax(b + Wh) leans on its biases b (learned quickly) more than
on the top hidden activations h, so the gradient pushes Wh, hence the sigmoid's h, towards 0."""

from __future__ import annotations

import numpy as np

import minigrad as mg
from minigrad import nn, optim
from minigrad.data import shapeset_3x2, shapeset_3x2_batches
from minigrad.data.shapeset import N_CLASSES
from minigrad.lab.glorot import BATCH, PROBE, TEST_SEED, make_model
from minigrad.validate import integer, number


def output_bias_run(
    width: int = 300,
    steps: int = 2000,
    record_every: int = 50,
    lr: float = 0.1,
    seed: int = 0,
    depth: int = 4,
    probe: int = PROBE,
) -> dict:
    """Train a `depth`-hidden-layer sigmoid net of `width` units (standard init, biases 0) by
    SGD on mini-batches of 10 fresh Shapeset-3x2 images (cross-entropy) and record, every
    `record_every` steps on `probe` fixed examples, per output-layer part of the logits
    z = Wh + b:

    - `b_norm`: ||b||; `b_spread`: std of b over the classes (what b adds to the class scores);
    - `wh_spread`: std over the examples of Wh, RMS over the classes (what depends on the input);
    - `wh_class_spread`: std over the classes of Wh's mean over the examples;
    - `w_change`: ||W - W_0|| (Frobenius); `top_mean`: the top hidden layer's mean activation,
      and `layer_means`, every hidden layer's (bottom first).

    >>> r = output_bias_run(width=8, steps=4, record_every=2, probe=20)
    >>> r["steps"], len(r["b_norm"]), r["b_norm"][0]
    ([0, 2, 4], 3, 0.0)
    """
    width = integer(width, "output_bias_run", "width", low=1)
    steps = integer(steps, "output_bias_run", "steps", low=1)
    record_every = integer(record_every, "output_bias_run", "record_every", low=1)
    lr = number(lr, "output_bias_run", "lr", low=0, low_open=True)
    seed = integer(seed, "output_bias_run", "seed", low=0)
    depth = integer(depth, "output_bias_run", "depth", low=1)
    probe = integer(probe, "output_bias_run", "probe", low=2)
    rng = np.random.default_rng(seed)
    px, _ = shapeset_3x2(probe, np.random.default_rng(TEST_SEED))
    model = make_model("sigmoid", "standard", [px.shape[1]] + [width] * depth + [N_CLASSES], rng)
    top = model[-1]
    w0 = top.weight.numpy().copy()
    stream = shapeset_3x2_batches(BATCH, np.random.default_rng([seed, 1]))
    opt = optim.SGD(model.parameters(), lr=lr)
    keys = ("b_norm", "b_spread", "wh_spread", "wh_class_spread", "w_change", "top_mean")
    rec: dict = {"steps": [], "layer_means": [], "loss": [], **{k: [] for k in keys}}
    for step in range(steps + 1):
        if step % record_every == 0 or step == steps:
            _record(rec, model, px, w0, step)
        if step == steps:
            break
        x, y = next(stream)
        loss = nn.cross_entropy(model(mg.Tensor(x)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        rec["loss"].append(float(loss.item()))
    rec.update(width=width, depth=depth, lr=lr, seed=seed, probe=probe)
    return rec


def _record(rec: dict, model: nn.Sequential, x: np.ndarray, w0: np.ndarray, step: int) -> None:
    top = model[-1]
    means = []
    with mg.no_grad():
        h = mg.Tensor(x)
        for m in model.layers[:-1]:
            h = m(h)
            if not isinstance(m, nn.Linear):
                means.append(float(h.numpy().mean()))
        wh = top(h).numpy() - top.bias.numpy()  # the logits without b: h W^T
    b = top.bias.numpy().astype(np.float64)
    rec["steps"].append(step)
    rec["b_norm"].append(float(np.linalg.norm(b)))
    rec["b_spread"].append(float(b.std()))
    rec["wh_spread"].append(float(np.sqrt(np.mean(wh.std(axis=0) ** 2))))
    rec["wh_class_spread"].append(float(wh.mean(axis=0).std()))
    rec["w_change"].append(float(np.linalg.norm(top.weight.numpy() - w0)))
    rec["top_mean"].append(means[-1])
    rec["layer_means"].append(means)


def summarize(rec: dict, early: int | None = None) -> dict:
    """The numbers the claim is about, at step 0, at the step nearest `early` (default: a tenth
    of the run) and at the end: b's spread over the classes, Wh's spread over the examples and
    its mean's spread over the classes, b's share of the class offsets b_spread / (b_spread +
    wh_class_spread), ||b||, ||W - W_0||, the top layer's mean and every hidden layer's mean;
    and the step at which Wh's class spread peaks."""
    steps = np.array(rec["steps"])
    if early is None:
        early = int(steps[-1]) // 10
    k = int(np.argmin(np.abs(steps - early)))
    keys = ("b_spread", "wh_spread", "wh_class_spread", "b_norm", "w_change", "top_mean")
    out: dict = {"early_step": int(steps[k])}
    for name, i in (("init", 0), ("early", k), ("end", len(steps) - 1)):
        at = {key: rec[key][i] for key in keys}
        offsets = at["b_spread"] + at["wh_class_spread"]
        at["b_share"] = at["b_spread"] / offsets if offsets > 0 else 0.0
        at["layer_means"] = rec["layer_means"][i]
        out[name] = at
    out["wh_class_peak_step"] = int(steps[int(np.argmax(rec["wh_class_spread"]))])
    out["wh_spread_max"] = float(max(rec["wh_spread"]))
    return out
