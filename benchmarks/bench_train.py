"""One SGD training step of sigmoid MLPs, three ways, against hand-written NumPy.

What it measures: the time of one step (forward, softmax cross-entropy, backward, w -= 0.1 g
for every weight and bias, gradients cleared) of sigmoid MLPs in float32, written

- idiomatic: minigrad as the README teaches: `nn.Sequential(nn.Linear, nn.Sigmoid, ...)`,
  `nn.cross_entropy(model(x), y)`, `optim.SGD(model.parameters(), lr=0.1)` with
  `opt.zero_grad(); loss.backward(); opt.step()`; the batch `x = mg.tensor(x)` is made once;
- hand-tuned: minigrad tensors without modules or optimiser (`(h @ W + b).sigmoid()`,
  `log_softmax`, `p.sub_` under `no_grad`; common.py, the loop bench_engine.py times);
- NumPy: a hand-written forward, hand-derived backward and the same update (common.py).

Workloads: MLP 784-30x4-10 and 784-1000x5-10, each at batch 10 and 128 (`--quick` keeps
the same workloads and shortens the timing). Before timing, from the same parameters
(nn.Linear holds W transposed), each way must give the NumPy loss and gradients (rtol 1e-4),
and then, after one step of each, the same parameters (to 1% of the update: same learning
rate and rule); the script prints a `check:` line per workload and stops otherwise.

How: the three steps are timed in interleaved repeats (repeat 1 of all three, then repeat
2, ...); each repeat makes one untimed step (the caches then hold that way's data, as in a
training loop), loops the step for at least `min_time` (0.1 s; 0.01 s with --quick) and
records the mean time per step. Reported: the median over repeats, with the interquartile
range (IQR) of the repeats as % of the median; ratios are the median of the per-repeat
ratios time / NumPy time, with their IQR in brackets. Each way trains its own copy of the
parameters, so all three keep doing the same arithmetic. BLAS uses one thread unless
--threads or OPENBLAS_NUM_THREADS says otherwise (common.blas_threads; the header says which).

Page faults: glibc hands large freed arrays back to the kernel, so each fresh 4 MB array of
the wide MLP costs about 1,000 minor page faults, and at batch 10 these take most of a step,
NumPy's as well (the script prints the faults per step of each way). `--keep-memory` (glibc)
keeps freed memory in the process: then the times show the arithmetic and the bookkeeping.

Run from the repository root:

    python benchmarks/bench_train.py              # 11 repeats of >= 0.1 s, about 20 s
    python benchmarks/bench_train.py --quick      # 3 short repeats, a few seconds
    python benchmarks/bench_train.py --repeat 21  # steadier medians
    python benchmarks/bench_train.py --keep-memory  # without page faults (glibc)
    python benchmarks/bench_train.py --profile    # cProfile of the idiomatic small-MLP step
"""

from __future__ import annotations

import argparse
import cProfile
import pstats

import numpy as np
from common import (
    LR,
    Params,
    TensorParams,
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
    page_faults,
    print_table,
    tuned_loss_and_grads,
    tuned_params,
    tuned_step,
)

import minigrad as mg
from minigrad import nn, optim

SMALL = [784, 30, 30, 30, 30, 10]
WIDE = [784] + [1000] * 5 + [10]
WORKLOADS = [(SMALL, 10), (WIDE, 10), (SMALL, 128), (WIDE, 128)]
WAYS = ("idiomatic", "hand-tuned", "NumPy")


def mlp_name(sizes: list[int], batch: int) -> str:
    """`MLP 784-30x4-10, batch 10`: runs of equal hidden sizes written as size x count."""
    hidden = sizes[1:-1]
    runs: list[str] = []
    for k, n in enumerate(hidden):
        if k == 0 or n != hidden[k - 1]:
            count = next((j for j, m in enumerate(hidden[k:]) if m != n), len(hidden) - k)
            runs.append(f"{n}x{count}" if count > 1 else str(n))
    return f"MLP {'-'.join([str(sizes[0]), *runs, str(sizes[-1])])}, batch {batch}"


# -- idiomatic minigrad ------------------------------------------------------------------------
def idiomatic_model(params: Params) -> nn.Sequential:
    """nn.Sequential of Linear and Sigmoid layers holding the NumPy parameters (W transposed
    to nn.Linear's (out, in)), loaded as a user would, with load_state_dict."""
    layers: list[nn.Module] = []
    for W, _ in params:
        layers += [nn.Linear(W.shape[0], W.shape[1], dtype=W.dtype), nn.Sigmoid()]
    model = nn.Sequential(*layers[:-1])
    names = list(model.state_dict())  # the weight and bias of each Linear, in order
    values = [v for W, b in params for v in (W.T, b)]
    model.load_state_dict(dict(zip(names, values, strict=True)))
    return model


def idiomatic_step(model: nn.Module, opt: optim.Optimizer, x: mg.Tensor, y: np.ndarray) -> None:
    opt.zero_grad()
    loss = nn.cross_entropy(model(x), y)
    loss.backward()
    opt.step()


def idiomatic_loss_and_grads(model: nn.Sequential, x: np.ndarray, y: np.ndarray):
    """(loss, [(dW, db), ...]) in the NumPy layout (dW of shape (n_in, n_out)); grads reset."""
    loss = nn.cross_entropy(model(mg.tensor(x)), y)
    loss.backward()
    linears = [m for m in model if isinstance(m, nn.Linear)]
    grads = [(m.weight.grad.data.T, m.bias.grad.data) for m in linears]
    model.zero_grad()
    return loss.item(), grads


