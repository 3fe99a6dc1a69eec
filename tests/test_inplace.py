"""In place never lies: `c += x` rebinds where a derivative flows, and every piece of advice an
in-place error gives is followed here, as written in the message, and its gradient checked."""

import re

import numpy as np
import pytest

import minigrad as mg


def f64(v, grad=False):
    return mg.tensor(v, dtype=np.float64, requires_grad=grad)


def advice(err: pytest.ExceptionInfo) -> list[str]:
    """The code snippets (in backticks) of an error message."""
    return re.findall(r"`([^`]+)`", str(err.value))


def follow(snippet: str, **names):
    """Run a snippet from a message: `...` stands for the operand `v`."""
    code = snippet.replace("...", "v").replace("with mg.no_grad(): ", "with mg.no_grad():\n    ")
    scope = {"mg": mg, "np": np, **names}
    exec(code, scope)
    return scope


# (micrograd's README example, `c += c + 1` and all, is re-enacted in tests/test_paths.py)
def test_augmented_assignment_rebinds_like_python_numbers():
    x = f64(3.0, True)
    c = x * 2
    alias = c
    c += x  # c = c + x, a new recorded tensor; `alias` keeps the old one, as for numbers
    assert c is not alias and alias.item() == 6.0 and c.item() == 9.0
    c *= x
    c -= 1
    c /= x
    c.backward()  # c = (3x * x - 1) / x = 3x - 1/x
    assert np.isclose(x.grad.item(), 3 + 1 / 9)


def test_accumulating_a_loss_into_a_constant_records_it():
    w = f64([1.0, 2.0], True)
    total = mg.zeros((), dtype=np.float64)
    for k in range(3):
        total += (w * k).sum()
    total.backward()
    assert total.requires_grad and w.grad.tolist() == [3.0, 3.0]


def test_without_a_derivative_augmented_assignment_stays_in_place():
    c = f64([1.0, 2.0])
    same = c
    c += 1
    assert c is same and c.tolist() == [2.0, 3.0] and c._version == 1
    p = f64([1.0], True)
    with mg.no_grad():
        q = p
        p += 1
    assert p is q and p.tolist() == [2.0]


def test_dual_augmented_assignment_gives_a_new_dual():
    with mg.dual_level():
        x = mg.make_dual(f64(2.0), f64(1.0))
        y = x * 1.0
        y *= x  # y = x * x, a new dual
        acc = f64(0.0)
        acc += y  # a dual operand: a new dual too
        assert mg.unpack_dual(acc).tangent.item() == 4.0


