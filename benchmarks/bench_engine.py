"""Benchmark minigrad against hand-written NumPy doing the same math.

What it measures (float32 throughout, data from np.random.default_rng(0)):

(a) Per-op overhead: a chain of 100 elementwise ops (`*1.0001`, `+0.5`, `tanh`, repeating),
    then `sum().backward()`, on 1-element and 1000-element tensors. The NumPy reference runs
    the same ufuncs forward and multiplies the upstream gradient by the stored local
    derivatives in reverse. Reported per op: the whole forward + backward time / 100, in
    microseconds, with the cost of one bare NumPy ufunc call of that size for context.
(b) A full SGD training step (forward, log-softmax cross-entropy, backward, `W -= lr * dW`
    for every weight and bias, zeroing grads) of sigmoid MLPs 784-30x4-10 at batch 10 and
    784-1000x5-10 at batch 128, written as a hand-tuned minigrad loop (tensors, no modules,
    no optimiser; see common.py). The NumPy reference uses a hand-derived backward. Before
    timing, one step of each from the same parameters must give the same loss and gradients.
    bench_train.py times the same step written as the README teaches (nn.Sequential,
    nn.cross_entropy, optim.SGD) next to this loop.

Every time is the median of several repeats after a warm-up call, using time.perf_counter;
the repeats of minigrad and NumPy are interleaved, and each makes one untimed call, then
loops the function for at least `min_time` (0.2 s, 0.02 s with --quick; common.measure).
In parentheses: the interquartile range of the repeats as % of the median. The ratio is the
median of the per-repeat ratios, with their interquartile range in brackets. BLAS uses one
thread unless --threads or OPENBLAS_NUM_THREADS says otherwise (common.blas_threads).

Run from the repository root:

    python benchmarks/bench_engine.py            # default, about 15 s
    python benchmarks/bench_engine.py --quick    # fewer repeats, a few seconds
    python benchmarks/bench_engine.py --repeat 15
    python benchmarks/bench_engine.py --keep-memory  # glibc: no page faults (see bench_train.py)
"""

from __future__ import annotations

import argparse

import numpy as np
from common import (
    DTYPE,
    Timing,
    add_run_options,
    apply_run_options,
    check_grads,
    fmt_ratio,
    fmt_time,
    header,
    measure,
    mlp_data,
    np_loss_and_grads,
    np_step,
    print_table,
    tuned_loss_and_grads,
    tuned_params,
    tuned_step,
)

import minigrad as mg

N_OPS = 100  # length of the elementwise chain in (a)


# -- (a) elementwise chain -------------------------------------------------------------------
def mg_chain(x: mg.Tensor) -> np.ndarray:
    """Forward and backward of the chain in minigrad; returns d sum(y) / dx."""
    y = x
    for k in range(N_OPS):
        y = y * 1.0001 if k % 3 == 0 else (y + 0.5 if k % 3 == 1 else y.tanh())
    y.sum().backward()
    grad, x.grad = x.grad.data, None
    return grad


def np_chain(x: np.ndarray) -> np.ndarray:
    """The same chain with NumPy ufuncs and a hand-written backward (add has derivative 1)."""
    y, local = x, []
    for k in range(N_OPS):
        if k % 3 == 0:
            y = y * 1.0001
            local.append(1.0001)
        elif k % 3 == 1:
            y = y + 0.5
        else:
            y = np.tanh(y)
            local.append(1 - y * y)
    g = np.ones_like(y)
    for d in reversed(local):
        g = g * d
    return g


def bench_chain(size: int, repeat: int, min_time: float) -> dict:
    x = np.random.default_rng(0).standard_normal(size, dtype=DTYPE)
    xt = mg.Tensor(x, requires_grad=True)
    g_mg, g_np = mg_chain(xt), np_chain(x)
    assert g_mg.dtype == g_np.dtype == DTYPE and np.allclose(g_mg, g_np, rtol=1e-4), size
    print(f"chain of {N_OPS} ops, size {size}\n  check: gradients agree")
    t_mg, t_np, t_ufunc = measure(
        [lambda: mg_chain(xt), lambda: np_chain(x), lambda: np.tanh(x)], repeat, min_time
    )
    return {
        "name": f"chain of {N_OPS} ops, size {size}",
        "unit": "us/op",
        "scale": 1e6 / N_OPS,
        "mg": t_mg,
        "np": t_np,
        "note": f"1 bare ufunc call (tanh): {1e6 * t_ufunc.median:.2f} us",
    }


# -- (b) MLP training step (the code lives in common.py) ----------------------------------
def bench_mlp(sizes: list[int], batch: int, repeat: int, min_time: float) -> dict:
    np_params, x, y = mlp_data(sizes, batch)
    mg_params = tuned_params(np_params)
    name = f"MLP {'-'.join(map(str, sizes))}, batch {batch}"
    print(name)
    agree = check_grads(
        np_loss_and_grads(np_params, x, y), {"minigrad": tuned_loss_and_grads(mg_params, x, y)}
    )
    print(f"  check: gradients agree ({agree})")
    xt = mg.Tensor(x)
    t_mg, t_np = measure(
        [lambda: tuned_step(mg_params, xt, y), lambda: np_step(np_params, x, y)], repeat, min_time
    )
    return {
        "name": f"train step, {name}",
        "unit": "ms/step",
        "scale": 1e3,
        "mg": t_mg,
        "np": t_np,
        "note": "",
    }


# -- report ----------------------------------------------------------------------------------
def table_row(r: dict) -> list[str]:
    t_mg: Timing = r["mg"]
    t_np: Timing = r["np"]
    return [
        r["name"],
        fmt_time(t_mg, r["scale"]),
        fmt_time(t_np, r["scale"]),
        r["unit"],
        fmt_ratio(t_mg.ratio(t_np)),
        r["note"],
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repeats")
    parser.add_argument(
        "--repeat", type=int, help="timed repeats per measurement (default 7, or 3 with --quick)"
    )
    add_run_options(parser)
    args = parser.parse_args()
    apply_run_options(args)
    repeat = args.repeat or (3 if args.quick else 7)
    min_time = 0.02 if args.quick else 0.2
    how = f"median of {repeat} interleaved repeats"
    how += "; freed memory kept (--keep-memory)" if args.keep_memory else ""
    print(header("float32", how) + "\n")
    rows = [
        bench_chain(1, repeat, min_time),
        bench_chain(1000, repeat, min_time),
        bench_mlp([784, 30, 30, 30, 30, 10], 10, repeat, min_time),
        bench_mlp([784] + [1000] * 5 + [10], 128, repeat, min_time),
    ]
    print()
    print_table(
        ["benchmark", "minigrad (IQR)", "numpy (IQR)", "unit", "ratio [IQR]", "note"],
        [table_row(r) for r in rows],
        align="lrrrrl",
    )
    print("\nsummary (minigrad time / NumPy time, median of the per-repeat ratios):")
    for r in rows:
        print(f"  {r['name']}: ratio {r['mg'].ratio(r['np'])[1]:.2f}")


if __name__ == "__main__":
    main()
