"""The tour's report as a web page: a readable column, a table of contents, the code behind each
section, the seeds defined, and a backprop stepper (plain HTML, inline SVG, vanilla JavaScript)."""

from __future__ import annotations

import hashlib
import html
import json
import re

import numpy as np

import minigrad as mg
from minigrad import viz
from minigrad.lab.seed_graph import sigmoid_steps
from minigrad.viz.output import INSTALL

# One sentence per seed: what "seed 004" and the others are (the texts in the project's seeds).
SEEDS = {
    "000": "a Chinese reading (part 1) of Glorot and Bengio's 2010 paper “Understanding the "
    "difficulty of training deep feedforward neural networks”, which introduced the "
    "normalized initialisation of section 3 (and the Shapeset-3x2 data).",
    "001": "the Chinese translation of chapter 5 of Michael Nielsen's online book "
    "<i>Neural Networks and Deep Learning</i>, “Why are deep neural networks hard to train?”, "
    "which measures a layer's learning speed as |dC/db|.",
    "002": "reading notes on Glorot and Bengio (2010) and Katanforoosh and Kunin's “Initializing "
    "neural networks”: vanishing and exploding gradients, and initialisations that avoid them.",
    "003": "a DC学院 tutorial, “Training deep neural networks”, on the vanishing gradient "
    "problem in deeper and deeper sigmoid networks on MNIST.",
    "004": "chapter 5, “Feedforward neural networks”, of Qiu Xipeng's textbook <i>Neural "
    "Networks and Deep Learning</i> (神经网络与深度学习); its section 5.4 on automatic "
    "differentiation works through sigmoid(w x + b) as figure 5.8, and 5.7.3 is BatchNorm.",
}

# The code behind each section, short enough to read; tests/test_tour_page.py runs all three.
CODE = {
    "autodiff": """\
import numpy as np
import minigrad as mg
from minigrad import viz
from minigrad.lab.seed_graph import sigmoid_steps  # h1 = x w, h2 = h1 + b, ..., h6 = 1 / h5

x = mg.tensor(1.0, dtype=np.float64, name="x")
w = mg.tensor(0.0, dtype=np.float64, requires_grad=True, name="w")
b = mg.tensor(0.0, dtype=np.float64, requires_grad=True, name="b")
with mg.dual_level():  # forward mode: dh/dw travels along with each value
    f = sigmoid_steps(x, mg.make_dual(w, 1.0), b)[-1]
    print("forward: df/dw =", mg.unpack_dual(f).tangent.item())
f = sigmoid_steps(x, w, b)[-1]
for s in viz.trace(f).steps:  # the stepper below, as data
    print(s.name, "->", s.input, s.upstream, "x", s.local, "=", s.contribution)
f.backward()  # reverse mode: df/dh comes back from the output
print("reverse: df/dw =", w.grad.item(), " df/db =", b.grad.item())
""",
    "gradcheck": """\
import numpy as np
import minigrad as mg
from minigrad import viz

class SoftsignWrong(mg.Function):  # x / (1 + |x|) with a planted bug
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x / (1 + np.abs(x))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (1 + np.abs(x))  # should be g / (1 + |x|)**2

f = lambda t: (SoftsignWrong.apply(t.tanh()) * t).sum()
graph, result = viz.draw_gradcheck(f, np.array([0.5, -1.2, 2.0]))
print(result)  # FAILED, naming the culprit; graph draws it red
""",
    "deep": """\
import numpy as np
import minigrad as mg
from minigrad import nn, optim
from minigrad.data import blobs

rng = np.random.default_rng(0)
x, y = blobs(3000, rng, centers=10, dim=64)  # an easy task: 10 Gaussian clusters
layers = []
for n_in in (64, 32, 32, 32, 32):  # five sigmoid layers, standard initialisation
    layers += [nn.Linear(n_in, 32, rng=rng), nn.Sigmoid()]
model = nn.Sequential(*layers, nn.Linear(32, 10, rng=rng))
hidden = [m for m in model.layers[:-1] if isinstance(m, nn.Linear)]
opt = optim.SGD(model.parameters(), lr=0.1)
for step in range(300):
    k = rng.integers(0, len(y), 32)
    loss = nn.cross_entropy(model(mg.Tensor(x[k])), y[k])
    opt.zero_grad()
    loss.backward()
    if step % 100 == 0:  # learning speed |dC/db| per hidden layer, input side first
        print(step, [f"{np.linalg.norm(m.bias.grad.data):.1e}" for m in hidden])
    opt.step()
""",
}


