"""What the benchmark scripts share: interleaved timing, the hand-written NumPy MLP (the
reference), the hand-tuned minigrad MLP loop, the gradient check and the table printer.

The scripts run as `python benchmarks/<script>.py`, which puts this folder on sys.path.
"""

from __future__ import annotations

import ctypes
import math
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

import minigrad as mg

DTYPE = np.float32
LR = 0.1  # the learning rate of every SGD step: w -= LR * dL/dw
Params = list[tuple[np.ndarray, np.ndarray]]  # [(W, b), ...] with W of shape (n_in, n_out)
TensorParams = list[tuple[mg.Tensor, mg.Tensor]]


# -- timing ----------------------------------------------------------------------------------
def quartiles(xs: Sequence[float]) -> tuple[float, float, float]:
    """(25th percentile, median, 75th percentile), inclusive method; one sample is all three."""
    if len(xs) < 2:
        return xs[0], xs[0], xs[0]
    q1, q2, q3 = statistics.quantiles(xs, n=4, method="inclusive")
    return q1, q2, q3


@dataclass
class Timing:
    """Seconds per call, one sample per timed repeat."""

    samples: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def iqr_pct(self) -> float:
        """The interquartile range of the samples as a percentage of their median."""
        q1, q2, q3 = quartiles(self.samples)
        return 100 * (q3 - q1) / q2

    def ratio(self, ref: Timing) -> tuple[float, float, float]:
        """Quartiles of the per-repeat ratios self / ref. Repeat k of both ran back to back
        (see `measure`), so a slow spell of the machine cancels in the ratio."""
        return quartiles([a / b for a, b in zip(self.samples, ref.samples, strict=True)])


def measure(fns: list[Callable[[], object]], repeat: int, min_time: float) -> list[Timing]:
    """Time each function. The timed repeats are interleaved (repeat 1 of every function, then
    repeat 2, ...), so that a slow spell of the machine hits all of them alike. Each repeat
    makes one untimed call (so that a function's data is back in the caches, as in a loop that
    runs only it), then loops the function for at least `min_time` seconds and records the
    mean time per call of that loop."""
    numbers = []
    for fn in fns:
        t0 = time.perf_counter()
        fn()
        numbers.append(max(1, math.ceil(min_time / max(time.perf_counter() - t0, 1e-9))))
    samples: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, number, ts in zip(fns, numbers, samples, strict=True):
            fn()
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            ts.append((time.perf_counter() - t0) / number)
    return [Timing(ts) for ts in samples]


def page_faults(fn: Callable[[], object], calls: int = 5) -> float:
    """Minor page faults per call of `fn` (after one call): fresh pages the kernel had to
    map, such as those of a large array allocated anew after the last one went back to it."""
    fn()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(calls):
        fn()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / calls


def add_run_options(parser, memory: bool = True) -> None:
    """The options every timing script shares: --threads, and (for timings of fresh arrays)
    --keep-memory."""
    if memory:
        parser.add_argument(
            "--keep-memory", action="store_true", help="glibc: no page faults for fresh arrays"
        )
    parser.add_argument(
        "--threads", type=int, help="BLAS threads (default 1, or $OPENBLAS_NUM_THREADS; 0: NumPy's)"
    )


def apply_run_options(args) -> None:
    """Set up the process as --threads and --keep-memory say (may re-execute the script)."""
    blas_threads(args.threads)
    if getattr(args, "keep_memory", False):
        keep_freed_memory()


def blas_threads(n: int | None) -> None:
    """Run the script with `n` BLAS threads; None keeps OPENBLAS_NUM_THREADS if it is set and
    otherwise means 1; 0 leaves the environment alone (the library's default). BLAS reads the
    variables when NumPy loads, so the script re-executes itself once with them set.

    One thread by default: on a shared 2-core machine a second BLAS thread waits for a busy
    core, and a 100 x 100 matmul then takes 0.2-1.4 ms instead of 0.07 ms."""
    if n == 0:
        return
    current = os.environ.get("OPENBLAS_NUM_THREADS")
    want = str(n) if n is not None else current or "1"
    if current == want:
        return
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = want
    sys.stdout.flush()
    os.execv(sys.executable, [sys.executable, *sys.argv])


def keep_freed_memory() -> None:
    """glibc only: keep freed memory in the process (no mmap for arrays up to 32 MB, no heap
    trimming), so that a fresh large array costs no page faults. What the script then measures
    is the arithmetic and the bookkeeping without the cost of the kernel mapping pages."""
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    if mallopt is None or not (
        mallopt(M_MMAP_THRESHOLD, 32 << 20) and mallopt(M_TRIM_THRESHOLD, 1 << 30)
    ):
        raise SystemExit("--keep-memory needs glibc's mallopt, which this platform lacks")


def fmt_time(t: Timing, scale: float, digits: int = 4) -> str:
    """`median (IQR%)`: the median scaled (1e3 for ms) to `digits` significant digits and the
    spread as % of the median."""
    return f"{significant(t.median * scale, digits)} ({t.iqr_pct:.0f}%)"


