"""Benchmark minigrad against hand-written NumPy doing the same math.

What it measures (float32 throughout, data from np.random.default_rng(0)):

(a) Per-op overhead: a chain of 100 elementwise ops (`*1.0001`, `+0.5`, `tanh`, repeating),
    then `sum().backward()`, on 1-element and 1000-element tensors. The NumPy reference runs
    the same ufuncs forward and multiplies the upstream gradient by the stored local
    derivatives in reverse. Reported per op: the whole forward + backward time / 100, in
    microseconds, with the cost of one bare NumPy ufunc call of that size for context.
(b) A full SGD training step (forward, log-softmax cross-entropy, backward, `W -= lr * dW`
    for every weight and bias, zeroing grads) of sigmoid MLPs 784-30x4-10 at batch 10 and
    784-1000x5-10 at batch 128. The NumPy reference uses a hand-derived backward. Before
    timing, one step of each from the same parameters must give the same loss and gradients.

Every time is the median of several repeats after a warm-up call, using time.perf_counter;
each repeat loops the function enough times to last at least a few milliseconds.

Run from the repository root:

    python benchmarks/bench_engine.py            # default, about 15 s
    python benchmarks/bench_engine.py --quick    # fewer repeats, a few seconds
    python benchmarks/bench_engine.py --repeat 15
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable

import numpy as np

import minigrad as mg

DTYPE = np.float32
N_OPS = 100  # length of the elementwise chain in (a)
LR = 0.1
Params = list[tuple[np.ndarray, np.ndarray]]  # [(W, b), ...] with W of shape (n_in, n_out)


def measure(fns: list[Callable[[], object]], repeat: int, min_time: float) -> list[float]:
    """Median seconds per call of each function, after one warm-up call each. The timed
    repeats of the functions are interleaved, so that a slow spell of the machine hits
    all of them alike; each repeat loops a function for at least `min_time` seconds."""
    numbers = []
    for fn in fns:
        t0 = time.perf_counter()
        fn()
        numbers.append(max(1, math.ceil(min_time / max(time.perf_counter() - t0, 1e-9))))
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, number, ts in zip(fns, numbers, times, strict=True):
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            ts.append((time.perf_counter() - t0) / number)
    return [statistics.median(ts) for ts in times]


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
        "note": f"1 bare ufunc call (tanh): {1e6 * t_ufunc:.2f} us",
    }


# -- (b) MLP training step -------------------------------------------------------------------
def init_mlp(sizes: list[int], rng: np.random.Generator) -> Params:
    return [
        (
            (rng.standard_normal((n_in, n_out), dtype=DTYPE) / np.sqrt(n_in)).astype(DTYPE),
            0.1 * rng.standard_normal(n_out, dtype=DTYPE),
        )
        for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)
    ]


def mg_loss(params: list[tuple[mg.Tensor, mg.Tensor]], x: mg.Tensor, y: np.ndarray) -> mg.Tensor:
    h = x
    for W, b in params[:-1]:
        h = (h @ W + b).sigmoid()
    W, b = params[-1]
    logp = (h @ W + b).log_softmax(axis=-1)
    return -(logp[np.arange(len(y)), y]).mean()


def mg_step(params: list[tuple[mg.Tensor, mg.Tensor]], x: mg.Tensor, y: np.ndarray) -> None:
    mg_loss(params, x, y).backward()
    with mg.no_grad():
        for p in (p for layer in params for p in layer):
            p.sub_(LR * p.grad.data)  # as an optimiser does: no graph, one in-place op
            p.grad = None


def np_loss_and_grads(params: Params, x: np.ndarray, y: np.ndarray) -> tuple[float, Params]:
    hs = [x]
    for W, b in params[:-1]:
        hs.append(1 / (1 + np.exp(-(hs[-1] @ W + b))))
    W, b = params[-1]
    z = hs[-1] @ W + b
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    s = e.sum(axis=1, keepdims=True)
    rows = np.arange(len(y))
    loss = -(z[rows, y] - np.log(s[:, 0])).mean()
    delta = e / s  # softmax
    delta[rows, y] -= 1
    delta /= len(y)
    grads = []
    for (W, _), h in zip(reversed(params), reversed(hs), strict=True):
        grads.append((h.T @ delta, delta.sum(axis=0)))
        if h is not x:
            delta = (delta @ W.T) * h * (1 - h)
    return float(loss), grads[::-1]


def np_step(params: Params, x: np.ndarray, y: np.ndarray) -> None:
    _, grads = np_loss_and_grads(params, x, y)
    for (W, b), (dW, db) in zip(params, grads, strict=True):
        W -= LR * dW
        b -= LR * db


def check_mlp(
    mg_params: list[tuple[mg.Tensor, mg.Tensor]], np_params: Params, x: np.ndarray, y: np.ndarray
) -> None:
    """One minigrad and one NumPy step from the same parameters: same loss and gradients."""
    loss = mg_loss(mg_params, mg.Tensor(x), y)
    loss.backward()
    np_value, grads = np_loss_and_grads(np_params, x, y)
    assert np.allclose(loss.item(), np_value, rtol=1e-4), (loss.item(), np_value)
    worst = 0.0
    for (W, b), (dW, db) in zip(mg_params, grads, strict=True):
        for p, ref in ((W, dW), (b, db)):
            assert p.grad.dtype == ref.dtype == DTYPE, (p.grad.dtype, ref.dtype)
            assert np.allclose(p.grad.data, ref, rtol=1e-4), np.abs(p.grad.data - ref).max()
            worst = max(worst, np.abs(p.grad.data - ref).max() / np.abs(ref).max())
            p.grad = None
    print(
        f"  check: gradients agree (loss {np_value:.5f}; largest gradient difference "
        f"{worst:.1e} of the gradient's scale)"
    )


def bench_mlp(sizes: list[int], batch: int, repeat: int, min_time: float) -> dict:
    rng = np.random.default_rng(0)
    np_params = init_mlp(sizes, rng)
    x = rng.random((batch, sizes[0]), dtype=DTYPE)
    y = rng.integers(0, sizes[-1], batch)
    mg_params = [
        (mg.Tensor(W.copy(), requires_grad=True), mg.Tensor(b.copy(), requires_grad=True))
        for W, b in np_params
    ]
    name = f"MLP {'-'.join(map(str, sizes))}, batch {batch}"
    print(name)
    check_mlp(mg_params, np_params, x, y)
    xt = mg.Tensor(x)
    t_mg, t_np = measure(
        [lambda: mg_step(mg_params, xt, y), lambda: np_step(np_params, x, y)], repeat, min_time
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
def print_table(rows: list[dict]) -> None:
    w = max(len(r["name"]) for r in rows)
    print(f"\n{'benchmark':<{w}}  {'minigrad':>10}  {'numpy':>10}  {'unit':<7}  {'ratio':>6}  note")
    print("-" * (w + 50))
    for r in rows:
        print(
            f"{r['name']:<{w}}  {r['mg'] * r['scale']:>10.2f}  {r['np'] * r['scale']:>10.2f}  "
            f"{r['unit']:<7}  {r['mg'] / r['np']:>6.2f}  {r['note']}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repeats")
    parser.add_argument(
        "--repeat", type=int, help="timed repeats per measurement (default 7, or 3 with --quick)"
    )
    args = parser.parse_args()
    repeat = args.repeat or (3 if args.quick else 7)
    min_time = 0.02 if args.quick else 0.2
    print(
        f"minigrad {mg.__version__}, numpy {np.__version__}, float32, median of {repeat} repeats\n"
    )
    rows = [
        bench_chain(1, repeat, min_time),
        bench_chain(1000, repeat, min_time),
        bench_mlp([784, 30, 30, 30, 30, 10], 10, repeat, min_time),
        bench_mlp([784] + [1000] * 5 + [10], 128, repeat, min_time),
    ]
    print_table(rows)
    print("\nsummary (minigrad time / NumPy time):")
    for r in rows:
        print(f"  {r['name']}: ratio {r['mg'] / r['np']:.2f}")


if __name__ == "__main__":
    main()