# -- every refusal, with its advice followed ---------------------------------------------------
def test_augmented_assignment_on_a_parameter_advice():
    p = f64([1.0, 2.0], True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad") as err:
        p += 1
    update, new = advice(err)[-2:]
    # `with mg.no_grad(): x += ...` updates the parameter itself, unrecorded
    scope = follow(update, x=p, v=np.array([0.5, 0.5]))
    assert scope["x"] is p and p.tolist() == [1.5, 2.5] and p.is_leaf
    (p * p).sum().backward()
    assert p.grad.tolist() == [3.0, 5.0]
    # `y = x + ...` a new tensor, recorded
    y = follow(new, x=p, v=f64(1.0))["y"]
    p.grad = None
    y.sum().backward()
    assert p.grad.tolist() == [1.0, 1.0]


def test_augmented_assignment_on_a_view_advice():
    base = f64([1.0, 2.0], True) * 2
    view = base[0:1]
    with pytest.raises(RuntimeError, match="shares its memory with a view") as err:
        view += 1
    scope = follow(advice(err)[-1], x=view, v=f64([3.0], True))
    assert scope["x"].tolist() == [5.0] and base.tolist() == [2.0, 4.0]


@pytest.mark.parametrize(
    "method, operand, expected",
    [("add_", 2.0, 2.0), ("sub_", 2.0, 2.0), ("mul_", 3.0, 6.0), ("div_", 4.0, 0.5)],
)
def test_in_place_method_on_a_computed_tensor_advice(method, operand, expected):
    x0 = f64(1.0, True)
    c = x0 * 2
    with pytest.raises(RuntimeError, match="computed by recorded ops") as err:
        getattr(c, method)(operand)
    assert "no_grad" not in str(err.value)  # the trap of the old advice: a wrong gradient
    (snippet,) = advice(err)
    result = follow(snippet, x=c, y=operand)["x"]
    result.backward()
    assert x0.grad.item() == expected


def test_in_place_method_on_a_parameter_advice():
    p = f64(1.0, True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad") as err:
        p.add_(1.0)
    message = str(err.value)
    assert "with mg.no_grad():" in message
    with mg.no_grad():  # the first advice: update it unrecorded
        p.add_(1.0)
    assert p.item() == 2.0
    y = follow(advice(err)[-1], x=p, y=f64(3.0))["x"]  # the second: `x = x + y`
    y.backward()
    assert p.grad.item() == 1.0


def test_in_place_with_an_operand_that_requires_grad_advice():
    w = f64(2.0, True)
    acc = f64(1.0)
    with pytest.raises(RuntimeError, match="operand that requires grad") as err:
        acc.mul_(w)
    result = follow(advice(err)[-1], x=acc, y=w)["x"]
    result.backward()
    assert w.grad.item() == 1.0


def test_setitem_advice_where():
    w = f64([1.0, 2.0, 3.0], True)
    x = f64([0.0, 0.0, 0.0])
    with pytest.raises(RuntimeError) as err:
        x[1] = w[1] * 5
    (snippet,) = advice(err)
    mask = np.array([False, True, False])
    value = w * 5
    out = follow(snippet, x=x, mask=mask, value=value)["x"]
    out.sum().backward()
    assert out.tolist() == [0.0, 10.0, 0.0] and w.grad.tolist() == [0.0, 5.0, 0.0]


@pytest.mark.parametrize(
    "method, args, expected",
    [("copy_", ("y",), [3.0, 6.0]), ("fill_", ("value",), [7.0, 7.0]), ("zero_", (), [0.0, 0.0])],
)
def test_copy_fill_zero_advice(method, args, expected):
    w = f64([1.0, 2.0], True)
    c = w * 3
    scope = {"y": w * 2 + w, "value": 7.0}
    with pytest.raises(RuntimeError) as err:
        getattr(c, method)(*(scope[a] for a in args))
    (snippet,) = advice(err)
    result = follow(snippet, x=c, **scope)["x"]
    assert result.tolist() == expected
    if method == "copy_":  # the new value depends on w: d/dw (2w + w) = 3
        result.sum().backward()
        assert w.grad.tolist() == [3.0, 3.0]
    else:  # a constant, as the in-place fill would have been
        assert not result.requires_grad


def test_dual_in_place_method_advice():
    with mg.dual_level():
        x = mg.make_dual(f64(2.0), f64(1.0))
        with pytest.raises(RuntimeError, match="dual tensor") as err:
            x.mul_(3.0)
        y = follow(advice(err)[-1], x=x, y=3.0)["x"]
        assert mg.unpack_dual(y).tangent.item() == 3.0


def test_version_error_advice_clone_or_after_backward():
    x = f64([1.0, 2.0], True)
    w = f64([3.0, 4.0])
    y = (x * w).sum()
    w += 1
    with pytest.raises(RuntimeError, match="changed in place") as err:
        y.backward()
    assert "x.clone()" in str(err.value)
    # following it: change a copy, and the gradient is the old w
    x.grad = None
    w = f64([3.0, 4.0])
    y = (x * w).sum()
    w2 = w.clone()
    w2 += 1
    y.backward()
    assert x.grad.tolist() == [3.0, 4.0]


def test_non_leaf_grad_warning_advice_retain_grad():
    x = f64(2.0, True)
    h = x * x
    h.sum().backward(retain_graph=True)
    with pytest.warns(UserWarning, match=r"retain_grad\(\)"):
        assert h.grad is None
    h2 = (x * x).retain_grad()
    (h2 * 3).backward()
    assert h2.grad.item() == 3.0
