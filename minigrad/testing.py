"""One-line gradient checks: `check_function` on random inputs (behind `MyOp.check()` and
`minigrad check`), and `gradcheck_test`, a pytest test in one line.

# test_my_ops.py
from minigrad.testing import gradcheck_test
test_softsign = gradcheck_test(Softsign, [(3, 4)], [(5,)])
"""

from __future__ import annotations

import numpy as np

from minigrad.function import Function
from minigrad.gradcheck import GradcheckError, GradcheckResult, gradcheck, gradgradcheck
from minigrad.validate import flag, integer, ints, number


def gradcheck_test(op, *shape_sets, trials: int = 3, second_order: bool = False, **options):
    """A pytest test function that gradient-checks `op` (a `Function` subclass or a function
    of Tensors) on random inputs, once per shape set (a list with one shape per input)."""

    is_function = isinstance(op, type) and issubclass(op, Function)

    def test() -> None:
        for shapes in shape_sets or [[] if is_function else [(3,)]]:
            if is_function:
                op.check(*shapes, trials=trials, second_order=second_order, **options)
            else:
                check_function(op, *shapes, trials=trials, second_order=second_order, **options)

    name = getattr(op, "__name__", "op")
    test.__name__ = test.__qualname__ = f"test_gradcheck_{name}"
    test.__doc__ = f"gradcheck of {name} on input shapes {list(shape_sets)}"
    return test


def check_function(
    f,
    *shapes,
    trials: int = 3,
    rng: np.random.Generator | None = None,
    low: float = -2.0,
    high: float = 2.0,
    second_order: bool = False,
    modes=("rev", "fwd"),
    **options,
) -> list[GradcheckResult]:
    """gradcheck (and gradgradcheck with `second_order`) of `f` on `trials` random float64
    inputs, uniform in [low, high], of the given shapes (one per input). Raises
    GradcheckError naming the trial and shapes on failure; returns the results."""
    integer(trials, "check", "trials", low=1)
    low = number(low, "check", "low")
    high = number(high, "check", "high")
    if not low < high:
        raise ValueError(
            f"check: inputs are drawn from [low, high], so low < high; got {low:g}, {high:g}"
        )
    flag(second_order, "check", "second_order")
    if not shapes:
        raise ValueError("check: give one shape per input of the function, e.g. (3,) or (2, 3)")
    shapes = [_shape(shape, k) for k, shape in enumerate(shapes)]
    rng = np.random.default_rng(0) if rng is None else rng
    results = []
    for trial in range(trials):
        arrays = [rng.uniform(low, high, shape) for shape in shapes]
        try:
            results.append(gradcheck(f, *arrays, modes=modes, rng=rng, **options))
            if second_order:
                second = {k: v for k, v in options.items() if k != "fast"}
                results.append(gradgradcheck(f, *arrays, modes=modes, rng=rng, **second))
        except GradcheckError as err:
            raise GradcheckError(
                f"trial {trial} with input shapes {list(shapes)}:\n{err}"
            ) from None
    return results


def _shape(shape, k: int) -> tuple[int, ...]:
    """A shape of at least one element: a tuple of positive ints (an int n means (n,))."""
    dims = ints(shape, "check", f"shape {k}")
    if any(n < 1 for n in dims):
        raise ValueError(
            f"check: shape {k} is {dims}; every dimension must be at least 1 (an input with no "
            "elements has nothing to check)"
        )
    return dims
