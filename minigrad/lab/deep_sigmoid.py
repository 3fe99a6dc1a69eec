"""The tour's third section: a deep sigmoid network that cannot learn an easy task with the
standard initialisation, and three fixes (Glorot & Bengio 2010, seeds 000 and 002).

The task is deliberately easy (10 Gaussian clusters in 64 dimensions: one hidden layer learns it
perfectly), so that the only thing that can go wrong is depth with the standard initialisation.
"""

from __future__ import annotations

import base64
import io

import numpy as np
from tqdm import tqdm

import minigrad as mg
from minigrad import nn, optim
from minigrad.data import blobs
from minigrad.lab.plots import pyplot

NETWORKS = (
    "sigmoid, standard init",
    "sigmoid, normalized init",
    "ReLU, He init",
    "sigmoid + BatchNorm",
)
CLASSES, DIM = 10, 64
DATA = f"{CLASSES} Gaussian clusters in {DIM} dimensions (minigrad.data.blobs)"
# quick: the tests' smoke run, still making the point; full: the tour.
SETTINGS = {
    True: dict(depth=5, width=32, steps=500, batch=32, lr=0.1, train=2000, test=500, seeds=1),
    False: dict(depth=5, width=64, steps=2000, batch=32, lr=0.1, train=10000, test=2000, seeds=3),
}


def data(n_train: int, n_test: int, rng: np.random.Generator):
    """Train and test sets drawn around the same cluster centres."""
    x, y = blobs(n_train + n_test, rng, centers=CLASSES, dim=DIM)
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


def chance_error(labels: np.ndarray) -> float:
    """The test error in % of always answering the most frequent class."""
    counts = np.bincount(labels, minlength=CLASSES)
    return float(100 * (1 - counts.max() / counts.sum()))


def network(name: str, depth: int, width: int, rng: np.random.Generator) -> nn.Sequential:
    """`depth` hidden layers of `width` units; Linear's default is the standard init
    U[-1/sqrt(n_in), 1/sqrt(n_in)], biases start at 0 as in the paper."""
    layers, n_in = [], DIM
    for _ in range(depth):
        linear = nn.Linear(n_in, width, rng=rng)
        nn.init.zeros_(linear.bias)
        if name.startswith("sigmoid, normalized"):
            nn.init.xavier_uniform_(linear.weight, rng, gain=nn.init.calculate_gain("logistic"))
        elif name.startswith("ReLU"):
            nn.init.kaiming_normal_(linear.weight, rng)
        layers.append(linear)
        if "BatchNorm" in name:
            layers.append(nn.BatchNorm1d(width))
        layers.append(nn.ReLU() if name.startswith("ReLU") else nn.Sigmoid())
        n_in = width
    return nn.Sequential(*layers, nn.Linear(width, CLASSES, rng=rng))


def hidden_speeds(model: nn.Sequential) -> list[float]:
    """|dC/db| of each hidden layer: its Linear's bias, or the shift of the BatchNorm after
    it (which makes that bias's gradient zero)."""
    speeds, layers = [], model.layers[:-1]
    for k, m in enumerate(layers):
        if isinstance(m, nn.Linear):
            after = layers[k + 1]
            bias = after.bias if isinstance(after, nn.BatchNorm1d) else m.bias
            speeds.append(float(np.linalg.norm(bias.grad.data)))
    return speeds


def evaluate(model: nn.Sequential, x: np.ndarray, y: np.ndarray) -> float:
    """The test error in %, in evaluation mode (BatchNorm's running statistics)."""
    model.eval()
    with mg.no_grad():
        # NOTE: in chunks of 64 rows, small enough that OpenBLAS stays on one thread: whole
        # 2000-row products started threads that made this section 1.5-6x slower on 2 cores.
        guesses = [model(mg.Tensor(x[k : k + 64])).data.argmax(1) for k in range(0, len(x), 64)]
    model.train()
    return float(100 * np.mean(np.concatenate(guesses) != y))


def train(model, sets, steps: int, batch: int, lr: float, rng, points: int = 30, desc="") -> dict:
    """SGD on mini-batches; the learning speeds at every step, and the test error after 0
    steps and after about `points` more numbers of steps spaced evenly on a log scale, up to
    `steps`. `desc` labels the progress bar."""
    x, y, tx, ty = sets
    opt = optim.SGD(model.parameters(), lr=lr)
    checkpoints = {0, *np.geomspace(1, steps, points).round().astype(int).tolist()}
    speeds, curve = [], []
    for step in tqdm(range(steps), desc=desc, leave=False):
        if step in checkpoints:
            curve.append((step, evaluate(model, tx, ty)))
        k = rng.integers(0, len(y), batch)
        loss = nn.cross_entropy(model(mg.Tensor(x[k])), y[k])
        opt.zero_grad()
        loss.backward()
        speeds.append(hidden_speeds(model))
        opt.step()
    curve.append((steps, evaluate(model, tx, ty)))
    return {"speeds": np.array(speeds), "curve": curve, "error": curve[-1][1]}


