"""Seed 004's objections to symbolic differentiation, measured on mg.compile: what compiling a
training step costs against running it eagerly, and what a replayed program's errors and a
trace's guards say (demos/symbolic_vs_automatic.py, parts 4 and 5)."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

import minigrad as mg
from minigrad.lab.plots import pyplot, save_figure
from minigrad.lab.symbolic import array_leaves, seconds_per_call


def mlp_loss(params, x, y):
    """Cross-entropy of a sigmoid MLP with parameters [(w, b), ...], w of shape (out, in): the
    network that benchmarks/bench_compiled.py and the demo compile."""
    h = x
    for w, b in params[:-1]:
        h = mg.sigmoid(mg.linalg.linear(h, w, b))
    w, b = params[-1]
    return mg.nn.cross_entropy(mg.linalg.linear(h, w, b), y)


def sgd_step(lr: float):
    """`step(params, x, y) -> (loss, updated params)`: one SGD step of `mlp_loss`, written as
    a function to compile (the update returns new arrays)."""

    def step(params, x, y):
        value, grads = mg.value_and_grad(mlp_loss)(params, x, y)
        pairs = zip(params, grads, strict=True)
        return value, [(w - lr * gw, b - lr * gb) for (w, b), (gw, gb) in pairs]

    return step


def compile_cost(step: Callable, args: tuple, timing: tuple, compiles: int = 3) -> dict:
    """What `mg.compile(step)` costs and saves: the first call (trace, derive, generate the
    replay, run; the median of `compiles` fresh compilations, and its parts), later calls,
    the eager call, the traced program called directly (`program(*args)` checks its arguments
    on every call) and simplified; the steps needed before compiling pays off; and the largest
    difference of the compiled results from the eager ones."""
    first = []
    for _ in range(compiles):
        compiled = mg.compile(step)
        t0 = time.perf_counter()
        compiled(*args)
        first.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    program = mg.make_program(step)(*args)
    t1 = time.perf_counter()
    program(*args)
    t2 = time.perf_counter()
    simplified = program.simplify()
    t3 = time.perf_counter()
    diff = max(
        float(np.abs(a - b).max())
        for out in (compiled(*args), simplified(*args))
        for a, b in zip(array_leaves(out), array_leaves(step(*args)), strict=True)
    )
    later = seconds_per_call(lambda: compiled(*args), *timing)
    eager = seconds_per_call(lambda: step(*args), *timing)
    direct = seconds_per_call(lambda: program(*args), *timing)
    replay_simplified = seconds_per_call(lambda: simplified(*args), *timing)
    first_call = statistics.median(first)
    saving = eager - later
    return {
        "first_call": first_call,
        "trace_and_derive": t1 - t0,
        "first_replay": t2 - t1,
        "simplify": t3 - t2,
        "later_call": later,
        "eager_call": eager,
        "program_call": direct,
        "simplified_call": replay_simplified,
        "instructions": len(program),
        "instructions_simplified": len(simplified),
        "break_even_steps": math.ceil((first_call - later) / saving) if saving > 0 else None,
        "max_abs_difference": diff,
    }


def plot_compile(cost: dict, path, steps: int = 1000) -> Path:
    """Left: the time of a first (compiling) call, a later call and an eager call; right: the
    total time of n training steps both ways, and where compiling starts to pay off."""
    plt = pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    labels = [
        "first call\n(trace + derive\n+ generate)",
        "later call\n(replay)",
        "eager call\n(no compile)",
    ]
    values = [cost["first_call"] * 1e3, cost["later_call"] * 1e3, cost["eager_call"] * 1e3]
    bars = ax1.bar(labels, values, color=["C7", "C2", "C1"])
    ax1.bar_label(bars, [f"{v:.3g} ms" for v in values], fontsize=8)
    ax1.set_yscale("log")
    ax1.yaxis.set_major_formatter("{x:g}")
    ax1.set(ylabel="ms per call (log scale)", title="One training step, compiled or eager")
    n = np.unique(np.geomspace(1, steps, 200).astype(int))
    compiled = cost["first_call"] + (n - 1) * cost["later_call"]
    ax2.loglog(n, compiled * 1e3, "-", color="C2", label="mg.compile: first call + replays")
    ax2.loglog(n, n * cost["eager_call"] * 1e3, "-", color="C1", label="eager steps")
    if cost["break_even_steps"]:
        ax2.axvline(cost["break_even_steps"], color="grey", ls=":", lw=1)
        ax2.text(
            cost["break_even_steps"] * 1.1,
            values[0],
            f"pays off after\n{cost['break_even_steps']} steps",
            fontsize=8,
            va="top",
        )
    ax2.set(xlabel="training steps n", ylabel="total time (ms)", title="Time for n steps")
    ax2.grid(True, which="major", alpha=0.3)
    ax2.legend(fontsize=8)
    fig.suptitle("Compile time vs per-call time: an SGD step of the MLP 784-30x4-10, batch 10")
    return save_figure(fig, path, dpi=120)


# -- errors ------------------------------------------------------------------------------------
def error_message(fn: Callable, *args) -> str:
    """`fn(*args)`'s exception as `Type: message` (a demo shows what a user would read)."""
    try:
        fn(*args)
    except Exception as err:  # noqa: BLE001 (any error is what is shown)
        return f"{type(err).__name__}: {err}"
    raise ValueError(f"error_message: {getattr(fn, '__name__', fn)!r} returned without an error")


def guards(f: Callable, inputs: Sequence) -> dict:
    """`mg.compile(f)` called on each of `inputs` in turn: its results against eager `f`, and
    each traced program's guards as text (`bool(v1) == True  at file:line`)."""
    compiled = mg.compile(f)
    results = [np.asarray(compiled(x)).tolist() for x in inputs]
    eager = [np.asarray(f(mg.tensor(x)).data).tolist() for x in inputs]
    programs = [p for known in compiled.programs.values() for p in known]
    texts = []
    for p in programs:
        names = {v.index: v.name for v in p.inputs}
        names.update((ins.out.index, ins.out.name) for ins in p.instructions)
        lines = [
            f"{kind}({names[i]}) == {value!r}  at {where}" for i, kind, value, where in p.guards
        ]
        texts.append({"program": str(p), "guards": lines})
    return {"compiled": results, "eager": eager, "programs": texts}