def graph_html(graph) -> str:
    """A graphviz drawing as inline SVG at its natural size in a box that scrolls sideways
    (squeezed into a column its text would be 2-7 px tall), or "" without `dot` (the page's
    banner then says how to get the pictures)."""
    if not viz.has_dot():
        return ""
    svg = graph.pipe(format="svg").decode()
    svg = svg[svg.index("<svg") :]  # no XML declaration or DOCTYPE inside HTML
    prefix = "g" + hashlib.sha1(svg.encode()).hexdigest()[:6] + "-"  # ids unique on the page
    svg = re.sub(r'\bid="', f'id="{prefix}', svg)
    svg = svg.replace("url(#", f"url(#{prefix}").replace('href="#', f'href="#{prefix}')
    return f'<div class="scroll figure">{svg}</div>'


def deep_results(result: dict) -> dict:
    """`deep_network`'s results as the page wants them: `chance` a fraction, like `errors`
    (`deep_network` gives it in percent)."""
    return {**result, "chance": result["chance"] / 100}


def figure_5_8_trace() -> viz.BackpropTrace:
    """Seed 004's f(x; w, b) = sigmoid(w x + b) at x = 1, w = 0, b = 0, traced."""
    x = mg.tensor(1.0, dtype=np.float64, name="x")
    b = mg.tensor(0.0, dtype=np.float64, requires_grad=True, name="b")
    w = mg.tensor(0.0, dtype=np.float64, requires_grad=True, name="w")
    return viz.trace(sigmoid_steps(x, w, b)[-1])


def _number(v) -> str:
    a = np.asarray(v, dtype=float)
    if a.size == 1:
        return f"{a.item() + 0:.4g}"
    return f"array {a.shape}, norm {np.linalg.norm(a):.3g}"


def stepper(trace) -> str:
    """The reverse sweep of `trace` (a `viz.BackpropTrace`), one edge per step: its drawing (with
    `dot`) and its table; "next" and "previous" move the highlight (the script at the end)."""
    graph, steps = trace.graph, []
    for s in trace.steps:
        source = next(
            e.source
            for e in graph.edges
            if e.target == s.node and graph.nodes[e.source].name == s.input
        )
        steps.append(
            {
                "node": s.node,
                "input": source,
                "edge": f"n{source}->op{s.node}",
                "text": f"step {s.step} of {len(trace.steps)}: at {s.name} ({s.op}), "
                f"df/d{s.name} = {_number(s.upstream)} (upstream) × d{s.name}/d{s.input} = "
                f"{'-' if s.local is None else _number(s.local)} (local) = "
                f"{_number(s.contribution)}, added to df/d{s.input}",
            }
        )
    data = json.dumps(steps).replace("<", "\\u003c")  # no "</script>" from a tensor's name
    # bottom to top: the output on top, so that the sweep reads down the page as it runs
    drawing = graph_html(viz.draw_graph(graph, view="backward", edge_labels="local", rankdir="BT"))
    rows = "".join(
        f'<tr data-step="{s.step}"><td>{s.step}</td><td>{html.escape(s.name)}</td>'
        f"<td>{html.escape(s.op)}</td><td>{html.escape(s.input)}</td>"
        f"<td>{_number(s.upstream)}</td><td>{'-' if s.local is None else _number(s.local)}</td>"
        f"<td>{_number(s.contribution)}</td></tr>"
        for s in trace.steps
    )
    return f"""<div id="stepper" class="stepper">
<div class="stepper-head"><div class="controls">
<button type="button" id="step-prev">◀ previous</button>
<button type="button" id="step-next">next ▶</button></div>
<p id="step-text" class="step-text" aria-live="polite">{html.escape(steps[0]["text"])}</p></div>
<div class="panes">{drawing}
<div class="scroll"><table class="numbers"><thead><tr><th>step</th><th>at</th><th>op</th>
<th>to input</th><th>upstream</th><th>× local</th><th>= contribution</th></tr></thead>
<tbody>{rows}</tbody></table></div></div>
<script type="application/json" id="step-data">{data}</script>
</div>"""


