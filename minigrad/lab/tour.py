"""`minigrad tour`: a few minutes through the engine, ending in an HTML report.

1. seed 004's sigmoid(w x + b) as h1..h6, differentiated in forward and reverse mode, drawn;
2. a custom op checked by gradcheck, once right and once with a planted bug (drawn red);
3. a deep sigmoid network on Shapeset-3x2 whose learning speed vanishes layer by layer, and
   three fixes: normalized initialisation, ReLU with He initialisation, BatchNorm.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import numpy as np
from tqdm import tqdm

import minigrad as mg
from minigrad import nn, optim, viz
from minigrad.cli import Parser, non_negative
from minigrad.data import shapeset_3x2
from minigrad.lab.demo import output_folder
from minigrad.lab.seed_graph import sigmoid_steps


class Softsign(mg.Function):
    """x / (1 + |x|), with its derivative by hand."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x / (1 + np.abs(x))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (1 + np.abs(x)) ** 2

    @staticmethod
    def jvp(ctx, dx):
        (x,) = ctx.saved_tensors
        return dx / (1 + np.abs(x)) ** 2


class SoftsignWrong(Softsign):
    """The same op with a planted bug: the square is missing in the derivative."""

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (1 + np.abs(x))


def seed_example() -> tuple[str, str]:
    """The h1..h6 table in both modes, and the drawing with local partials on the edges."""
    x = mg.tensor(1.0, dtype=np.float64, name="x")
    b = mg.tensor(0.0, dtype=np.float64, requires_grad=True, name="b")
    w = mg.tensor(0.0, dtype=np.float64, requires_grad=True, name="w")

    with mg.dual_level():
        dual_w = mg.make_dual(w, 1.0)
        tangents = [mg.unpack_dual(h).tangent.item() for h in sigmoid_steps(x, dual_w, b)]
    hs = sigmoid_steps(x, w, b)
    for h in hs:
        h.retain_grad()
    hs[-1].backward()
    rows = [
        f"{h.name:>4} {h.item() + 0:8.4f} {t + 0:10.4f} {h.grad.item() + 0:10.4f}"
        for h, t in zip(hs, tangents, strict=True)
    ]
    table = "\n".join(
        [
            f"{'node':>4} {'value':>8} {'dh/dw':>10} {'df/dh':>10}",
            *rows,
            f"df/dw = {w.grad.item():.4f} (seed 004: 0.25)",
        ]
    )
    return table, _graph_html(viz.draw(hs[-1], view="backward", edge_labels="local"))


def gradient_check() -> list[tuple[str, str, str]]:
    """(title, report, drawing) for the right and the wrong op."""
    x = np.array([0.5, -1.2, 2.0])
    sections = []
    for op in (Softsign, SoftsignWrong):
        graph, result = viz.draw_gradcheck(lambda t, op=op: (op.apply(t.tanh()) * t).sum(), x)
        sections.append((op.__name__, repr(result), _graph_html(graph)))
    return sections


def deep_network(quick: bool, rng: np.random.Generator) -> tuple[dict, dict, str]:
    """Learning speed per hidden layer for four versions of a deep network on Shapeset-3x2."""
    depth, width = (3, 16) if quick else (5, 64)
    steps = 30 if quick else 600
    x, y = shapeset_3x2(500 if quick else 12000, rng)
    tx, ty = shapeset_3x2(200 if quick else 2000, rng)
    speeds, errors = {}, {}
    for name in (
        "sigmoid, standard init",
        "sigmoid, normalized init",
        "ReLU, He init",
        "sigmoid + BatchNorm",
    ):
        model = _network(name, depth, width, rng)
        opt = optim.SGD(model.parameters(), lr=0.1)
        history = []
        for _ in tqdm(range(steps), desc=name, leave=False):
            k = rng.integers(0, len(y), 32)
            loss = nn.cross_entropy(model(mg.Tensor(x[k])), y[k])
            opt.zero_grad()
            loss.backward()
            history.append(_hidden_speeds(model))
            opt.step()
        speeds[name] = np.array(history)
        model.eval()
        with mg.no_grad():
            errors[name] = float((model(mg.Tensor(tx)).data.argmax(1) != ty).mean())
    return speeds, errors, _speed_figure(speeds, depth)


