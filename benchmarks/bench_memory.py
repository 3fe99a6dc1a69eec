"""Peak memory of minigrad against hand-written NumPy, measured with tracemalloc.

What it measures, in bytes traced by tracemalloc (NumPy registers its data buffers with it,
so the numbers count array data plus Python objects such as graph nodes; BLAS's own work
buffers are not traced, for either side):

(a) One SGD training step of the sigmoid MLP 784-1000x5-10 at batch 128, float32: the peak
    during the step of the idiomatic minigrad step (nn.Sequential, nn.cross_entropy,
    optim.SGD), of the hand-tuned minigrad loop and of the hand-written NumPy step (all from
    common.py and bench_train.py). Parameters, data, model and optimiser exist before tracing
    starts, after one warm-up step, with no gradients held; so the peak is what the step
    itself allocates (activations, graph, gradients, temporaries).
(b) A held graph: a chain of 100 elementwise ops (`*1.0001`, `+0.5`, `tanh`, repeating) on a
    100,000-element float32 tensor, with everything needed for backward kept. Peak during the
    forward (the graph held before backward) and during forward + backward, against a NumPy
    forward that keeps what its hand-written backward needs (the tanh outputs) and that
    backward.

How: each measurement runs `--repeat` times (3; 1 with --quick) from a fresh tracemalloc
start; the table gives the median and, if they differ, the min-max range. Ratios are minigrad
/ NumPy. First a `check:` line shows that tracemalloc sees a known NumPy allocation, and one
that NumPy's step peak is at least its activations plus its gradients. BLAS uses one thread,
as in the timing scripts (--threads).

Run from the repository root:

    python benchmarks/bench_memory.py            # a few seconds
    python benchmarks/bench_memory.py --quick    # each peak measured once
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tracemalloc
from collections.abc import Callable

import numpy as np
from bench_train import WIDE, idiomatic_model, idiomatic_step
from common import (
    DTYPE,
    LR,
    add_run_options,
    apply_run_options,
    header,
    mlp_data,
    np_step,
    print_table,
    tuned_params,
    tuned_step,
)

import minigrad as mg
from minigrad import optim

N_OPS = 100
CHAIN_SIZE = 100_000
BATCH = 128


def traced(fn: Callable[[], object]) -> tuple[int, int]:
    """(peak, held at the end) bytes allocated by `fn()` under tracemalloc; the result of
    `fn` is held until both are read."""
    gc.collect()
    tracemalloc.start()
    try:
        result = fn()  # noqa: F841  (kept alive: what it holds counts as held)
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, held


def peaks(fn: Callable[[], object], repeat: int) -> list[int]:
    return [traced(fn)[0] for _ in range(repeat)]


def check_tracemalloc() -> None:
    """tracemalloc must see NumPy's data buffers, or every number below means nothing."""
    peak, held = traced(lambda: np.ones(CHAIN_SIZE, DTYPE))
    data = CHAIN_SIZE * np.dtype(DTYPE).itemsize
    assert data <= held <= data + 1024 and peak <= data + 4096, (held, peak)
    print(
        f"check: tracemalloc sees NumPy's buffers: np.ones({CHAIN_SIZE:_}, float32) traced as "
        f"{held:,} bytes held ({data:,} of data plus the array object)"
    )


# -- (a) one training step of the wide MLP -----------------------------------------------------
def step_peaks(repeat: int) -> dict[str, list[int]]:
    np_params, x, y = mlp_data(WIDE, BATCH)
    model = idiomatic_model(np_params)
    opt = optim.SGD(model.parameters(), lr=LR)
    tuned = tuned_params(np_params)
    xt = mg.tensor(x)

    steps = {
        "idiomatic": lambda: idiomatic_step(model, opt, xt, y),
        "hand-tuned": lambda: tuned_step(tuned, xt, y),
        "NumPy": lambda: np_step(np_params, x, y),
    }
    out = {}
    for name, step in steps.items():
        step()  # warm-up
        opt.zero_grad()  # the idiomatic step leaves its gradients held: start without them
        out[name] = []
        for _ in range(repeat):
            out[name].append(traced(step)[0])
            opt.zero_grad()
    activations = BATCH * sum(WIDE[1:]) * np.dtype(DTYPE).itemsize
    gradients = sum(W.nbytes + b.nbytes for W, b in np_params)
    assert min(out["NumPy"]) >= activations + gradients, (out["NumPy"], activations, gradients)
    print(
        f"check: NumPy's step peak {min(out['NumPy']):,} >= its activations "
        f"{activations:,} + gradients {gradients:,} bytes"
    )
    return out


