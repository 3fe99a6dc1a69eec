"""Glorot and Bengio (2010): saturation, gradients and initialisation in deep MLPs.

Run:  python demos/glorot_saturation.py [--out out/glorot_saturation] [--quick]
          [--width 300] [--depth 4] [--steps 6000] [--datasets shapeset mnist]
Networks of `depth` hidden layers of `width` units (the paper: 4-5 layers of 1000) with sigmoid,
tanh or softsign units, "standard" (U[-1/sqrt(n), 1/sqrt(n)]) or normalized (Xavier)
initialisation, biases 0, softmax output, SGD on mini-batches of 10, trained on Shapeset-3x2
(generated) and MNIST. Recorded on a fixed probe batch: activation mean/std and 98th percentile
per layer over training (the paper's figures 2-3), activation histograms at the end (4), activation
and back-propagated gradient histograms at initialisation (6-7), weight gradients (8), test error
curves (11), a table of test errors (table 1) and the mean singular value of the layer-to-layer
Jacobians at initialisation. Writes PNGs, results.json and summary.md into the output folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

import minigrad as mg
from minigrad import lab, nn, optim
from minigrad.cli import Parser, count, non_negative
from minigrad.data import load_mnist, shapeset_3x2
from minigrad.lab import plots
from minigrad.lab.demo import output_folder

ACTIVATIONS = {
    "sigmoid": (nn.Sigmoid, "logistic"),
    "tanh": (nn.Tanh, "tanh"),
    "softsign": (nn.Softsign, "tanh"),
}
CONFIGS = [
    ("sigmoid", "standard"),
    ("tanh", "standard"),
    ("tanh", "normalized"),
    ("softsign", "standard"),
    ("softsign", "normalized"),
]  # the rows of table 1
PAPER_TABLE_1 = {  # test error % (Shapeset-3x2, MNIST), Glorot and Bengio 2010, table 1
    ("sigmoid", "standard"): (82.61, 2.21),
    ("tanh", "standard"): (27.15, 1.76),
    ("tanh", "normalized"): (15.60, 1.64),
    ("softsign", "standard"): (16.27, 1.64),
    ("softsign", "normalized"): (16.06, 1.72),
}


def make_model(activation: str, init: str, sizes: list[int], rng) -> nn.Sequential:
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        linear = nn.Linear(n_in, n_out, rng=rng)
        if init == "normalized":
            nn.init.xavier_uniform_(linear.weight, rng)
        nn.init.zeros_(linear.bias)
        layers.append(linear)
        if len(layers) < 2 * (len(sizes) - 1) - 1:
            layers.append(ACTIVATIONS[activation][0]())
    return nn.Sequential(*layers)


def load(dataset: str, quick: bool, rng, mnist_path):
    """(train x, train y, test x, test y, input size) as float32 and int64."""
    if dataset == "shapeset":
        n_train, n_test = (2000, 500) if quick else (60000, 5000)
        x, y = shapeset_3x2(n_train + n_test, rng)
        return x[:n_train], y[:n_train], x[n_train:], y[n_train:], x.shape[1]
    data = load_mnist(mnist_path, split="nielsen")
    n = 2000 if quick else len(data.train_labels)
    m = 500 if quick else len(data.test_labels)
    return (
        data.train_images[:n],
        data.train_labels[:n],
        data.test_images[:m],
        data.test_labels[:m],
        784,
    )


def run(dataset, data, activation, init, args, rng) -> dict:
    """Train one configuration; return its curves, records and final error."""
    x, y, tx, ty, n_in = data
    model = make_model(activation, init, [n_in] + [args.width] * args.depth + [10], rng)
    hidden = {f"layer {j + 1}": model[2 * j + 1] for j in range(args.depth)}
    monitor = lab.Monitor(
        model, hidden, saturation=ACTIVATIONS[activation][1], histogram_steps={0, args.steps}
    )
    probe_x, probe_y = tx[:300], ty[:300]
    singular = _jacobian_singular_value(model, probe_x)
    opt = optim.SGD(model.parameters(), lr=args.lr[activation])
    curve, order = [], rng.permutation(len(y))
    for step in tqdm(range(args.steps + 1), desc=f"{dataset} {activation} {init}", leave=False):
        if step % args.record_every == 0 or step == args.steps:
            _probe(model, monitor, probe_x, probe_y, step)
            curve.append((step, _error(model, tx, ty)))
        if step == args.steps:
            break
        k = order[(step * 10) % len(y) : (step * 10) % len(y) + 10]
        loss = nn.cross_entropy(model(mg.Tensor(x[k])), y[k])
        opt.zero_grad()
        loss.backward()
        opt.step()
    monitor.remove()
    return {
        "records": monitor.records,
        "weight_grads": monitor.weight_grads,
        "curve": curve,
        "error": curve[-1][1],
        "singular": singular,
    }


def _probe(model, monitor, x, y, step) -> None:
    """A forward and backward pass on the fixed probe batch, recorded, gradients discarded."""
    nn.cross_entropy(model(mg.Tensor(x)), y).backward()
    monitor.record(step)
    model.zero_grad()


def _error(model, x, y) -> float:
    with mg.no_grad():
        return float((model(mg.Tensor(x)).data.argmax(1) != y).mean())


def _jacobian_singular_value(model, x) -> float:
    """Mean singular value of dz^(i+1)/dz^i between consecutive hidden layers at init."""
    layers = model.layers
    blocks = [nn.Sequential(layers[k], layers[k + 1]) for k in range(2, len(layers) - 1, 2)]
    with mg.no_grad():
        h = layers[1](layers[0](mg.Tensor(x[:4]))).data.astype(np.float64)
    return lab.mean_singular_value(lab.layer_jacobian_singular_values(blocks, h, examples=4))


def figures(dataset: str, results: dict, out: Path, steps: int) -> list[str]:
    files = []
    for (act, init), r in results.items():
        name = f"{dataset}_{act}_{init}_activations.png"
        plots.activation_stats(
            r["records"], out / name, title=f"{dataset}, {act}, {init} init (figures 2-3)"
        )
        files.append(name)
    for when, step in (("initialisation", 0), ("end of training", steps)):
        for kind in ("histograms", "grad_histograms"):
            if kind == "grad_histograms" and step:
                continue
            for (act, init), r in results.items():
                values = {
                    n: getattr(rec, kind)[step]
                    for n, rec in r["records"].items()
                    if step in getattr(rec, kind)
                }
                what = "activations" if kind == "histograms" else "back-propagated gradients"
                name = f"{dataset}_{act}_{init}_{kind}_{step}.png"
                plots.histograms(
                    values,
                    out / name,
                    log=kind != "histograms",
                    title=f"{dataset}, {act} {init}: {what} at {when}",
                )
                files.append(name)
    for (act, init), r in results.items():
        name = f"{dataset}_{act}_{init}_weight_grads.png"
        plots.histograms(
            r["weight_grads"].get(0, {}),
            out / name,
            log=True,
            title=f"{dataset}, {act} {init}: weight gradients at init (figure 8)",
        )
        files.append(name)
    name = f"{dataset}_test_error.png"
    plots.curves(
        {f"{a} {i}": [e for _, e in r["curve"]] for (a, i), r in results.items()},
        out / name,
        title=f"{dataset}: test error (figure 11)",
        xlabel="SGD step (mini-batches of 10)",
        ylabel="test error",
        x=[s for s, _ in next(iter(results.values()))["curve"]],
    )
    return files + [name]


def summary(all_results: dict, args, files: list[str]) -> str:
    lines = [
        "# Glorot and Bengio (2010): saturation and initialisation",
        "",
        f"{args.depth} hidden layers of {args.width} units (the paper: 4-5 of 1000), "
        f"{args.steps} SGD steps of mini-batches of 10 (the paper: millions), so the "
        "errors are far from converged; compare the ordering, not the values.",
        "",
        "| units, init | "
        + " | ".join(f"{d} error % (ours / paper)" for d in all_results)
        + " | mean Jacobian sv |",
        "|---|" + "---|" * (len(all_results) + 1),
    ]
    for config in CONFIGS:
        cells = []
        for d, results in all_results.items():
            if config in results:
                paper = PAPER_TABLE_1[config][0 if d == "shapeset" else 1]
                cells.append(f"{100 * results[config]['error']:.2f} / {paper}")
        sv = [f"{r[config]['singular']:.3f}" for r in all_results.values() if config in r]
        lines.append(f"| {config[0]} {config[1]} | " + " | ".join(cells) + f" | {sv[0]} |")
    lines += ["", *[f"![{f}]({f})" for f in files]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict:
    parser = Parser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=output_folder, default=Path("out/glorot_saturation"))
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seed", type=non_negative, default=0)
    parser.add_argument("--width", type=count, default=300)
    parser.add_argument("--depth", type=count, default=4)
    parser.add_argument("--steps", type=count, default=6000)
    parser.add_argument("--record-every", type=count, default=500)
    parser.add_argument("--datasets", nargs="+", default=["shapeset", "mnist"])
    parser.add_argument("--mnist", default=None, help="folder of the MNIST files")
    args = parser.parse_args(argv)
    if args.quick:
        args.width, args.depth, args.steps, args.record_every = 16, 3, 40, 20
    args.lr = {"sigmoid": 0.5, "tanh": 0.05, "softsign": 0.05}
    args.out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    all_results, files = {}, []
    for dataset in args.datasets:
        data = load(dataset, args.quick, rng, args.mnist)
        results = {c: run(dataset, data, *c, args, rng) for c in CONFIGS}
        all_results[dataset] = results
        files += figures(dataset, results, args.out, args.steps)
    numbers = {
        d: {
            f"{a} {i}": {
                "test_error": r["error"],
                "curve": r["curve"],
                "mean_jacobian_singular_value": r["singular"],
            }
            for (a, i), r in results.items()
        }
        for d, results in all_results.items()
    }
    (args.out / "results.json").write_text(json.dumps(numbers, indent=1))
    text = summary(all_results, args, files)
    (args.out / "summary.md").write_text(text)
    print(text.split("\n\n![")[0])
    return numbers


if __name__ == "__main__":
    main()
