"""Benchmark relu, sigmoid and tanh, forward + backward, in minigrad and in plain NumPy.

Seeds 003 ("ReLU is cheaper than sigmoid") and 004 (5.1.2, "ReLU is cheap: only additions,
multiplications and comparisons") say that ReLU costs less to compute. What it measures
(float32, inputs N(0, 1) from np.random.default_rng(0), arrays of 1e3 and 1e6 elements):

- minigrad: `x.relu()` / `x.sigmoid()` / `x.tanh()` on a leaf tensor, then `y.backward(g)`
  with a fixed N(0, 1) cotangent g; the time includes building and walking the graph.
- NumPy: the same forward with ufuncs and the hand-written backward:
  relu `np.maximum(x, 0)`, `g * (x > 0)`; sigmoid `1 / (1 + exp(-x))`, `g * y * (1 - y)`;
  tanh `np.tanh(x)`, `g * (1 - y * y)`.
Before timing, minigrad's gradient must equal NumPy's (rtol 1e-5). For context, per size: one
bare `np.maximum(x, 0)` and one bare `np.where(x <= 0, 0, x)`, the ufunc minigrad's relu uses
(relu is a composite, `where(x <= 0, 0, x)`; its backward is another `where`). On a random
half-negative mask np.where branches unpredictably and can cost many times np.maximum.

Every time is the median of several interleaved repeats (all activations and both libraries
take turns, so a slow spell of the shared machine hits them alike), each an untimed call then
a loop of at least `min_time` (0.2 s, 0.02 s with --quick; common.measure). In parentheses:
the interquartile range of the repeats as % of the median. The ratios "/ relu" are medians of
the per-repeat ratios of an activation's time to relu's in the same library, [IQR].

Run from the repository root:

    python benchmarks/bench_activations.py            # default, about 20 s
    python benchmarks/bench_activations.py --quick    # fewer repeats, a few seconds
"""

from __future__ import annotations

import argparse

import numpy as np
from common import (
    DTYPE,
    add_run_options,
    apply_run_options,
    fmt_ratio,
    fmt_time,
    header,
    measure,
    print_table,
)

import minigrad as mg

ACTIVATIONS = ("relu", "sigmoid", "tanh")
SIZES = (1_000, 1_000_000)


def np_relu(x: np.ndarray, g: np.ndarray) -> np.ndarray:
    np.maximum(x, 0)
    return g * (x > 0)


def np_sigmoid(x: np.ndarray, g: np.ndarray) -> np.ndarray:
    y = 1 / (1 + np.exp(-x))
    return g * y * (1 - y)


def np_tanh(x: np.ndarray, g: np.ndarray) -> np.ndarray:
    y = np.tanh(x)
    return g * (1 - y * y)


NUMPY = {"relu": np_relu, "sigmoid": np_sigmoid, "tanh": np_tanh}


def mg_step(act: str, x: mg.Tensor, g: mg.Tensor) -> np.ndarray:
    """Forward and backward of one activation in minigrad; returns dL/dx for L = <g, f(x)>."""
    getattr(x, act)().backward(g)
    grad, x.grad = x.grad.data, None
    return grad


def bench_size(size: int, repeat: int, min_time: float) -> list[dict]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal(size, dtype=DTYPE)
    g = rng.standard_normal(size, dtype=DTYPE)
    xt, gt = mg.Tensor(x, requires_grad=True), mg.Tensor(g)
    for act in ACTIVATIONS:
        got, want = mg_step(act, xt, gt), NUMPY[act](x, g)
        assert got.dtype == want.dtype == DTYPE, (act, got.dtype, want.dtype)
        assert np.allclose(got, want, rtol=1e-5, atol=1e-7), (act, np.abs(got - want).max())
    print(f"size {size:,}\n  check: relu, sigmoid and tanh gradients agree with NumPy's")
    fns = [lambda a=a: mg_step(a, xt, gt) for a in ACTIVATIONS]
    fns += [lambda a=a: NUMPY[a](x, g) for a in ACTIVATIONS]
    fns += [lambda: np.maximum(x, 0), lambda: np.where(x <= 0, 0, x)]
    times = measure(fns, repeat, min_time)
    scale, unit = (1e6, "us") if size < 100_000 else (1e3, "ms")
    print(
        f"  bare ufuncs: np.maximum(x, 0) {fmt_time(times[6], scale)} {unit}, "
        f"np.where(x <= 0, 0, x) {fmt_time(times[7], scale)} {unit}"
    )
    mg_t = dict(zip(ACTIVATIONS, times[:3], strict=True))
    np_t = dict(zip(ACTIVATIONS, times[3:6], strict=True))
    return [
        {
            "act": a,
            "size": size,
            "mg": mg_t[a],
            "np": np_t[a],
            "mg_relu": mg_t["relu"],
            "np_relu": np_t["relu"],
        }
        for a in ACTIVATIONS
    ]


def table_row(r: dict) -> list[str]:
    scale = 1e6 if r["size"] < 100_000 else 1e3
    unit = "us" if scale == 1e6 else "ms"
    return [
        r["act"],
        f"{r['size']:,}",
        fmt_time(r["mg"], scale),
        fmt_ratio(r["mg"].ratio(r["mg_relu"])),
        fmt_time(r["np"], scale),
        fmt_ratio(r["np"].ratio(r["np_relu"])),
        unit,
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repeats")
    parser.add_argument(
        "--repeat", type=int, help="timed repeats per measurement (default 7, or 3 with --quick)"
    )
    add_run_options(parser, memory=False)
    args = parser.parse_args()
    apply_run_options(args)
    repeat = args.repeat or (3 if args.quick else 7)
    min_time = 0.02 if args.quick else 0.2
    print(header("float32, forward + backward", f"median of {repeat} interleaved repeats") + "\n")
    rows = [r for size in SIZES for r in bench_size(size, repeat, min_time)]
    print()
    print_table(
        [
            "activation",
            "size",
            "minigrad (IQR)",
            "/ relu [IQR]",
            "numpy (IQR)",
            "/ relu [IQR]",
            "unit",
        ],
        [table_row(r) for r in rows],
        align="lrrrrrl",
    )
    print("\nsummary (time / relu's time in the same library, median of the per-repeat ratios):")
    for r in rows:
        if r["act"] != "relu":
            print(
                f"  {r['act']}, size {r['size']:,}: minigrad {r['mg'].ratio(r['mg_relu'])[1]:.2f}"
                f", numpy {r['np'].ratio(r['np_relu'])[1]:.2f}"
            )


if __name__ == "__main__":
    main()