# -- (b) a held 100-op chain -------------------------------------------------------------------
def mg_chain(x: mg.Tensor) -> mg.Tensor:
    y = x
    for k in range(N_OPS):
        y = y * 1.0001 if k % 3 == 0 else (y + 0.5 if k % 3 == 1 else y.tanh())
    return y


def mg_chain_grad(x: mg.Tensor) -> mg.Tensor:
    mg_chain(x).sum().backward()
    grad, x.grad = x.grad, None
    return grad


def np_chain(x: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """The chain forward, keeping what the backward needs: the output of each tanh."""
    y, saved = x, []
    for k in range(N_OPS):
        if k % 3 == 0:
            y = y * 1.0001
        elif k % 3 == 1:
            y = y + 0.5
        else:
            y = np.tanh(y)
            saved.append(y)
    return y, saved


def np_chain_grad(x: np.ndarray) -> np.ndarray:
    y, saved = np_chain(x)
    g = np.ones_like(y)
    for k in reversed(range(N_OPS)):
        if k % 3 == 0:
            g = g * 1.0001
        elif k % 3 == 2:
            t = saved.pop()
            g = g * (1 - t * t)
    return g


def chain_peaks(repeat: int) -> dict[str, dict[str, list[int]]]:
    x = np.random.default_rng(0).standard_normal(CHAIN_SIZE, dtype=DTYPE)
    xt = mg.tensor(x, requires_grad=True)
    g_mg, g_np = mg_chain_grad(xt).data, np_chain_grad(x)
    assert g_mg.dtype == g_np.dtype == DTYPE and np.allclose(g_mg, g_np, rtol=1e-4)
    print(f"check: the {N_OPS}-op chain's gradients agree (minigrad and NumPy)")
    return {
        "forward, graph held": {
            "minigrad": peaks(lambda: mg_chain(xt), repeat),
            "NumPy": peaks(lambda: np_chain(x), repeat),
        },
        "forward + backward": {
            "minigrad": peaks(lambda: mg_chain_grad(xt), repeat),
            "NumPy": peaks(lambda: np_chain_grad(x), repeat),
        },
    }


# -- report ------------------------------------------------------------------------------------
def fmt_bytes(samples: list[int]) -> str:
    """`median MB`, followed by `[min-max]` when the runs differ at this precision."""
    median, low, high = (f"{v / 1e6:.2f}" for v in (statistics.median(samples), *minmax(samples)))
    return f"{median} MB" + (f" [{low}-{high}]" if low != high else "")


def minmax(samples: list[int]) -> tuple[int, int]:
    return min(samples), max(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="measure each peak once")
    parser.add_argument("--repeat", type=int, help="runs per peak (default 3, 1 with --quick)")
    add_run_options(parser, memory=False)
    args = parser.parse_args()
    apply_run_options(args)
    repeat = args.repeat or (1 if args.quick else 3)
    runs = f"{repeat} run{'s' if repeat > 1 else ''} each"
    print(header("float32, peak bytes traced by tracemalloc", runs) + "\n")
    check_tracemalloc()
    step = step_peaks(repeat)
    chain = chain_peaks(repeat)
    np_step_peak = statistics.median(step["NumPy"])
    rows = [
        [
            f"train step, MLP 784-1000x5-10, batch {BATCH}, {name}",
            fmt_bytes(step[name]),
            fmt_bytes(step["NumPy"]),
            f"{statistics.median(step[name]) / np_step_peak:.2f}",
        ]
        for name in ("idiomatic", "hand-tuned")
    ]
    for what, sides in chain.items():
        rows.append(
            [
                f"chain of {N_OPS} ops, {CHAIN_SIZE:_} elements, {what}",
                fmt_bytes(sides["minigrad"]),
                fmt_bytes(sides["NumPy"]),
                f"{statistics.median(sides['minigrad']) / statistics.median(sides['NumPy']):.2f}",
            ]
        )
    print()
    print_table(["peak memory", "minigrad", "NumPy", "minigrad/NumPy"], rows)


if __name__ == "__main__":
    main()
