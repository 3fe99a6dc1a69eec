"""The `minigrad` command: `minigrad check path/to/file.py:MyOp --shapes 3,4` and
`minigrad draw module:function --shapes 3,4 --out graph.svg`."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from pathlib import Path

import numpy as np

from minigrad.function import Function
from minigrad.gradcheck import GradcheckError, check_function


def load(target: str):
    """`path/to/file.py:name` or `package.module:name` -> the object."""
    where, sep, name = target.rpartition(":")
    if not sep or not where or not name:
        raise SystemExit(f"minigrad: expected FILE.py:NAME or MODULE:NAME, got {target!r}")
    if where.endswith(".py"):
        path = Path(where)
        if not path.is_file():
            raise SystemExit(f"minigrad: no such file: {where}")
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        sys.path.insert(0, str(path.parent.resolve()))
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(where)
    try:
        return getattr(module, name)
    except AttributeError:
        raise SystemExit(f"minigrad: {where} has no {name!r}") from None


def parse_shape(text: str) -> tuple[int, ...]:
    """'3,4' -> (3, 4); '' or '()' -> ()."""
    text = text.strip().strip("()")
    return tuple(int(n) for n in text.split(",") if n.strip())


def check(args: argparse.Namespace) -> int:
    target = load(args.target)
    is_function = isinstance(target, type) and issubclass(target, Function)
    f = target.apply if is_function else target
    modes = ("rev", "fwd") if not is_function or target.jvp is not None else ("rev",)
    if args.modes:
        modes = tuple(args.modes)
    shape_sets = args.shapes or [["3"]]
    rng = np.random.default_rng(args.seed)
    try:
        for shapes in shape_sets:
            results = check_function(
                f,
                *[parse_shape(s) for s in shapes],
                trials=args.trials,
                rng=rng,
                low=args.low,
                high=args.high,
                modes=modes,
                second_order=args.second_order,
                fast=args.fast,
                eps=args.eps,
            )
            print(f"{args.target} on input shapes {[parse_shape(s) for s in shapes]}:")
            print(repr(results[-1]))
    except GradcheckError as err:
        print(f"{args.target}: FAILED\n{err}")
        return 1
    print(f"{args.target}: all checks passed")
    return 0


def draw(args: argparse.Namespace) -> int:
    from minigrad.tensor import Tensor
    from minigrad.viz import GraphvizNotFound, render
    from minigrad.viz import draw as draw_graph

    f = load(args.target)
    f = f.apply if isinstance(f, type) and issubclass(f, Function) else f
    rng = np.random.default_rng(args.seed)
    inputs = [
        Tensor(rng.uniform(args.low, args.high, parse_shape(s)), requires_grad=True, name=f"x{k}")
        for k, s in enumerate(args.shapes or ["3"])
    ]
    out = f(*inputs)
    outs = list(out) if isinstance(out, tuple | list) else [out]
    if args.view == "backward" and outs[0].size != 1:
        outs[0] = outs[0].sum()
    graph = draw_graph(*outs, view=args.view, rankdir=args.rankdir)
    try:
        path = render(graph, args.out, format=args.format)
    except GraphvizNotFound as err:
        print(err)
        return 1
    print(f"{args.target}: {len(graph.body)} statements drawn to {path}")
    return 0


def demos_folder() -> Path:
    """The repository's demos/ folder (the demos are scripts beside the package)."""
    folder = Path(__file__).resolve().parent.parent / "demos"
    if not folder.is_dir():
        raise SystemExit(
            "minigrad: the demos are scripts in the repository's demos/ folder; "
            "run this from a checkout installed with `pip install -e .`"
        )
    return folder


def run(args: argparse.Namespace) -> int:
    folder = demos_folder()
    names = sorted(p.stem for p in folder.glob("*.py") if not p.stem.startswith("_"))
    if args.name not in names:
        raise SystemExit(f"minigrad: no demo {args.name!r}; the demos are: {', '.join(names)}")
    import runpy

    demo = runpy.run_path(str(folder / f"{args.name}.py"))
    demo["main"](args.rest)
    return 0


def tour(args: argparse.Namespace) -> int:
    from minigrad.lab.tour import main as tour_main

    tour_main(args.rest)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="minigrad", description="minigrad tools")
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("check", help="gradient-check a custom op or a function")
    p.add_argument("target", help="path/to/file.py:MyOp or package.module:function")
    p.add_argument(
        "--shapes",
        nargs="+",
        action="append",
        metavar="SHAPE",
        help="one shape per input, e.g. --shapes 3,4 4 (repeat for more sets)",
    )
    p.add_argument("--trials", type=int, default=3, help="random inputs per shape set")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--low", type=float, default=-2.0, help="inputs are uniform in [low, high]")
    p.add_argument("--high", type=float, default=2.0)
    p.add_argument("--eps", type=float, default=1e-6)
    p.add_argument("--modes", nargs="+", choices=["rev", "fwd"])
    p.add_argument("--fast", action="store_true", help="compare random projections first")
    p.add_argument("--second-order", action="store_true", help="also run gradgradcheck")
    p.set_defaults(run=check)
    d = commands.add_parser("draw", help="render the computation graph of a function")
    d.add_argument("target", help="path/to/file.py:function or package.module:function")
    d.add_argument("--shapes", nargs="+", metavar="SHAPE", help="one shape per input")
    d.add_argument("--view", choices=["forward", "backward"], default="backward")
    d.add_argument("--out", default="graph", help="output path (the suffix follows --format)")
    d.add_argument("--format", choices=["svg", "png", "pdf", "dot"], default="svg")
    d.add_argument("--rankdir", choices=["LR", "TB"], default=None)
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--low", type=float, default=-2.0)
    d.add_argument("--high", type=float, default=2.0)
    d.set_defaults(run=draw)
    r = commands.add_parser(
        "run", help="run a demo of demos/ (e.g. `minigrad run numerical_diff --quick`)"
    )
    r.add_argument("name")
    r.add_argument("rest", nargs=argparse.REMAINDER, help="the demo's own options")
    r.set_defaults(run=run)
    t = commands.add_parser("tour", help="a few minutes through minigrad, with an HTML report")
    t.set_defaults(run=tour, rest=[])
    args, extra = parser.parse_known_args(argv)
    if extra and args.run not in (run, tour):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.run in (run, tour):
        args.rest = list(args.rest) + extra  # the demo's own options
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
