"""Jacobians, Hessians and Hessian-vector products: minigrad's transforms against closed forms
written by hand in NumPy.

What it measures, in float64, for f(x) = tanh(A @ sin(x)): R^n -> R^n and its sum of squares
g(x) = sum(f(x)^2): R^n -> R, with A = N(0, 1/n) of shape (n, n), at n = 10, 100, 1000:

- `mg.jacfwd(f)(x)` (n tangents in one forward sweep) and `mg.jacrev(f)(x)` (n cotangents in
  one backward sweep), against the closed form J = diag(1 - f^2) A diag(cos x) in NumPy;
- `mg.hessian(g)(x)` (forward-over-reverse) against the closed form
  H = diag(-sin x * (A^T r)) + (A diag(cos x))^T diag(r') (A diag(cos x)), with
  r = 2 f (1 - f^2) and r' = 2 (1 - f^2)(1 - 3 f^2);
- `mg.hvp(g, x, v)` against the closed form of H v (never forming H).

Checks first, for each n (the script stops otherwise): jacfwd = jacrev = closed form; the
Hessian is symmetric and equals jacfwd(grad(g)), jacrev(grad(g)) and the closed form;
hvp = H @ v = closed form; all to 1e-10 relative to the largest entry.

How: after a warm-up call each, the seven computations of one n are timed in interleaved
repeats (see common.measure), each repeat looping a computation for at least `min_time`.
Reported: the median time, the interquartile range (IQR) of the repeats as % of the median,
and the median per-repeat ratio minigrad / NumPy closed form with its IQR. n = 1000 uses a
third of the repeats (its Hessian takes about a second); `--quick` skips it. BLAS uses one
thread unless --threads or OPENBLAS_NUM_THREADS says otherwise (common.blas_threads).

Run from the repository root:

    python benchmarks/bench_jacobians.py             # n = 10, 100, 1000; about 20 s
    python benchmarks/bench_jacobians.py --quick     # n = 10, 100; a few seconds
    python benchmarks/bench_jacobians.py --repeat 15
"""

from __future__ import annotations

import argparse

import numpy as np
from common import (
    add_run_options,
    apply_run_options,
    fmt_ratio,
    fmt_time,
    header,
    measure,
    print_table,
)

import minigrad as mg

TOL = 1e-10


def problem(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A, x and v (the direction of the hvp), from np.random.default_rng(0)."""
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, n)) / np.sqrt(n), rng.standard_normal(n), rng.standard_normal(n)


# -- closed forms in NumPy ---------------------------------------------------------------------
def np_jacobian(A: np.ndarray, x: np.ndarray) -> np.ndarray:
    fx = np.tanh(A @ np.sin(x))
    return (1 - fx * fx)[:, None] * A * np.cos(x)


def _np_parts(A: np.ndarray, x: np.ndarray):
    """cos x, sin x, r = dg/du and r' = d2g/du2 (elementwise) at u = A sin x."""
    s, c = np.sin(x), np.cos(x)
    fx = np.tanh(A @ s)
    d = 1 - fx * fx
    return c, s, 2 * fx * d, 2 * d * (1 - 3 * fx * fx)


def np_hessian(A: np.ndarray, x: np.ndarray) -> np.ndarray:
    c, s, r, r2 = _np_parts(A, x)
    B = A * c
    H = B.T @ (r2[:, None] * B)
    H[np.diag_indices_from(H)] -= s * (A.T @ r)
    return H


def np_hvp(A: np.ndarray, x: np.ndarray, v: np.ndarray) -> np.ndarray:
    c, s, r, r2 = _np_parts(A, x)
    return c * (A.T @ (r2 * (A @ (c * v)))) - s * (A.T @ r) * v


# -- the check ---------------------------------------------------------------------------------
def close(a, b, what: str) -> float:
    """The largest difference relative to the largest entry; asserts it is below TOL."""
    a, b = (t.data if isinstance(t, mg.Tensor) else np.asarray(t) for t in (a, b))
    assert a.shape == b.shape, (what, a.shape, b.shape)
    err = float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-300))
    assert err <= TOL, f"{what}: relative difference {err:.2e} > {TOL}"
    return err