def significant(v: float, digits: int = 4) -> str:
    """`v` in fixed notation with `digits` significant digits (more for large integers)."""
    decimals = digits - 1 - math.floor(math.log10(abs(v))) if v else digits - 1
    return f"{v:.{max(0, decimals)}f}"


def fmt_ratio(q: tuple[float, float, float]) -> str:
    """`median [q1-q3]` of per-repeat ratios."""
    return f"{significant(q[1], 3)} [{significant(q[0], 3)}-{significant(q[2], 3)}]"


def header(what: str, how: str) -> str:
    """The first line of every report: versions, what and how, BLAS threads, CPUs."""
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "unset")
    return (
        f"minigrad {mg.__version__}, numpy {np.__version__}; {what}; {how}; "
        f"OPENBLAS_NUM_THREADS={threads}; {os.cpu_count()} CPUs (shared machine)"
    )


def print_table(headers: list[str], rows: list[list[str]], align: str = "") -> None:
    """A plain-text table. `align` has one letter per column, `l` or `r`; by default the first
    column is left-aligned and the others right-aligned."""
    align = align or "l" + "r" * (len(headers) - 1)
    widths = [max(len(r[k]) for r in [headers, *rows]) for k in range(len(headers))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            f"{c:<{w}}" if a == "l" else f"{c:>{w}}"
            for c, w, a in zip(cells, widths, align, strict=True)
        ).rstrip()

    print(line(headers))
    print("-" * len(line(headers)))
    for r in rows:
        print(line(r))


# -- the MLP: hand-written NumPy reference -----------------------------------------------------
def init_mlp(sizes: list[int], rng: np.random.Generator) -> Params:
    """Weights N(0, 1/n_in) of shape (n_in, n_out), biases N(0, 0.01), float32."""
    return [
        (
            (rng.standard_normal((n_in, n_out), dtype=DTYPE) / np.sqrt(n_in)).astype(DTYPE),
            0.1 * rng.standard_normal(n_out, dtype=DTYPE),
        )
        for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)
    ]


def mlp_data(sizes: list[int], batch: int) -> tuple[Params, np.ndarray, np.ndarray]:
    """Parameters, inputs in [0, 1) and integer labels, all from np.random.default_rng(0)."""
    rng = np.random.default_rng(0)
    params = init_mlp(sizes, rng)
    x = rng.random((batch, sizes[0]), dtype=DTYPE)
    y = rng.integers(0, sizes[-1], batch)
    return params, x, y


def np_loss_and_grads(params: Params, x: np.ndarray, y: np.ndarray) -> tuple[float, Params]:
    """Sigmoid hidden layers, softmax cross-entropy (mean over the batch), hand-derived
    backward. Returns the loss and [(dW, db), ...]."""
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


# -- the MLP: hand-tuned minigrad (no modules, no optimiser) ------------------------------------
def tuned_params(params: Params) -> TensorParams:
    """Copies of the NumPy parameters as leaf tensors, same layout (W is (n_in, n_out))."""
    return [
        (mg.Tensor(W.copy(), requires_grad=True), mg.Tensor(b.copy(), requires_grad=True))
        for W, b in params
    ]


def tuned_loss(params: TensorParams, x: mg.Tensor, y: np.ndarray) -> mg.Tensor:
    h = x
    for W, b in params[:-1]:
        h = (h @ W + b).sigmoid()
    W, b = params[-1]
    logp = (h @ W + b).log_softmax(axis=-1)
    return -(logp[np.arange(len(y)), y]).mean()


def tuned_step(params: TensorParams, x: mg.Tensor, y: np.ndarray) -> None:
    tuned_loss(params, x, y).backward()
    with mg.no_grad():
        for p in (p for layer in params for p in layer):
            p.sub_(LR * p.grad.data)  # as an optimiser does: no graph, one in-place op
            p.grad = None


def tuned_loss_and_grads(params: TensorParams, x: np.ndarray, y: np.ndarray):
    """One forward and backward of the hand-tuned loop: (loss, [(dW, db), ...]); grads reset."""
    loss = tuned_loss(params, mg.Tensor(x), y)
    loss.backward()
    grads = [(W.grad.data, b.grad.data) for W, b in params]
    for W, b in params:
        W.grad = b.grad = None
    return loss.item(), grads


def check_grads(ref: tuple[float, Params], others: dict[str, tuple[float, Params]]) -> str:
    """Assert that every (loss, grads) in `others` matches the NumPy reference `ref` (same
    dtype, rtol 1e-4); return a sentence with the loss and the largest difference seen."""
    ref_loss, ref_grads = ref
    worst = 0.0
    for label, (loss, grads) in others.items():
        assert np.allclose(loss, ref_loss, rtol=1e-4), (label, loss, ref_loss)
        for pair, ref_pair in zip(grads, ref_grads, strict=True):
            for g, r in zip(pair, ref_pair, strict=True):
                assert g.dtype == r.dtype == DTYPE, (label, g.dtype, r.dtype)
                assert g.shape == r.shape, (label, g.shape, r.shape)
                assert np.allclose(g, r, rtol=1e-4), (label, np.abs(g - r).max())
                worst = max(worst, float(np.abs(g - r).max() / np.abs(r).max()))
    return f"loss {ref_loss:.5f}; largest gradient difference {worst:.1e} of the gradient's scale"
