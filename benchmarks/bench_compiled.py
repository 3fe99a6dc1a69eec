"""Compiled programs (mg.compile) against hand-written NumPy and against minigrad's eager mode.

What it measures (float32, data from np.random.default_rng(0), one BLAS thread by default):

(a) One SGD training step of the sigmoid MLP 784-30x4-10 at batch 10 (and 784-1000x5-10 at
    batch 128): `mg.compile` of a function that computes `mg.value_and_grad` of the loss
    (linear layers, sigmoid, cross_entropy) and returns the updated parameters, replayed on
    each call; the eager step as the README teaches it (bench_train.py); the hand-written
    NumPy step (common.py). Before timing, one compiled step must give the NumPy step's loss
    and updated parameters. The time of the first call (tracing and deriving the program) is
    reported as compile time.
(b) The chain of 100 elementwise ops (`*1.0001`, `+0.5`, `tanh`, repeating) on a 1-element
    tensor, forward and gradient, compiled (`mg.compile(mg.grad(chain))`) and eager, against
    NumPy with a hand-written backward (bench_engine.py); per op.

Times are medians of interleaved repeats (common.measure), with the interquartile range as %
of the median; ratios are medians of per-repeat ratios, with their IQR.

    python benchmarks/bench_compiled.py            # about 15 s
    python benchmarks/bench_compiled.py --quick    # a few seconds
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from bench_engine import N_OPS, np_chain
from bench_train import idiomatic_model, idiomatic_step
from common import (
    DTYPE,
    LR,
    add_run_options,
    apply_run_options,
    fmt_ratio,
    fmt_time,
    header,
    measure,
    mlp_data,
    np_loss_and_grads,
    np_step,
    print_table,
)

import minigrad as mg
from minigrad import optim
from minigrad.lab.compiled import sgd_step


def chain(x):
    y = x
    for k in range(N_OPS):
        y = y * 1.0001 if k % 3 == 0 else (y + 0.5 if k % 3 == 1 else y.tanh())
    return y.sum()


def bench_step(sizes: list[int], batch: int, repeat: int, min_time: float) -> list[list[str]]:
    np_params, x, y = mlp_data(sizes, batch)
    params = [(w.T.copy(), b.copy()) for w, b in np_params]  # minigrad's (out, in) layout
    step = mg.compile(sgd_step(LR))
    start = time.perf_counter()
    value, updated = step(params, x, y)
    compile_ms = (time.perf_counter() - start) * 1e3
    ref_loss, ref_grads = np_loss_and_grads(np_params, x, y)
    assert abs(float(value) - ref_loss) <= 1e-5 * abs(ref_loss), (float(value), ref_loss)
    for (w, b), (w0, b0), (gw, gb) in zip(updated, params, ref_grads, strict=True):
        np.testing.assert_allclose(w, w0 - LR * gw.T, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(b, b0 - LR * gb, rtol=1e-4, atol=1e-6)
    program = next(iter(step.programs.values()))[0]
    print(
        f"  check: the compiled step gives NumPy's loss and update; {len(program)} "
        f"instructions, compiled in {compile_ms:.1f} ms"
    )
    state = {"params": params}

    def compiled() -> None:
        state["params"] = step(state["params"], x, y)[1]

    model = idiomatic_model(np_params)
    opt = optim.SGD(model.parameters(), lr=LR)
    xt = mg.tensor(x)
    np_copy = [(w.copy(), b.copy()) for w, b in np_params]
    t = measure(
        [compiled, lambda: idiomatic_step(model, opt, xt, y), lambda: np_step(np_copy, x, y)],
        repeat,
        min_time,
    )
    name = f"train step, MLP {sizes[0]}-{sizes[1]}x{len(sizes) - 2}-{sizes[-1]}, batch {batch}"
    return [
        [
            name,
            fmt_time(t[0], 1e3),
            fmt_time(t[1], 1e3),
            fmt_time(t[2], 1e3),
            fmt_ratio(t[0].ratio(t[2])),
            fmt_ratio(t[1].ratio(t[2])),
            f"{compile_ms:.1f} ms",
        ]
    ]


def bench_chain(repeat: int, min_time: float) -> list[list[str]]:
    x = np.random.default_rng(0).standard_normal(1, dtype=DTYPE)
    compiled = mg.compile(mg.grad(chain))
    start = time.perf_counter()
    g = compiled(x)
    compile_ms = (time.perf_counter() - start) * 1e3
    eager = mg.grad(chain)
    np.testing.assert_allclose(g, np_chain(x), rtol=1e-5)
    np.testing.assert_allclose(eager(x).data, np_chain(x), rtol=1e-5)
    print(f"  check: the compiled, eager and NumPy chain gradients agree ({N_OPS} ops)")
    t = measure([lambda: compiled(x), lambda: eager(x), lambda: np_chain(x)], repeat, min_time)
    per_op = 1e6 / N_OPS
    return [
        [
            f"chain of {N_OPS} ops, 1 element, forward + gradient (per op, us)",
            fmt_time(t[0], per_op),
            fmt_time(t[1], per_op),
            fmt_time(t[2], per_op),
            fmt_ratio(t[0].ratio(t[2])),
            fmt_ratio(t[1].ratio(t[2])),
            f"{compile_ms:.1f} ms",
        ]
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repeats")
    parser.add_argument("--repeat", type=int, help="interleaved repeats (default 9, 3 quick)")
    add_run_options(parser)
    args = parser.parse_args()
    apply_run_options(args)
    repeat = args.repeat or (3 if args.quick else 9)
    min_time = 0.02 if args.quick else 0.2
    print(header("float32", f"median of {repeat} interleaved repeats"))
    rows = []
    shapes = [([784, 30, 30, 30, 30, 10], 10)]
    if not args.quick:
        shapes.append(([784] + [1000] * 5 + [10], 128))
    for sizes, batch in shapes:
        print(f"MLP {sizes}, batch {batch}")
        rows += bench_step(sizes, batch, repeat, min_time)
    print("chain")
    rows += bench_chain(repeat, min_time)
    print()
    print_table(
        [
            "workload",
            "compiled ms (IQR)",
            "eager ms (IQR)",
            "NumPy ms (IQR)",
            "compiled/NumPy [IQR]",
            "eager/NumPy [IQR]",
            "compile time",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