def check(n: int, f, g, A: np.ndarray, x: np.ndarray, v: np.ndarray) -> None:
    J = np_jacobian(A, x)
    H = mg.hessian(g)(x).data
    errs = [
        close(mg.jacfwd(f)(x), mg.jacrev(f)(x), "jacfwd vs jacrev"),
        close(mg.jacfwd(f)(x), J, "jacfwd vs closed form"),
        close(mg.jacrev(f)(x), J, "jacrev vs closed form"),
        close(H, H.T, "hessian symmetric"),
        close(H, mg.jacfwd(mg.grad(g))(x), "hessian vs jacfwd(grad)"),
        close(H, mg.jacrev(mg.grad(g))(x), "hessian vs jacrev(grad)"),
        close(H, np_hessian(A, x), "hessian vs closed form"),
        close(mg.hvp(g, x, v), H @ v, "hvp vs hessian @ v"),
        close(mg.hvp(g, x, v), np_hvp(A, x, v), "hvp vs closed form"),
    ]
    print(
        f"n = {n}\n  check: jacfwd = jacrev = closed form; hessian symmetric, = jacfwd(grad) "
        f"= jacrev(grad) = closed form; hvp = hessian @ v = closed form "
        f"(largest relative difference {max(errs):.1e})"
    )


# -- the benchmark -----------------------------------------------------------------------------
def bench(n: int, repeat: int, min_time: float) -> list[list[str]]:
    A, x, v = problem(n)
    At = mg.tensor(A)

    def f(x):
        return mg.tanh(At @ mg.sin(x))

    def g(x):
        return (f(x) ** 2).sum()

    check(n, f, g, A, x, v)
    jacfwd, jacrev, hessian = mg.jacfwd(f), mg.jacrev(f), mg.hessian(g)
    t_fwd, t_rev, t_hess, t_hvp, t_np_jac, t_np_hess, t_np_hvp = measure(
        [
            lambda: jacfwd(x),
            lambda: jacrev(x),
            lambda: hessian(x),
            lambda: mg.hvp(g, x, v),
            lambda: np_jacobian(A, x),
            lambda: np_hessian(A, x),
            lambda: np_hvp(A, x, v),
        ],
        repeat,
        min_time,
    )
    pairs = [
        ("jacfwd", t_fwd, t_np_jac),
        ("jacrev", t_rev, t_np_jac),
        ("hessian", t_hess, t_np_hess),
        ("hvp", t_hvp, t_np_hvp),
    ]
    return [
        [name, str(n), fmt_time(t, 1e3), fmt_time(ref, 1e3), fmt_ratio(t.ratio(ref))]
        for name, t, ref in pairs
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="n = 10, 100; 3 short repeats")
    parser.add_argument("--repeat", type=int, help="timed repeats (default 9, 3 with --quick)")
    add_run_options(parser, memory=False)
    args = parser.parse_args()
    apply_run_options(args)
    repeat = args.repeat or (3 if args.quick else 9)
    min_time = 0.01 if args.quick else 0.1
    sizes = [10, 100] if args.quick else [10, 100, 1000]
    how = f"median of {repeat} interleaved repeats"
    if 1000 in sizes:
        how += f" ({max(3, repeat // 3)} at n = 1000)"
    print(header("float64, f(x) = tanh(A sin x), g = sum(f^2)", how) + "\n")
    rows = []
    for n in sizes:
        rows += bench(n, repeat if n < 1000 else max(3, repeat // 3), min_time)
    print()
    print_table(
        ["transform", "n", "minigrad ms (IQR)", "NumPy closed form ms (IQR)", "ratio [IQR]"],
        rows,
        align="lrrrr",
    )


if __name__ == "__main__":
    main()
