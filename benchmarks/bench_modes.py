"""Forward vs reverse mode on f: R^n -> R^m (seed 004, section 5.4): the Jacobian by forward
mode takes n sweeps (`jacfwd(f, chunk_size=1)`), by reverse mode m sweeps
(`jacrev(f, chunk_size=1)`); by default both push all directions through one sweep, with a
leading batch axis on every tangent or cotangent.

f(x) = tanh(A @ sin(x)) with a fixed A of shape (m, n), float64. For each (n, m) the script
checks that the Jacobians agree, then prints the time of each, one direction per sweep and
batched, and the ratio forward / reverse of the former.

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

    ways = {
        "jacfwd": mg.jacfwd(f, chunk_size=1),
        "jacrev": mg.jacrev(f, chunk_size=1),
        "jacfwd batched": mg.jacfwd(f),
        "jacrev batched": mg.jacrev(f),
    }
    first = ways["jacfwd"](x).data
    for way in ways.values():
        np.testing.assert_allclose(way(x).data, first, rtol=1e-10, atol=1e-12)
    return {"n": n, "m": m} | {name: seconds(lambda w=w: w(x), repeat) for name, w in ways.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per measurement")
    args = parser.parse_args()
    print(f"minigrad {mg.__version__}, f(x) = tanh(A sin(x)), float64, median of {args.repeat}")
    print("check: jacfwd and jacrev agree for every shape, one direction per sweep and batched")
    print(
        f"{'n':>6} {'m':>6} {'jacfwd (n sweeps)':>18} {'jacrev (m sweeps)':>18} "
        f"{'jacfwd / jacrev':>16} {'jacfwd batched':>15} {'jacrev batched':>15}"
    )
    for n, m in SHAPES:
        row = compare(n, m, args.repeat)
        print(
            f"{n:>6} {m:>6} {row['jacfwd'] * 1e3:>15.2f} ms {row['jacrev'] * 1e3:>15.2f} ms "
            f"{row['jacfwd'] / row['jacrev']:>16.3f} {row['jacfwd batched'] * 1e3:>12.2f} ms "
            f"{row['jacrev batched'] * 1e3:>12.2f} ms"
        )


if __name__ == "__main__":
    main()
