"""Forward vs reverse mode on f: R^n -> R^m (seed 004, section 5.4): the Jacobian by forward
mode takes n sweeps (`jacfwd`), by reverse mode m sweeps (`jacrev`).

f(x) = tanh(A @ sin(x)) with a fixed A of shape (m, n), float64. For each (n, m) the script
checks that both Jacobians agree, then prints the time of each and the ratio.

    python benchmarks/bench_modes.py            # (1, 1000), (1000, 1), (100, 100)
    python benchmarks/bench_modes.py --repeat 5
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import minigrad as mg

SHAPES = [(1, 1000), (1000, 1), (100, 100)]


def seconds(fn, repeat: int) -> float:
    """Median wall time of `fn()` over `repeat` runs after one warm-up."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def compare(n: int, m: int, repeat: int) -> dict:
    rng = np.random.default_rng(0)
    a = mg.Tensor(rng.standard_normal((m, n)) / np.sqrt(n))
    x = rng.standard_normal(n)

    def f(x):
        return mg.tanh(a @ mg.sin(x))

    fwd, rev = mg.jacfwd(f)(x), mg.jacrev(f)(x)
    np.testing.assert_allclose(fwd.data, rev.data, rtol=1e-10, atol=1e-12)
    t_fwd = seconds(lambda: mg.jacfwd(f)(x), repeat)
    t_rev = seconds(lambda: mg.jacrev(f)(x), repeat)
    return {"n": n, "m": m, "jacfwd": t_fwd, "jacrev": t_rev}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per measurement")
    args = parser.parse_args()
    print(f"minigrad {mg.__version__}, f(x) = tanh(A sin(x)), float64, median of {args.repeat}")
    print("check: jacfwd and jacrev agree for every shape")
    print(
        f"{'n':>6} {'m':>6} {'jacfwd (n sweeps)':>18} {'jacrev (m sweeps)':>18} "
        f"{'jacfwd / jacrev':>16}"
    )
    for n, m in SHAPES:
        row = compare(n, m, args.repeat)
        print(
            f"{n:>6} {m:>6} {row['jacfwd'] * 1e3:>15.2f} ms {row['jacrev'] * 1e3:>15.2f} ms "
            f"{row['jacfwd'] / row['jacrev']:>16.3f}"
        )


if __name__ == "__main__":
    main()