def experiment(quick: bool, rng: np.random.Generator) -> dict:
    """The four networks, on fresh data and weights in each of `seeds` repetitions, and the
    standard sigmoid network at depths 1..depth on the first repetition's data.

    Keys (errors in %, except `errors`; single values are the first repetition's):
    `data` (a phrase), `classes`, `settings` (SETTINGS[quick]), `networks` (names in order),
    `chance` (always answering the test set's most frequent class), `speeds` (name -> array
    (steps, depth): |dC/db| of each hidden layer at every step), `errors` (name -> final test
    error as a fraction), `test_error` (name -> %), `first_speeds` (name -> speeds at the first
    step), `curves` (name -> [(step, test error)]), `seeds` (`chance` and `test_error` per
    repetition, `ratio`: last / first hidden layer's speed at the first step), `depths`
    (`depth`, `test_error` and `first_speeds` of the standard network per depth), `figure`
    (base64 PNG).
    """
    s = SETTINGS[quick]
    runs = [_repetition(s, child) for child in rng.spawn(s["seeds"])]
    sets, first = runs[0]
    depths = list(range(1, s["depth"] + 1))
    by_depth = [_train(NETWORKS[0], d, sets, s, rng) for d in depths[:-1]]
    by_depth.append(first[NETWORKS[0]])
    chance = chance_error(sets[3])
    return {
        "data": DATA,
        "classes": CLASSES,
        "settings": dict(s),
        "networks": list(NETWORKS),
        "chance": chance,
        "speeds": {n: r["speeds"] for n, r in first.items()},
        "errors": {n: r["error"] / 100 for n, r in first.items()},
        "test_error": {n: r["error"] for n, r in first.items()},
        "first_speeds": {n: r["speeds"][0].tolist() for n, r in first.items()},
        "curves": {n: r["curve"] for n, r in first.items()},
        "seeds": {
            "chance": [chance_error(st[3]) for st, _ in runs],
            "test_error": {n: [res[n]["error"] for _, res in runs] for n in NETWORKS},
            "ratio": {n: [_ratio(res[n]) for _, res in runs] for n in NETWORKS},
        },
        "depths": {
            "depth": depths,
            "test_error": [r["error"] for r in by_depth],
            "first_speeds": [r["speeds"][0].tolist() for r in by_depth],
        },
        "figure": figure(first, [res for _, res in runs[1:]], chance),
    }


def _repetition(s: dict, rng: np.random.Generator) -> tuple[tuple, dict]:
    sets = data(s["train"], s["test"], rng)
    return sets, {name: _train(name, s["depth"], sets, s, rng) for name in NETWORKS}


def _train(name: str, depth: int, sets, s: dict, rng: np.random.Generator) -> dict:
    model = network(name, depth, s["width"], rng)
    desc = f"{name} ({depth} hidden layers)"
    return train(model, sets, s["steps"], s["batch"], s["lr"], rng, desc=desc)


def _ratio(result: dict) -> float:
    first = result["speeds"][0]
    return float(first[-1] / first[0])


def figure(first: dict, others: list[dict], chance: float) -> str:
    """Base64 PNG, two panels: the learning speed of each hidden layer at the first step (log
    scale), and the test error during training (the other repetitions as thin lines)."""
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for k, (name, r) in enumerate(first.items()):
        style = dict(color=f"C{k}", ls=("-", "--", ":", "-.")[k % 4])
        speed = r["speeds"][0]
        layers = np.arange(1, len(speed) + 1)
        left.semilogy(layers, speed, marker="o", label=name, **style)
        right.plot(*zip(*r["curve"], strict=True), lw=2.5, **style)
        for other in others:
            right.plot(*zip(*other[name]["curve"], strict=True), lw=1, alpha=0.5, **style)
    left.set(
        title="learning speed at the first step",
        xlabel="hidden layer (1 = next to the input)",
        ylabel="|dC/db| (log scale)",
        xticks=layers,
    )
    left.legend(fontsize=10)
    steps = r["curve"][-1][0]
    right.axhline(chance, color="0.4", lw=1, label=f"chance: {chance:.1f}%")
    right.legend(loc="lower left", fontsize=10)
    right.set(title="test error during training", ylabel="test error (%)", ylim=(-3, 100))
    right.set_xscale("symlog", linthresh=1, linscale=0.3)
    ticks = [0, *(10**k for k in range(len(str(steps))))]
    right.set(xlim=(0, steps), xticks=ticks, xticklabels=[str(t) for t in ticks])
    right.set_xlabel("SGD steps (log scale)")
    for ax in (left, right):
        ax.title.set_fontsize(13)
        ax.tick_params(labelsize=11)
        ax.xaxis.label.set_fontsize(12)
        ax.yaxis.label.set_fontsize(12)
    fig.tight_layout()
    return save_png(fig)


def save_png(fig) -> str:
    """The figure as a base64 PNG, for an <img src="data:..."> (and closed)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    pyplot().close(fig)
    return base64.b64encode(buffer.getvalue()).decode()