def speed_table(speeds: dict, errors: dict, chance: float) -> str:
    """Learning speed per hidden layer at the first step, last / first, and the test error."""
    first = {n: np.asarray(s)[0] for n, s in speeds.items()}
    depth = len(next(iter(first.values())))
    head = "".join(f"<th>layer {k + 1}</th>" for k in range(depth))
    rows = "".join(
        f"<tr><td>{html.escape(n)}</td>"
        + "".join(f"<td>{v:.2e}</td>" for v in first[n])
        + f"<td>{first[n][-1] / first[n][0]:.0f}×</td><td>{100 * errors[n]:.1f}%</td></tr>"
        for n in speeds
    )
    return (
        f'<div class="scroll"><table class="numbers"><thead><tr><th>network</th>{head}'
        f"<th>last / first</th><th>test error</th></tr></thead><tbody>{rows}"
        f'<tr class="chance"><td>chance (most frequent class)</td>'
        + "<td></td>" * (depth + 1)
        + f"<td>{100 * chance:.1f}%</td></tr></tbody></table></div>"
    )


def _repetitions(deep: dict) -> str:
    """The test errors of every repetition (fresh data and weights), when there are several."""
    runs = deep.get("seeds", {}).get("test_error", {})
    count = len(next(iter(runs.values()))) if runs else 0
    if count < 2:
        return ""
    rows = "".join(
        f'<tr class="run"><td>{html.escape(n)}</td>'
        + "".join(f"<td>{e:.1f}%</td>" for e in errors)
        + "</tr>"
        for n, errors in runs.items()
    )
    head = "".join(f"<th>run {k + 1}</th>" for k in range(count))
    chances = deep["seeds"].get("chance", [])  # in percent, one per run
    if len(chances) == count:
        rows += (
            '<tr class="chance"><td>chance (most frequent class)</td>'
            + "".join(f"<td>{c:.1f}%</td>" for c in chances)
            + "</tr>"
        )
    return (
        f"<p>The same four networks on fresh data and weights, {count} times (test error):</p>"
        f'<div class="scroll"><table class="numbers"><thead><tr><th>network</th>{head}</tr>'
        f"</thead><tbody>{rows}</tbody></table></div>"
    )


def _depths(deep: dict) -> str:
    """The standard sigmoid network at depths 1, 2, ...: where it stops learning."""
    depths = deep.get("depths")
    if not depths:
        return ""
    cells = "".join(f"<th>{d}</th>" for d in depths["depth"])
    errors = "".join(f"<td>{e:.1f}%</td>" for e in depths["test_error"])
    ratios = "".join(f"<td>{s[-1] / s[0]:.0f}×</td>" for s in depths["first_speeds"])
    return (
        "<p>The sigmoid network with the standard initialisation, 1 to "
        f"{depths['depth'][-1]} hidden layers deep, on the same data (chance level "
        f"{100 * deep['chance']:.1f}%):</p>"
        f'<div class="scroll"><table class="numbers"><thead><tr><th>hidden layers</th>{cells}'
        f'</tr></thead><tbody><tr class="depth"><td>test error</td>{errors}</tr>'
        f'<tr class="depth"><td>speed last / first layer</td>{ratios}</tr></tbody></table></div>'
    )


