"""Misuse table, drawings and the command line: hostile names and titles, render paths, sizes,
views, and every command's arguments (one-line errors: exit 2 for usage, 1 for failed checks)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, viz
from minigrad.cli import main
from tests.misuse import bad, cli_error, good, ids, leaf, minigrad_command, run

HOSTILE = [
    '<<IMG SRC="/etc/passwd"/>>',  # an HTML-like label would make dot read the file
    "ends with a backslash \\",
    'quote " and <b>bold</b> & amp',
    "nul\x00byte",
    "lone \ud800 surrogate",
    "new\nline\ttab",
    "x" * 5000,
    "\\N \\G \\L",  # dot's escString sequences
]


def _named_graph(name):
    x = mg.tensor(2.0, dtype=np.float64, requires_grad=True, name=name)
    return (x * 3).sin()


def _custom(name):
    body = {
        "name": name,
        "forward": staticmethod(lambda ctx, x: np.sin(x)),
        "backward": staticmethod(lambda ctx, g: g),
    }
    return type("Custom", (mg.Function,), body)


def _safe(source: str) -> bool:
    """No raw user markup, no NUL, no lone surrogate, nothing unbalanced in the DOT text."""
    assert "<IMG" not in source and "<b>bold" not in source, "raw markup reached DOT"
    assert "\x00" not in source and "\ud800" not in source
    source.encode("utf-8")  # a lone surrogate would fail here
    for line in source.splitlines():
        assert line.count('"') % 2 == 0, f"unbalanced quotes: {line[:120]}"
    return True


class Named(nn.Module):
    def __init__(self, key):
        super().__init__()
        self.heads = {key: nn.Linear(2, 2, rng=np.random.default_rng(0))}

    def forward(self, x):
        return next(iter(self.heads.values()))(x)


def _module_named(key):
    model = Named(key)
    loss = model(mg.tensor(np.ones((1, 2)))).sum()
    return viz.draw(loss, model=model).source


def _chain(n):
    x = leaf([1.0, 2.0])
    y = x
    for _ in range(n):
        y = y * 1.0001
    return y.sum()


HOSTILE_CASES = [
    case
    for k, text in enumerate(HOSTILE)
    for case in (
        good(f"viz/tensor-name-{k}", lambda t=text: viz.draw(_named_graph(t)).source, _safe),
        good(
            f"viz/op-name-{k}", lambda t=text: viz.draw(_custom(t).apply(leaf([1.0]))).source, _safe
        ),
        good(f"viz/title-{k}", lambda t=text: viz.draw(_named_graph("x"), title=t).source, _safe),
        good(f"viz/module-key-{k}", lambda t=text: _module_named(t), _safe),
    )
]

CASES = HOSTILE_CASES + [
    good("viz/reuse-edges", lambda: _reuse_edges(), lambda labels: labels == ["3", "3"]),
    good(
        "viz/big-folds",
        lambda: viz.draw(_chain(800)).source,
        lambda s: "earlier nodes folded (draw(..., max_nodes=None) draws all" in s,
    ),
    good(
        "viz/max-nodes-none",
        lambda: viz.draw(_chain(300), max_nodes=None).source,
        lambda s: "folded" not in s,
    ),
    bad(
        "viz/max-nodes-negative",
        lambda: viz.draw(_chain(3), max_nodes=-1),
        ValueError,
        "max_nodes must be at least 1",
    ),
    bad(
        "viz/max-nodes-float",
        lambda: viz.draw(_chain(3), max_nodes=2.5),
        TypeError,
        "max_nodes must be an int",
    ),
    bad(
        "viz/view",
        lambda: viz.draw(_chain(1), view="sideways"),
        ValueError,
        "view must be one of 'forward', 'backward', 'tangent'",
    ),
    bad(
        "viz/edge-labels", lambda: viz.draw(_chain(1), edge_labels="all"), ValueError, "edge_labels"
    ),
    bad("viz/rankdir", lambda: viz.draw(_chain(1), rankdir="up"), ValueError, "rankdir"),
    bad("viz/depth", lambda: viz.draw(_chain(1), depth=0), ValueError, "depth"),
    bad("viz/title-int", lambda: viz.draw(_chain(1), title=3), TypeError, "title must be a str"),
    bad("viz/nothing", lambda: viz.draw(), ValueError, "at least one tensor"),
    bad("viz/ndarray", lambda: viz.draw(np.ones(2)), TypeError, "not a Tensor"),
    bad("viz/float", lambda: viz.draw(1.0), TypeError, "output 0 is a float"),
    bad(
        "viz/gradient-shape",
        lambda: viz.draw(leaf([1.0, 2.0]) * 2, view="backward", gradient=[1.0, 0.0, 0.0]),
        ValueError,
        r"gradient has shape \(3,\)",
    ),
    bad(
        "viz/tangent-foreign",
        lambda: viz.draw(leaf([1.0]) * 2, view="tangent", tangents={leaf([1.0]): [1.0]}),
        ValueError,
        "not a tensor of this graph",
    ),
    bad(
        "viz/tangent-shape",
        lambda: _tangent_shape(),
        ValueError,
        r"has shape \(1,\) but the tensor has shape \(2,\)",
    ),
    bad("viz/changed-in-place", lambda: _trace_after_change(), RuntimeError, "changed in place"),
    bad(
        "viz/render-folder",
        lambda: viz.render(viz.draw(_chain(1)), "some/dir/", format="dot"),
        ValueError,
        "a folder is not a file name",
    ),
    bad(
        "viz/render-empty",
        lambda: viz.render(viz.draw(_chain(1)), "", format="dot"),
        ValueError,
        "must name a file",
    ),
    bad(
        "viz/render-format",
        lambda: viz.render(viz.draw(_chain(1)), "g", format="jpeg"),
        ValueError,
        "format must be one of",
    ),
    bad(
        "viz/render-not-a-drawing",
        lambda: viz.render("digraph {}", "g"),
        TypeError,
        "expected a drawing",
    ),
]


def _reuse_edges():
    x = mg.tensor(3.0, dtype=np.float64, requires_grad=True, name="x")
    source = viz.draw(x * x, view="backward").source
    return re.findall(r"n0 -> op1 \[label=<([^>]*)>", source)


def _tangent_shape():
    x = leaf([1.0, 2.0])
    return viz.draw(x * 2, view="tangent", tangents={x: [1.0]})


def _trace_after_change():
    a = mg.tensor(3.0, dtype=np.float64, requires_grad=True)
    c = mg.tensor(2.0, dtype=np.float64)
    b = a * c
    c.mul_(10)
    return viz.trace(b)


def _render_cases(tmp):
    return [
        good("render/keeps-foreign-suffix", lambda: _foreign_suffix(tmp), lambda ok: ok),
        good(
            "render/dot-suffix",
            lambda: viz.render(viz.draw(_chain(1)), tmp / "g.dot", format="dot").name,
            lambda name: name == "g.dot",
        ),
        good(
            "render/hostile-path",
            lambda: viz.render(viz.draw(_chain(1)), tmp / 'a "b" \\c', format="dot").exists(),
            lambda ok: ok,
        ),
    ]


def _foreign_suffix(tmp):
    notes = tmp / "notes.dot"
    notes.write_text("mine")
    path = viz.render(viz.draw(_chain(1)), tmp / "notes.txt", format="dot")
    return path.name == "notes.txt.dot" and notes.read_text() == "mine"


OPS = """
import numpy as np
import minigrad as mg

