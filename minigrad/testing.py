"""Helpers for users' test suites: a gradient-check test in one line.

# test_my_ops.py
from minigrad.testing import gradcheck_test
test_softsign = gradcheck_test(Softsign, [(3, 4)], [(5,)])
"""

from __future__ import annotations

from minigrad.function import Function
from minigrad.gradcheck import check_function


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