CSS = """
*{box-sizing:border-box}
body{margin:0;padding:0 16px;font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:#1d1d1f;background:#fff}
main{max-width:1200px;margin:0 auto;padding:8px 0 64px}
h1,h2,h3,p,ul,ol,nav,.banner,details{max-width:46rem}
h1{font-size:1.9rem;line-height:1.2;margin:24px 0 8px}
h2{font-size:1.4rem;line-height:1.25;margin:40px 0 8px;padding-top:8px;border-top:1px solid #ddd}
h3{font-size:1.1rem;margin:24px 0 4px}
code,pre{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:14px}
pre{background:#f5f5f7;padding:10px 12px;border-radius:6px;overflow-x:auto;line-height:1.45;
width:fit-content;max-width:100%}
details{margin:12px 0}
summary{cursor:pointer;font-weight:600}
.scroll{overflow-x:auto;max-width:100%;margin:12px 0;-webkit-overflow-scrolling:touch}
.figure{border:1px solid #e2e2e2;border-radius:6px;background:#fff;width:fit-content}
.figure svg{display:block;max-width:none;height:auto}
.figure img{display:block;max-width:none}
table.numbers{border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:15px}
.numbers th,.numbers td{padding:4px 10px;white-space:nowrap;text-align:right;
border-bottom:1px solid #e6e6e6}
.numbers th:first-child,.numbers td:first-child{text-align:left;position:sticky;left:0;
background:#fff}
.numbers tr.chance td{color:#555;font-style:italic}
.banner{background:#fff4e5;border:1px solid #f0b35a;border-radius:6px;padding:10px 14px}
nav ol{padding-left:1.4em}
.seeds dt{font-weight:600}
.seeds dd{margin:0 0 8px 0;max-width:46rem}
.stepper-head{position:sticky;top:0;z-index:1;background:#fff;padding:8px 0 2px;max-width:46rem}
.panes{display:flex;flex-wrap:wrap;gap:0 24px;align-items:flex-start}
.panes>.scroll{min-width:0}
@media (min-width:800px){.panes>.scroll:last-child{position:sticky;top:9.5rem}}
.controls{display:flex;gap:8px;flex-wrap:wrap}
.controls button{font:inherit;padding:6px 14px;border-radius:6px;border:1px solid #888;
background:#f5f5f7;cursor:pointer}
.controls button:disabled{opacity:.45;cursor:default}
.step-text{background:#eef4fb;border-left:4px solid #e8590c;padding:8px 12px;min-height:3.2em;
margin:8px 0}
.stepper tr.current td{background:#ffe8d6;font-weight:600}
.stepper g.current path,.stepper g.current ellipse,.stepper g.current polygon{stroke:#e8590c;
stroke-width:4px}
.stepper g.target path,.stepper g.target polygon{stroke:#1c7ed6;stroke-width:4px;
stroke-dasharray:6 3}
.stepper g.edge.swept path{stroke:#e8590c;stroke-width:2px;opacity:.55}
.stepper g.edge.current path{stroke:#e8590c;stroke-width:3px;opacity:1}
.stepper g.edge.current text{font-weight:bold;fill:#e8590c}
"""

# Walks the steps in #step-data: highlights the node, its op, the edge swept and the input.
SCRIPT = """
// A drawing wider than its box shows its middle first: graphviz centres the nodes under a
// long title, which would otherwise leave a phone looking at blank space.
document.querySelectorAll(".figure").forEach(function (box) {
  if (box.querySelector("svg")) box.scrollLeft = (box.scrollWidth - box.clientWidth) / 2;
});
(function () {
  var box = document.getElementById("stepper");
  if (!box) return;
  var steps = JSON.parse(document.getElementById("step-data").textContent);
  var byTitle = {};
  box.querySelectorAll("svg g.node, svg g.edge").forEach(function (g) {
    var t = g.querySelector("title");
    if (t) byTitle[t.textContent.trim()] = g;
  });
  var rows = box.querySelectorAll("tbody tr");
  var text = document.getElementById("step-text");
  var prev = document.getElementById("step-prev"), next = document.getElementById("step-next");
  var k = 0;
  function mark(title, cls) { if (byTitle[title]) byTitle[title].classList.add(cls); }
  function show() {
    box.querySelectorAll(".current, .target").forEach(function (e) {
      e.classList.remove("current", "target");
    });
    var s = steps[k];
    mark("n" + s.node, "current"); mark("op" + s.node, "current"); mark(s.edge, "current");
    mark("n" + s.input, "target");
    steps.forEach(function (t, j) {
      if (byTitle[t.edge]) byTitle[t.edge].classList.toggle("swept", j < k);
    });
    rows[k].classList.add("current");
    text.textContent = s.text;
    prev.disabled = k === 0; next.disabled = k === steps.length - 1;
  }
  function go(step) {
    k = step; show();
    var node = byTitle["op" + steps[k].node];  // keep the current node in sight
    if (node) node.scrollIntoView({block: "center", inline: "center", behavior: "smooth"});
  }
  prev.addEventListener("click", function () { if (k > 0) go(k - 1); });
  next.addEventListener("click", function () { if (k < steps.length - 1) go(k + 1); });
  show();
})();
"""


def _seed_list() -> str:
    return "".join(f'<dt id="seed-{n}">seed {n}</dt><dd>{text}</dd>' for n, text in SEEDS.items())


def _code(key: str) -> str:
    return (
        f"<details><summary>The code behind this section</summary>"
        f"<pre><code>{html.escape(CODE[key])}</code></pre></details>"
    )


def _banner() -> str:
    if viz.has_dot():
        return ""
    return (
        '<p class="banner" id="no-dot"><b>No pictures of the graphs on this machine:</b> the '
        "Graphviz <code>dot</code> program is not installed, so this page shows the graphs as "
        f"tables. {_ticks(html.escape(INSTALL[0].upper() + INSTALL[1:]))}; then run "
        "<code>minigrad tour</code> again.</p>"
    )