class Good(mg.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * np.cos(x)

class NoJvp(Good):
    pass

class Nan(Good):
    @staticmethod
    def backward(ctx, g):
        return g * np.nan

def none(x):
    return None

def two(x, y):
    return (x * y).sum()

NUMBER = 3
"""


def _write_files(tmp):
    (tmp / "ops.py").write_text(OPS)
    (tmp / "broken.py").write_text("raise ImportError('no such thing')\n")


def _cli_cases(tmp):
    ops, broken = tmp / "ops.py", tmp / "broken.py"
    target = f"{ops}:Good"
    usage = [
        (["check", target, "--shapes", "a,b"], "bad shape 'a,b'"),
        (["check", target, "--shapes", "-3"], "bad shape '-3'"),
        (["check", target, "--shapes", "3 4"], "bad shape '3 4'"),
        (["check", target, "--shapes", "3,,4"], "bad shape '3,,4'"),
        (["check", target, "--shapes", "0"], "bad shape '0'"),
        (["check", target, "--trials", "0"], "expected a whole number >= 1"),
        (["check", target, "--trials", "two"], "expected a whole number >= 1"),
        (["check", target, "--eps", "0"], "expected a number > 0"),
        (["check", target, "--eps", "-1"], "expected a number > 0"),
        (["check", target, "--eps", "nan"], "expected a finite number"),
        (["check", target, "--low", "inf"], "expected a finite number"),
        (["check", target, "--low", "2", "--high", "1"], "--low 2 must be below --high 1"),
        (["check", target, "--seed", "-1"], "expected a whole number >= 0"),
        (["check", target, "--modes", "sideways"], "invalid choice"),
        (["check", f"{ops}:NUMBER"], "is a int, not a function"),
        (["check", f"{ops}:two", "--shapes", "3"], "cannot take 1 input"),
        (["check", f"{ops}:Good", "--shapes", "3", "3"], "cannot take 2 input"),
        (["check", f"{broken}:f"], "importing .*broken.py raised ImportError: no such thing"),
        (["check", "nocolon"], "expected FILE.py:NAME"),
        (["check", "no/such.py:f"], "no such file"),
        (["check", f"{ops}:missing"], "has no 'missing'"),
        (["draw", f"{ops}:Good", "--out", ""], "must name a file"),
        (["draw", f"{ops}:Good", "--out", str(tmp) + "/"], "a folder is not a file name"),
        (["run", "nope"], "no demo 'nope'"),
        (["bogus"], "invalid choice"),
        (["check", target, "--unknown"], "unrecognized arguments"),
    ]
    failed = [
        (["check", f"{ops}:Nan"], "non-finite"),
        (["check", f"{ops}:NoJvp", "--modes", "fwd"], "nothing was compared"),
        (["check", f"{ops}:none"], "must return a Tensor or a tuple of Tensors, got NoneType"),
        (["draw", f"{ops}:none"], "cannot draw: TypeError: it returned NoneType"),
    ]
    cases = [
        good(
            f"cli/usage-{k}-{' '.join(argv[2:] or argv[:1])[:30]}",
            lambda argv=argv: minigrad_command(*argv),
            lambda r, m=message: cli_error(r, m),
        )
        for k, (argv, message) in enumerate(usage)
    ]
    cases += [
        good(
            f"cli/failed-{k}",
            lambda argv=argv: minigrad_command(*argv),
            lambda r, m=message: _exit(r, 1, m),
        )
        for k, (argv, message) in enumerate(failed)
    ]
    cases.append(
        good(
            "cli/passes",
            lambda: minigrad_command("check", target),
            lambda r: _exit(r, 0, "all checks passed"),
        )
    )
    return cases


def _exit(result, status, message):
    assert result.returncode == status, (result.returncode, result.stdout, result.stderr)
    assert re.search(message, result.stdout + result.stderr), result.stdout + result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    return True


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_misuse(case):
    run(case)


RENDER_IDS = [c.id for c in _render_cases(None)]
CLI_IDS = ids(_cli_cases(Path("tmp")))


@pytest.mark.parametrize("index", range(len(RENDER_IDS)), ids=RENDER_IDS)
def test_misuse_render(index, tmp_path):
    run(_render_cases(tmp_path)[index])


@pytest.mark.parametrize("index", range(len(CLI_IDS)), ids=CLI_IDS)
def test_misuse_cli(index, tmp_path):
    _write_files(tmp_path)
    run(_cli_cases(tmp_path)[index])


def test_main_returns_the_status(tmp_path, capsys):
    """The same errors in-process: main() returns 2 and prints one line to stderr."""
    assert main(["check", "nocolon"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
