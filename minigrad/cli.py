"""The `minigrad` command: `minigrad check path/to/file.py:MyOp --shapes 3,4`,
`minigrad draw module:function --shapes 3,4 --out graph.svg`, `minigrad run DEMO`, `minigrad tour`,
`minigrad sweep module:function --grid depth=2,3 --seeds 0,1 --out results.jsonl`.

Exit status: 0 when all is well, 1 when a check fails (or the checked code raises), 2 for a
usage error (bad arguments, a target that cannot be loaded); errors are one line on stderr.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import importlib.util
import inspect
import math
import sys
from pathlib import Path

import numpy as np

from minigrad.function import Function
from minigrad.gradcheck import GradcheckError
from minigrad.testing import check_function


class UsageError(Exception):
    """The command cannot run as asked (exit status 2)."""


# The demos that `minigrad run` is running: a parser made without a `prog` (a demo's) is then
# called `minigrad run NAME` in its usage line, its help and its errors, not `minigrad`.
_RUNNING: list[str] = []


class Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line: `minigrad check: error: ... (see --help)`."""

    def __init__(self, *args, **kwargs) -> None:
        if not args and kwargs.get("prog") is None and _RUNNING:
            kwargs["prog"] = _RUNNING[-1]
        super().__init__(*args, **kwargs)

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def load(target: str):
    """`path/to/file.py:name` or `package.module:name` -> the object."""
    where, sep, name = target.rpartition(":")
    if not sep or not where or not name:
        raise UsageError(f"expected FILE.py:NAME or MODULE:NAME, got {target!r}")
    try:
        module = _import(where)
    except UsageError:
        raise
    except Exception as err:  # noqa: BLE001 (the user's module failed to import: say how)
        raise UsageError(f"importing {where} raised {type(err).__name__}: {err}") from None
    try:
        return getattr(module, name)
    except AttributeError:
        raise UsageError(f"{where} has no {name!r}") from None


