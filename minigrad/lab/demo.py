"""What every demo's command line shares: --out, --quick, --seed, --mnist, and options whose
defaults depend on --quick."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from minigrad.cli import Parser


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


# Argument types for the demos' options: a bad value is a one-line argparse error, not a
# traceback after minutes of work.
def _whole(text: str, low: int) -> int:
    if not text.strip().lstrip("-").isdigit() or int(text) < low:
        raise argparse.ArgumentTypeError(f"expected a whole number >= {low}, got {text!r}")
    return int(text)


def count(text: str) -> int:
    """A count of steps, units, layers or images: a whole number >= 1."""
    return _whole(text, 1)


def non_negative(text: str) -> int:
    """A random seed or an index: a whole number >= 0."""
    return _whole(text, 0)


def positive(text: str) -> float:
    """A rate or a size: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text!r}")
    return value


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
