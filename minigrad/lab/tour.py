"""`minigrad tour`: a few minutes through the engine, ending in an HTML report.

1. seed 004's sigmoid(w x + b) as h1..h6, differentiated in forward and reverse mode, drawn;
2. a custom op checked by gradcheck, once right and once with a planted bug (drawn red);
3. a deep sigmoid network whose learning speed vanishes layer by layer, so that it cannot learn
   an easy task, and three fixes: normalized initialisation, ReLU with He initialisation,
   BatchNorm.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import minigrad as mg
from minigrad import viz
from minigrad.cli import Parser, non_negative
from minigrad.lab import deep_sigmoid, page
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


def deep_network(quick: bool, rng: np.random.Generator) -> dict:
    """Four deep networks on an easy task: the sigmoid one with the standard initialisation
    stays at chance, normalized initialisation, ReLU with He initialisation and BatchNorm learn
    it. The keys are listed in `minigrad.lab.deep_sigmoid.experiment`."""
    return deep_sigmoid.experiment(quick, rng)


def _graph_html(graph) -> str:
    """The drawing as inline SVG at natural size in a sideways-scrolling box; "" without `dot`
    (the page then shows one banner saying how to get the pictures, and the tables)."""
    return page.graph_html(graph)


def report(seed_table, trace, checks, deep: dict) -> str:
    """The HTML page: `trace` is the figure 5.8 graph's `viz.BackpropTrace` (the stepper),
    `deep` the third section's results (see `minigrad.lab.page.page`)."""
    return page.page(seed_table, page.stepper(trace), checks, deep)


def main(argv: list[str] | None = None) -> Path:
    parser = Parser(prog="minigrad tour", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=output_folder, default=Path("out/tour"))
    parser.add_argument("--quick", action="store_true", help="a tiny version (for the tests)")
    parser.add_argument("--seed", type=non_negative, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    print("1/3 sigmoid(w x + b) in both modes")
    seed_table, _ = seed_example()
    print(seed_table)
    print("2/3 gradient checks of a custom op")
    checks = gradient_check()
    print("3/3 a deep sigmoid network, and three fixes")
    deep = page.deep_results(deep_network(args.quick, rng))
    for name, s in deep["speeds"].items():
        print(
            f"  {name:28s} learning speed layer 1 {s[0][0]:.2e}, last {s[0][-1]:.2e}, "
            f"test error {100 * deep['errors'][name]:.1f}%"
        )
    print(f"  {'chance (most frequent class)':28s} test error {100 * deep['chance']:.1f}%")
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "report.html"
    path.write_text(report(seed_table, page.figure_5_8_trace(), checks, deep))
    print(f"report: {path}")
    return path
