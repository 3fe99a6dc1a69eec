"""A property of gradcheck: whatever fault is planted in a custom op's backward or jvp (NaN,
+-inf, a wrong factor, a flipped sign, one wrong element), in whichever mode is checked, fast
or not, gradcheck fails, raises, and names the mode (and "non-finite" for NaN and inf)."""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np
from hypothesis import given

import minigrad as mg

FAULTS = ["nan", "inf", "-inf", "factor", "sign", "one-element"]


def planted(fault: str, where: str, factor: float, element: int):
    """sin as a custom op whose backward (where="rev") or jvp (where="fwd") is wrong."""

    def spoil(value, x):
        value = np.array(value, dtype=np.float64)
        flat = value.reshape(-1)
        k = element % flat.size
        if fault in ("nan", "inf", "-inf"):
            flat[k] = float(fault)
        elif fault == "factor":
            value *= factor
        elif fault == "sign":
            value = -value
        else:
            flat[k] += factor  # one element off by `factor`
        return value

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        right = g * np.cos(x)
        return spoil(right, x) if where == "rev" else right

    def jvp(ctx, dx):
        (x,) = ctx.saved_tensors
        right = dx * np.cos(x)
        return spoil(right, x) if where == "fwd" else right

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    body = {
        "forward": staticmethod(forward),
        "backward": staticmethod(backward),
        "jvp": staticmethod(jvp),
    }
    return type("PlantedSin", (mg.Function,), body)


@given(
    fault=st.sampled_from(FAULTS),
    where=st.sampled_from(["rev", "fwd"]),
    both_modes=st.booleans(),
    fast=st.booleans(),
    factor=st.floats(0.05, 10.0),
    element=st.integers(0, 20),
    x=hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=0, max_dims=2, max_side=3),
        elements=st.floats(-1.2, 1.2),
    ),
)
def test_gradcheck_fails_on_every_planted_fault(fault, where, both_modes, fast, factor, element, x):
    op = planted(fault, where, 1.0 + factor if fault == "factor" else factor, element)
    modes = ("rev", "fwd") if both_modes else (where,)
    f = lambda t: op.apply(t) * 1.0  # noqa: E731 (a graph of two nodes: the op is node 1)
    result = mg.gradcheck(f, x, modes=modes, fast=fast, raise_exception=False)
    assert not result, f"gradcheck passed a {fault} planted in {where}"
    message = result.message()
    mode = "reverse mode" if where == "rev" else "forward mode"
    assert mode in message or "adjoint" in message, message
    if fault in ("nan", "inf", "-inf"):
        assert "non-finite" in message, message
    try:
        mg.gradcheck(f, x, modes=modes, fast=fast)
    except mg.GradcheckError as err:
        assert str(err) == message
    else:
        raise AssertionError("gradcheck returned instead of raising")


@given(
    x=hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=0, max_dims=2, max_side=3),
        elements=st.floats(-1.2, 1.2),
    ),
    fast=st.booleans(),
)
def test_gradcheck_passes_the_right_rules(x, fast):
    """The control: with no fault planted (factor 1), the same op passes."""
    op = planted("factor", "rev", 1.0, 0)
    assert mg.gradcheck(op.apply, x, fast=fast)