def _ticks(text: str) -> str:
    return re.sub(r"`([^`]*)`", r"<code>\1</code>", text)


def page(seed_table: str, steps: str, checks, deep: dict) -> str:
    """The whole report. `steps` is `stepper(...)`, `checks` (title, report, drawing) per op;
    `deep` the third section's results: `speeds` and `errors` (fractions) per network, `figure`
    (base64 PNG), `chance` (the most-frequent-class test error, a fraction), `data` (a phrase
    describing the data) and, if known, `classes`."""
    chance = deep["chance"]
    uniform = (
        f", guessing uniformly among the {deep['classes']} classes "
        f"{100 * (1 - 1 / deep['classes']):.1f}%"
        if deep.get("classes")
        else ""
    )
    colours = (
        ": the node at work and the edge swept are drawn orange, the input that receives the "
        "contribution dashed blue"
        if viz.has_dot()
        else ""
    )
    blame = (
        "the node to blame is drawn red"
        if viz.has_dot()
        else "its report names the node to blame (the culprit line)"
    )
    check_html = "".join(
        f"<h3>{html.escape(t)}</h3><pre>{html.escape(r)}</pre>{g}" for t, r, g in checks
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>A tour of minigrad</title><style>{CSS}</style></head><body><main>
<h1>A tour of minigrad</h1>
<p>minigrad is a small automatic-differentiation engine on NumPy. This page was written by
<code>minigrad tour</code>; each section shows what ran, its results and the code behind it.
“Seed 004” and the like name the texts this project reproduces (<a href="#seeds">list</a>).</p>
{_banner()}
<nav aria-label="contents"><b>Contents</b><ol>
<li><a href="#autodiff">sigmoid(w x + b) in both modes</a>
 (<a href="#stepper-section">step through the reverse sweep</a>)</li>
<li><a href="#gradcheck">Checking a custom op</a></li>
<li><a href="#deep">Why deep sigmoid networks learn slowly, and three fixes</a></li>
<li><a href="#seeds">The seeds</a></li></ol></nav>

<h2 id="autodiff">1. sigmoid(w x + b), <a href="#seed-004">seed 004</a> figure 5.8, in both
modes</h2>
<p>f(x; w, b) = sigmoid(w x + b) at x = 1, w = 0, b = 0, split into the elementary steps h1..h6
of figure 5.8. Forward mode carries dh/dw along with each value (one sweep per input);
reverse mode brings df/dh back from the output (one sweep for all inputs).</p>
<pre>{html.escape(seed_table)}</pre>
<h3 id="stepper-section">Step through the reverse sweep</h3>
<p>Reverse mode visits the nodes from the output back. At each node, the gradient that has
arrived (upstream, df/dnode) is multiplied by the local derivative written on an edge
(dnode/dinput) and added to that input's gradient. Press “next” to follow it{colours}.</p>
{steps}
{_code("autodiff")}

<h2 id="gradcheck">2. Checking a custom op</h2>
<p>A custom op (softsign, x / (1 + |x|)) with its derivative written by hand, compared with
central differences by <code>gradcheck</code>. The right one passes; the one whose derivative
lacks a square is caught, and {blame}.</p>
{check_html}
{_code("gradcheck")}

<h2 id="deep">3. Why deep sigmoid networks learn slowly, and three fixes</h2>
<p>Four versions of a deep network, after Glorot and Bengio's experiments (<a
href="#seed-000">seed 000</a>, <a href="#seed-002">seed 002</a>), trained on
{html.escape(deep.get("data", "the tour's data"))}. The table gives each hidden layer's learning
speed |dC/db| at the first training step, input side first (Nielsen's measure, <a
href="#seed-001">seed 001</a>), the ratio of the last hidden layer's speed to the first's, and
the test error after training.</p>
<p><b>Chance level:</b> always answering the most frequent class gives a test error of
{100 * chance:.1f}%{uniform}. A test error near this means the network has learned nothing.</p>
{speed_table(deep["speeds"], deep["errors"], chance)}
{_repetitions(deep)}{_depths(deep)}
<div class="scroll figure"><img alt="learning speed of each hidden layer and test error, per
network" src="data:image/png;base64,{deep["figure"]}"></div>
{_code("deep")}

<h2 id="seeds">The seeds</h2>
<p>The texts this project reproduces, cited as “seed 000” to “seed 004”:</p>
<dl class="seeds">{_seed_list()}</dl>
</main><script>{SCRIPT}</script></body></html>
"""