def check_update(model: nn.Sequential, tuned: TensorParams, before: Params, after: Params) -> str:
    """After one step of each from the same parameters (`before`; NumPy's are `after`), the
    parameters must agree to 1% of the largest update: the same learning rate and rule."""
    linears = [m for m in model if isinstance(m, nn.Linear)]
    worst = 0.0
    for m, (W, b), (W0, b0), (W1, b1) in zip(linears, tuned, before, after, strict=True):
        pairs = [(m.weight.data.T, W1), (W.data, W1), (m.bias.data, b1), (b.data, b1)]
        scales = [np.abs(W1 - W0).max()] * 2 + [np.abs(b1 - b0).max()] * 2
        for (p, ref), scale in zip(pairs, scales, strict=True):
            err = float(np.abs(p - ref).max() / scale)
            assert err < 1e-2, f"parameters after one step differ by {err:.1e} of the update"
            worst = max(worst, err)
    return f"parameters after one step within {worst:.1e} of the update"


# -- the benchmark -----------------------------------------------------------------------------
def bench(sizes: list[int], batch: int, repeat: int, min_time: float) -> dict:
    np_params, x, y = mlp_data(sizes, batch)
    model = idiomatic_model(np_params)
    opt = optim.SGD(model.parameters(), lr=LR)
    tuned = tuned_params(np_params)
    name = mlp_name(sizes, batch)
    agree = check_grads(
        np_loss_and_grads(np_params, x, y),
        {
            "idiomatic": idiomatic_loss_and_grads(model, x, y),
            "hand-tuned": tuned_loss_and_grads(tuned, x, y),
        },
    )
    xt = mg.tensor(x)
    before = [(W.copy(), b.copy()) for W, b in np_params]
    idiomatic_step(model, opt, xt, y)
    tuned_step(tuned, xt, y)
    np_step(np_params, x, y)
    moved = check_update(model, tuned, before, np_params)
    print(f"{name}\n  check: idiomatic, hand-tuned and NumPy agree ({agree}; {moved})")
    steps = [
        lambda: idiomatic_step(model, opt, xt, y),
        lambda: tuned_step(tuned, xt, y),
        lambda: np_step(np_params, x, y),
    ]
    faults = ", ".join(f"{w} {page_faults(f, 3):,.0f}" for w, f in zip(WAYS, steps, strict=True))
    print(f"  minor page faults per step: {faults}")
    t_idiom, t_tuned, t_np = measure(steps, repeat, min_time)
    return {"name": name, "idiomatic": t_idiom, "hand-tuned": t_tuned, "numpy": t_np}


def report(rows: list[dict]) -> None:
    print()
    print_table(
        [
            "workload",
            "idiomatic ms (IQR)",
            "hand-tuned ms (IQR)",
            "NumPy ms (IQR)",
            "idiomatic/NumPy [IQR]",
            "hand-tuned/NumPy [IQR]",
        ],
        [
            [
                r["name"],
                fmt_time(r["idiomatic"], 1e3),
                fmt_time(r["hand-tuned"], 1e3),
                fmt_time(r["numpy"], 1e3),
                fmt_ratio(r["idiomatic"].ratio(r["numpy"])),
                fmt_ratio(r["hand-tuned"].ratio(r["numpy"])),
            ]
            for r in rows
        ],
    )
    print("\nsummary (time / NumPy time, median of the per-repeat ratios):")
    for r in rows:
        idiom, tuned = r["idiomatic"].ratio(r["numpy"])[1], r["hand-tuned"].ratio(r["numpy"])[1]
        print(f"  {r['name']}: idiomatic {idiom:.2f}x, hand-tuned {tuned:.2f}x")


def profile(steps: int, top: int = 15) -> None:
    """cProfile of `steps` idiomatic steps of the small MLP at batch 10, top entries by tottime."""
    np_params, x, y = mlp_data(SMALL, 10)
    model = idiomatic_model(np_params)
    opt = optim.SGD(model.parameters(), lr=LR)
    xt = mg.tensor(x)
    idiomatic_step(model, opt, xt, y)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(steps):
        idiomatic_step(model, opt, xt, y)
    profiler.disable()
    print(f"cProfile of {steps} idiomatic steps, {mlp_name(SMALL, 10)}")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 short repeats, a few seconds")
    parser.add_argument("--repeat", type=int, help="timed repeats (default 11, 3 with --quick)")
    parser.add_argument("--profile", action="store_true", help="profile the idiomatic step")
    add_run_options(parser)
    args = parser.parse_args()
    apply_run_options(args)
    if args.profile:
        profile(steps=100 if args.quick else 2000)
        return
    repeat = args.repeat or (3 if args.quick else 11)
    min_time = 0.01 if args.quick else 0.1
    how = f"median of {repeat} interleaved repeats"
    how += "; freed memory kept (--keep-memory)" if args.keep_memory else ""
    print(header("float32, SGD lr 0.1", how) + "\n")
    report([bench(sizes, batch, repeat, min_time) for sizes, batch in WORKLOADS])


if __name__ == "__main__":
    main()
