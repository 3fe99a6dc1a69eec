"""Shapeset-3x2 generator speed: images per second for one batch (default 10,000 images).

Times `sample_scenes` (parameters, with overlap rejection), `render` (rasterisation) and the
whole `shapeset_3x2` call, after checking that the batch is well formed.

    python benchmarks/bench_shapeset.py
    python benchmarks/bench_shapeset.py --n 100000 --repeat 1
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from minigrad.data.shapeset import render, sample_scenes, shapeset_3x2


def seconds(fn, repeat: int) -> float:
    """Median wall time of `fn()` over `repeat` runs after one warm-up."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="images per batch")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per measurement")
    args = parser.parse_args()

    images, labels = shapeset_3x2(args.n, np.random.default_rng(0))
    assert images.shape == (args.n, 1024) and images.dtype == np.float32
    assert images.min() >= -1 and images.max() <= 1 and labels.min() >= 0 and labels.max() <= 8
    print(f"check: {args.n} images of shape (1024,), float32 in [-1, 1], labels in 0..8")

    scenes = sample_scenes(args.n, np.random.default_rng(0))
    timings = {
        "sample_scenes": seconds(
            lambda: sample_scenes(args.n, np.random.default_rng(1)), args.repeat
        ),
        "render": seconds(lambda: render(scenes), args.repeat),
        "shapeset_3x2": seconds(
            lambda: shapeset_3x2(args.n, np.random.default_rng(1)), args.repeat
        ),
    }
    print(f"batch of {args.n}, median of {args.repeat}")
    for name, t in timings.items():
        print(f"{name:>14}: {t:8.3f} s  {args.n / t:10,.0f} images/s")


if __name__ == "__main__":
    main()