def _import(where: str):
    if not where.endswith(".py"):
        return importlib.import_module(where)
    path = Path(where)
    if not path.is_file():
        raise UsageError(f"no such file: {where}")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise UsageError(f"cannot import {where} as a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent.resolve()))
    spec.loader.exec_module(module)
    return module


def parse_shape(text: str) -> tuple[int, ...]:
    """'3,4' -> (3, 4); '3' -> (3,); '' or '()' -> () (a scalar). Every dimension is a
    positive integer, written in digits and separated by commas."""
    body = text.strip()
    if body.startswith("(") and body.endswith(")"):
        body = body[1:-1]
    if not body.strip():
        return ()
    parts = body.split(",")
    if parts[-1].strip() == "":  # "3," is the tuple (3,)
        parts = parts[:-1]
    if not all(p.strip().isdigit() and int(p) > 0 for p in parts):
        raise argparse.ArgumentTypeError(
            f"bad shape {text!r}: write positive integers separated by commas, e.g. 3 or 2,3"
        )
    return tuple(int(p) for p in parts)


# Argument types (also the demos' and the tour's): a bad value is a one-line error.
def finite(text: str) -> float:
    """A finite number."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def positive(text: str) -> float:
    """A rate, a size or a step: a finite number > 0."""
    value = finite(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return value


def count(text: str) -> int:
    """A count of trials, steps, units, layers or images: a whole number >= 1."""
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return int(text)


def non_negative(text: str) -> int:
    """A random seed or an index: a whole number >= 0."""
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return int(text)


def callable_target(args: argparse.Namespace):
    """The loaded target as (function of Tensors, is a Function subclass), checked callable
    and able to take one argument per shape."""
    target = load(args.target)
    is_function = isinstance(target, type) and issubclass(target, Function)
    f = target.apply if is_function else target
    if not callable(f):
        raise UsageError(f"{args.target} is a {type(target).__name__}, not a function or op")
    signature_of = target.forward if is_function else target
    for shapes in args.shapes or [[()]]:
        try:
            params = inspect.signature(signature_of)
        except (TypeError, ValueError):
            break  # a builtin without a signature: let the call tell
        fake = [None] * (len(shapes) + (1 if is_function else 0))  # forward takes ctx first
        try:
            params.bind(*fake)
        except TypeError as err:
            raise UsageError(
                f"{args.target} cannot take {len(shapes)} input(s) from --shapes "
                f"{' '.join(_text(s) for s in shapes)}: {err}"
            ) from None
    return f, is_function, target


def _text(shape: tuple[int, ...]) -> str:
    return ",".join(map(str, shape)) if shape else "()"


def check(args: argparse.Namespace) -> int:
    f, is_function, target = callable_target(args)
    modes = ("rev", "fwd") if not is_function or target.jvp is not None else ("rev",)
    if args.modes:
        modes = tuple(args.modes)
    if args.low >= args.high:
        raise UsageError(f"--low {args.low:g} must be below --high {args.high:g}")
    rng = np.random.default_rng(args.seed)
    for shapes in args.shapes or [[(3,)]]:
        try:
            results = check_function(
                f,
                *shapes,
                trials=args.trials,
                rng=rng,
                low=args.low,
                high=args.high,
                modes=modes,
                second_order=args.second_order,
                fast=args.fast,
                eps=args.eps,
            )
        except GradcheckError as err:
            print(f"{args.target}: FAILED\n{err}")
            return 1
        except Exception as err:  # noqa: BLE001 (the checked code raised: that fails the check)
            print(
                f"{args.target}: FAILED on input shapes {list(shapes)}: {type(err).__name__}: {err}"
            )
            return 1
        print(f"{args.target} on input shapes {list(shapes)}:")
        print(repr(results[-1]))
    print(f"{args.target}: all checks passed")
    return 0


def draw(args: argparse.Namespace) -> int:
    from minigrad.tensor import Tensor
    from minigrad.viz import GraphvizNotFound, render
    from minigrad.viz import draw as draw_graph

    f, _, _ = callable_target(args)
    if args.low >= args.high:
        raise UsageError(f"--low {args.low:g} must be below --high {args.high:g}")
    rng = np.random.default_rng(args.seed)
    inputs = [
        Tensor(rng.uniform(args.low, args.high, s), requires_grad=True, name=f"x{k}")
        for k, s in enumerate((args.shapes or [[(3,)]])[0])
    ]
    try:
        out = f(*inputs)
        outs = list(out) if isinstance(out, tuple | list) else [out]
        if not outs or not all(isinstance(o, Tensor) for o in outs):
            raise TypeError(f"it returned {type(out).__name__}, not a Tensor or a tuple of them")
        options = dict(rankdir=args.rankdir, edge_labels=args.edge_labels, expand=args.expand)
        if args.view == "gradient":  # the graph that computes the gradient (create_graph=True)
            (outs[0] if outs[0].size == 1 else outs[0].sum()).backward(create_graph=True)
            grads = [x.grad for x in inputs if x.grad is not None]
            graph = draw_graph(*grads, **options)
        elif args.view == "tangent":  # every input's tangent is all ones
            tangents = {x: np.ones(x.shape) for x in inputs}
            graph = draw_graph(*outs, view="tangent", tangents=tangents, **options)
        else:
            if args.view == "backward" and outs[0].size != 1:
                outs[0] = outs[0].sum()
            graph = draw_graph(*outs, view=args.view, **options)
    except Exception as err:  # noqa: BLE001 (the drawn code raised)
        print(f"{args.target}: cannot draw: {type(err).__name__}: {err}")
        return 1
    try:
        path = render(graph, args.out, format=args.format)
    except GraphvizNotFound as err:
        print(err)
        return 1
    except (ValueError, TypeError, OSError) as err:
        raise UsageError(f"--out {args.out!r}: {err}") from None
    print(f"{args.target}: {len(graph.body)} statements drawn to {path}")
    return 0


def demos_folder() -> Path:
    """The repository's demos/ folder (the demos are scripts beside the package)."""
    folder = Path(__file__).resolve().parent.parent / "demos"
    if not folder.is_dir():
        raise UsageError(
            "the demos are scripts in the repository's demos/ folder; "
            "run this from a checkout installed with `pip install -e .`"
        )
    return folder


def run(args: argparse.Namespace) -> int:
    folder = demos_folder()
    names = sorted(p.stem for p in folder.glob("*.py") if not p.stem.startswith("_"))
    if args.name not in names:
        raise UsageError(f"no demo {args.name!r}; the demos are: {', '.join(names)}")
    import runpy

    demo = runpy.run_path(str(folder / f"{args.name}.py"))
    _RUNNING.append(f"minigrad run {args.name}")
    try:
        demo["main"](args.rest)
    finally:
        _RUNNING.pop()
    return 0


def tour(args: argparse.Namespace) -> int:
    from minigrad.lab.tour import main as tour_main

    tour_main(args.rest)
    return 0


def sweep(args: argparse.Namespace) -> int:
    from minigrad.lab import sweep as sw

    if args.target is not None:
        f = _sweep_target(args.target)
        grid = dict(args.grid or [])
        if args.scheduler is not None and args.backend != "dask":
            raise UsageError("--scheduler is for --backend dask")
        try:  # the arguments, before any run
            sw.configurations(f, grid, args.samples, seeds=args.seeds)
        except (ValueError, TypeError) as err:
            raise UsageError(str(err).removeprefix("sweep: ")) from None
        before = len(sw.table(args.out)) if Path(args.out).exists() else 0
        try:
            rows = sw.sweep(
                f,
                grid,
                args.samples,
                seeds=args.seeds,
                path=args.out,
                n_jobs=args.n_jobs,
                backend=args.backend,
                scheduler=args.scheduler,
            )
        except Exception as err:  # noqa: BLE001 (a run raised, or the results file is bad)
            print(f"{args.target}: FAILED: {type(err).__name__}: {err}", file=sys.stderr)
            print(f"the finished runs are in {args.out}: run again to resume", file=sys.stderr)
            return 1
        ran = len(sw.table(args.out)) - before
        print(
            f"{args.target}: {len(rows)} runs, {len(rows) - ran} already in {args.out}, "
            f"{ran} run now"
        )
    elif not args.table:
        raise UsageError("give a FUNCTION to sweep, or --table to show a results file")
    if args.table:
        try:
            print(sw.format_table(sw.table(args.out)))
        except ValueError as err:
            raise UsageError(str(err)) from None
    return 0


def _sweep_target(target: str):
    """`DEMO:function` (a function of a demo script), else what `load` loads."""
    where, _, name = target.rpartition(":")
    try:
        demo = demos_folder() / f"{where}.py"
    except UsageError:
        return load(target)
    if not where.isidentifier() or not demo.is_file():
        return load(target)
    import runpy

    namespace = runpy.run_path(str(demo))  # as `minigrad run` does
    if name not in namespace:
        raise UsageError(f"the demo {where} has no {name!r}")
    return namespace[name]


def grid_option(text: str) -> tuple[str, list]:
    """'lr=0.1,0.3' -> ('lr', [0.1, 0.3]); each value is read as JSON, else kept as a string."""
    name, sep, values = text.partition("=")
    if not sep or not name.isidentifier() or not values:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE,VALUE,..., got {text!r}")
    return name, [_json_or_text(v) for v in values.split(",")]


def _json_or_text(text: str):
    import json

    try:
        return json.loads(text)
    except ValueError:
        return text


def jobs(text: str) -> int:
    """joblib's n_jobs: a whole number >= 1, or -1 for all cores."""
    return -1 if text.strip() == "-1" else count(text)


def seed_list(text: str) -> list[int] | None:
    """'0,1,2' -> [0, 1, 2]; 'none' -> None (the function takes no seed)."""
    return None if text == "none" else [non_negative(s) for s in text.split(",")]


def _parser() -> argparse.ArgumentParser:
    from minigrad import __version__

    parser = Parser(prog="minigrad", description="minigrad tools")
    parser.add_argument("--version", action="version", version=f"minigrad {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    p = commands.add_parser("check", help="gradient-check a custom op or a function")
    p.add_argument("target", help="path/to/file.py:MyOp or package.module:function")
    _input_options(p)
    p.add_argument("--trials", type=count, default=3, help="random inputs per shape set")
    p.add_argument("--eps", type=positive, default=1e-6, help="finite-difference step (> 0)")
    p.add_argument("--modes", nargs="+", choices=["rev", "fwd"])
    p.add_argument("--fast", action="store_true", help="compare random projections first")
    p.add_argument("--second-order", action="store_true", help="also run gradgradcheck")
    p.set_defaults(run=check)
    d = commands.add_parser("draw", help="render the computation graph of a function")
    d.add_argument("target", help="path/to/file.py:function or package.module:function")
    _input_options(d, repeat=False)
    d.add_argument(
        "--view",
        choices=VIEWS,
        default="backward",
        help="what the nodes show: " + "; ".join(f"{k}: {v}" for k, v in VIEWS.items()),
    )
    d.add_argument("--out", default="graph", help="output path (the suffix follows --format)")
    d.add_argument("--format", choices=["svg", "png", "pdf", "dot"], default="svg")
    d.add_argument(
        "--rankdir",
        choices=["LR", "TB", "RL", "BT"],
        default=None,
        help="layout direction (default: LR for at most two ops in a row, else TB)",
    )
    d.add_argument(
        "--edge-labels",
        choices=["local"],
        default=None,
        help="local: the local partial derivative on each edge (scalar graphs)",
    )
    d.add_argument(
        "--expand",
        action="store_true",
        help="draw the primitives inside composites such as relu and softmax",
    )
    d.set_defaults(run=draw)
    r = commands.add_parser(
        "run",
        help="run a demo of demos/ (e.g. `minigrad run numerical_diff --quick`)",
        description="Run a demo (a script of the repository's demos/ folder); "
        "`minigrad run NAME --help` shows its own options.",
        epilog=_demo_list(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    r.add_argument("name", metavar="NAME", help="the demo, one of those listed below")
    r.add_argument("rest", nargs=argparse.REMAINDER, help="the demo's own options")
    r.set_defaults(run=run)
    s = commands.add_parser(
        "sweep",
        help="run a function over a grid of options into a JSON-lines file (resumable)",
        description="Run FUNCTION(**options, seed=SEED) for every combination of --grid and "
        "--seeds; each finished run is a line of --out, and runs already there are skipped.",
    )
    s.add_argument(
        "target",
        nargs="?",
        metavar="FUNCTION",
        help="DEMO:function, file.py:function "
        "or package.module:function, e.g. minigrad.lab.sweep:fit",
    )
    s.add_argument("--grid", nargs="+", type=grid_option, metavar="NAME=V1,V2", help="options")
    s.add_argument("--samples", type=count, help="run this many random grid points, not all")
    s.add_argument(
        "--seeds", type=seed_list, default=[0], help="seeds, e.g. 0,1,2 (default 0; none: no seed)"
    )
    s.add_argument("--out", default="results.jsonl", help="the results file (JSON lines)")
    s.add_argument("--n-jobs", type=jobs, default=1, help="local processes (-1: all cores)")
    s.add_argument("--backend", choices=["loky", "dask"], default="loky")
    s.add_argument("--scheduler", metavar="ADDRESS", help="the Dask scheduler (tcp://host:8786)")
    s.add_argument("--table", action="store_true", help="print the table of --out")
    s.set_defaults(run=sweep)
    # The tour's options (and its --help) are the tour's own parser's: everything is passed on.
    t = commands.add_parser(
        "tour", help="a few minutes through minigrad, with an HTML report", add_help=False
    )
    t.set_defaults(run=tour, rest=[])
    return parser


VIEWS = {
    "forward": "values",
    "backward": "gradients of the (summed) first output",
    "tangent": "forward-mode tangents, every input's tangent all ones",
    "gradient": "the graph that computes the gradients (backward with create_graph=True)",
}


def _demo_list() -> str:
    """The demos with the first line of each one's docstring."""
    try:
        folder = demos_folder()
    except UsageError as err:
        return str(err)
    lines = ["demos:"]
    for path in sorted(folder.glob("*.py")):
        if path.stem.startswith("_"):
            continue
        try:
            doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        except (OSError, SyntaxError, ValueError):
            doc = ""
        lines.append(f"  {path.stem:<22} {doc.strip().splitlines()[0] if doc.strip() else ''}")
    return "\n".join(lines)


def _input_options(p: argparse.ArgumentParser, repeat: bool = True) -> None:
    help_text = "one shape per input, e.g. --shapes 3,4 4" + (" (repeat for more sets)" * repeat)
    p.add_argument(
        "--shapes",
        nargs="+",
        type=parse_shape,
        action="append" if repeat else None,
        metavar="SHAPE",
        help=help_text,
    )
    p.add_argument("--seed", type=non_negative, default=0)
    p.add_argument("--low", type=finite, default=-2.0, help="inputs are uniform in [low, high]")
    p.add_argument("--high", type=finite, default=2.0)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.run not in (run, tour):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.run in (run, tour):
        args.rest = list(args.rest) + extra  # the demo's own options
    if args.run is draw and args.shapes is not None:
        args.shapes = [args.shapes]
    try:
        return args.run(args)
    except UsageError as err:
        print(f"minigrad {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
