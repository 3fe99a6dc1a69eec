"""What every demo's command line shares: --out, --quick, --seed, --mnist, and options whose
defaults depend on --quick."""

from __future__ import annotations

import argparse
from pathlib import Path


def demo_parser(name: str, description: str) -> argparse.ArgumentParser:
    """A parser with the options of every MNIST demo; the demo adds its own after."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", type=Path, default=Path(f"out/{name}"))
    parser.add_argument("--quick", action="store_true", help="a tiny run (for tests)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mnist", type=Path, default=None, help="folder of the MNIST files")
    return parser


def fill_defaults(args: argparse.Namespace, quick: dict, full: dict) -> argparse.Namespace:
    """Give every option left unset (None) its value from `quick` or `full`."""
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return args