def _hidden_speeds(model: nn.Sequential) -> list[float]:
    """|dC/db| of each hidden layer: its Linear's bias, or the shift of the BatchNorm after
    it (which makes that bias's gradient zero)."""
    speeds, layers = [], model.layers[:-1]
    for k, m in enumerate(layers):
        if isinstance(m, nn.Linear):
            after = layers[k + 1]
            bias = after.bias if isinstance(after, nn.BatchNorm1d) else m.bias
            speeds.append(float(np.linalg.norm(bias.grad.data)))
    return speeds


def _network(name: str, depth: int, width: int, rng) -> nn.Sequential:
    layers, n_in = [], 1024
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
    return nn.Sequential(*layers, nn.Linear(width, 9, rng=rng))


def _speed_figure(speeds: dict, depth: int) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(speeds), figsize=(4 * len(speeds), 3.4), sharey=True)
    for ax, (name, s) in zip(axes, speeds.items(), strict=True):
        for layer in range(depth):
            ax.semilogy(s[:, layer], label=f"hidden layer {layer + 1}", lw=1)
        ax.set(title=name, xlabel="step")
    axes[0].set_ylabel("learning speed |dC/db|")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def _graph_html(graph) -> str:
    if viz.has_dot():
        return graph.pipe(format="svg").decode()
    return f"<pre>{html.escape(graph.source)}</pre><p>(install Graphviz to see the drawing)</p>"


def report(seed_table, seed_graph, checks, speeds, errors, figure) -> str:
    first = {n: s[0] for n, s in speeds.items()}
    speed_rows = "".join(
        f"<tr><td>{html.escape(n)}</td>"
        + "".join(f"<td>{v:.2e}</td>" for v in first[n])
        + f"<td>{first[n][-1] / first[n][0]:.0f}x</td><td>{100 * errors[n]:.1f}%</td></tr>"
        for n in speeds
    )
    depth = len(next(iter(first.values())))
    head = "".join(f"<th>layer {k + 1}</th>" for k in range(depth))
    check_html = "".join(
        f"<h3>{html.escape(t)}</h3><pre>{html.escape(r)}</pre>{g}" for t, r, g in checks
    )
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>minigrad tour</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:auto}} svg{{max-width:100%;height:auto}}
pre{{background:#f6f6f6;padding:8px;overflow:auto}} td,th{{padding:2px 8px}}</style></head><body>
<h1>A tour of minigrad</h1>
<h2>1. sigmoid(w x + b), seed 004 figure 5.8, in both modes</h2>
<p>Forward mode carries dh/dw along with each value; reverse mode brings df/dh back.</p>
<pre>{html.escape(seed_table)}</pre>{seed_graph}
<h2>2. Checking a custom op</h2>
<p>The right softsign passes; the one whose derivative lacks a square is caught, and the node
to blame is drawn red.</p>{check_html}
<h2>3. Why deep sigmoid networks learn slowly, and three fixes</h2>
<p>Learning speed |dC/db| per hidden layer at the first step (Nielsen's measure), the ratio of
the last to the first layer, and the test error after training on Shapeset-3x2.</p>
<table><tr><th>network</th>{head}<th>last / first</th><th>test error</th></tr>{speed_rows}</table>
<img src="data:image/png;base64,{figure}" style="max-width:100%">
</body></html>"""


def main(argv: list[str] | None = None) -> Path:
    parser = Parser(prog="minigrad tour", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=output_folder, default=Path("out/tour"))
    parser.add_argument("--quick", action="store_true", help="a tiny version (for the tests)")
    parser.add_argument("--seed", type=non_negative, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    print("1/3 sigmoid(w x + b) in both modes")
    seed_table, seed_graph = seed_example()
    print(seed_table)
    print("2/3 gradient checks of a custom op")
    checks = gradient_check()
    print("3/3 a deep sigmoid network on Shapeset-3x2")
    speeds, errors, figure = deep_network(args.quick, rng)
    for name, s in speeds.items():
        print(
            f"  {name:28s} learning speed layer 1 {s[0][0]:.2e}, last {s[0][-1]:.2e}, "
            f"test error {100 * errors[name]:.1f}%"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "report.html"
    path.write_text(report(seed_table, seed_graph, checks, speeds, errors, figure))
    print(f"report: {path}")
    return path
