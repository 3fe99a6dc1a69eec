"""What every demo's command line shares: --out, --quick, --seed, --mnist, and options whose
defaults depend on --quick."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from minigrad.cli import Parser, non_negative, positive


def demo_parser(name: str, description: str) -> argparse.ArgumentParser:
    """A parser with the options of every MNIST demo; the demo adds its own after."""
    parser = Parser(description=description)
    parser.add_argument("--out", type=output_folder, default=Path(f"out/{name}"))
    parser.add_argument("--quick", action="store_true", help="a tiny run (for tests)")
    parser.add_argument("--seed", type=non_negative, default=0)
    parser.add_argument("--mnist", type=Path, default=None, help="folder of the MNIST files")
    return parser


def fill_defaults(args: argparse.Namespace, quick: dict, full: dict) -> argparse.Namespace:
    """Give every option left unset (None) its value from `quick` or `full`."""
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return args


def fraction(text: str) -> float:
    """A level such as an accuracy: a number in (0, 1]."""
    value = positive(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1], got {text!r}")
    return value


def output_folder(text: str) -> Path:
    """A folder to write into: it may not exist yet, but must not be a file."""
    path = Path(text)
    if not text or path.is_file() or any(p.is_file() for p in path.parents):
        raise argparse.ArgumentTypeError(f"cannot write into {text!r}: it is not a folder")
    return path


def write_results(out: Path, results: dict, summary: str) -> dict:
    """Write a demo's `results.json` and `summary.md` into `out`, say where, return `results`."""
    (out / "results.json").write_text(json.dumps(results, indent=2))
    (out / "summary.md").write_text(summary)
    print(f"wrote {out}")
    return results
