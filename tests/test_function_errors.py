"""Custom Functions with a missing (or mistyped) forward or backward: the error names the op, the
method and what to add, as early as the mistake can be known."""

import numpy as np
import pytest

import minigrad as mg


class OnlyForward(mg.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2


class OnlyBackward(mg.Function):
    @staticmethod
    def backward(ctx, g):
        return g


class ForwardAndJvp(mg.Function):
    @staticmethod
    def forward(ctx, x):
        return np.sin(x)

    @staticmethod
    def jvp(ctx, dx):
        return dx  # only right at 0, where the test uses it


NO_BACKWARD = (
    r"custom op `OnlyForward` defines no backward\(ctx, g\) \(so gradients cannot flow through "
    r"it\); add `@staticmethod def backward\(ctx, g\)` returning the gradient with respect to "
    r"each input"
)


def test_no_backward_applies_and_raises_in_the_backward_pass():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = OnlyForward.apply(x)  # as in PyTorch: forward-mode-only ops apply
    assert y.requires_grad
    with pytest.raises(NotImplementedError, match=NO_BACKWARD):
        y.sum().backward()
    with pytest.raises(NotImplementedError, match=NO_BACKWARD):
        mg.grad(lambda t: OnlyForward.apply(t).sum())(np.ones(2))


def test_no_backward_raises_for_any_input_that_requires_grad():
    x, w = mg.tensor([1.0]), mg.tensor([1.0], requires_grad=True)

    class Two(mg.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

    with pytest.raises(NotImplementedError, match="`Two` defines no backward"):
        Two.apply(x, w).sum().backward()


def test_no_backward_is_fine_where_no_gradient_can_be_asked():
    constant = mg.tensor([1.0, 2.0])
    np.testing.assert_array_equal(OnlyForward.apply(constant).data, [2.0, 4.0])
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with mg.no_grad():
        y = OnlyForward.apply(x)
    assert not y.requires_grad
    np.testing.assert_array_equal(y.data, [2.0, 4.0])
    np.testing.assert_array_equal(OnlyForward.apply(np.ones(2)).data, [2.0, 2.0])


def test_forward_mode_only_function():
    _, tangent = mg.jvp(ForwardAndJvp.apply, (mg.tensor([0.0]),), (mg.tensor([3.0]),))
    np.testing.assert_allclose(tangent.data, [3.0])


def test_no_forward_raises_always():
    match = (
        r"custom op `OnlyBackward` defines no forward\(ctx, \*inputs\); add "
        r"`@staticmethod def forward\(ctx, x\)`"
    )
    with pytest.raises(NotImplementedError, match=match):
        OnlyBackward.apply(mg.tensor([1.0]))
    with pytest.raises(NotImplementedError, match=match):
        OnlyBackward.apply(mg.tensor([1.0], requires_grad=True))


def test_empty_function_names_forward_first():
    class Empty(mg.Function):
        pass

    with pytest.raises(NotImplementedError, match="`Empty` defines no forward"):
        Empty.apply(mg.tensor([1.0], requires_grad=True))


def test_the_name_attribute_is_used():
    class Op(mg.Function):
        name = "my_square"

        @staticmethod
        def forward(ctx, x):
            return x * x

    with pytest.raises(NotImplementedError, match="`my_square` defines no backward"):
        Op.apply(mg.tensor([1.0], requires_grad=True)).sum().backward()


@pytest.mark.parametrize("method", ["forward", "backward"])
@pytest.mark.parametrize("value", [None, 3, "g"])
def test_methods_that_are_not_functions(method, value):
    body = {
        "forward": staticmethod(lambda ctx, x: x * 1),
        "backward": staticmethod(lambda ctx, g: g),
    }
    body[method] = value
    Op = type("Op", (mg.Function,), body)
    match = rf"custom op `Op`: {method} must be a function, got {type(value).__name__}"
    with pytest.raises(TypeError, match=match):
        Op.apply(mg.tensor([1.0], requires_grad=True))


def test_backward_removed_after_apply_is_named_in_the_backward_pass():
    class Later(mg.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 3

        @staticmethod
        def backward(ctx, g):
            return g * 3

    x = mg.tensor([1.0], requires_grad=True)
    y = Later.apply(x).sum()
    del Later.backward  # the class changed between forward and backward
    with pytest.raises(NotImplementedError, match=r"`Later` defines no backward\(ctx, g\)"):
        y.backward()


def test_base_methods_say_they_are_for_subclasses():
    with pytest.raises(NotImplementedError, match=r"def backward\(ctx, g\)"):
        mg.Function.backward(None, np.ones(1))
    with pytest.raises(NotImplementedError, match=r"def forward\(ctx, x, ...\)"):
        mg.Function.forward(None, np.ones(1))


def test_a_complete_function_still_works():
    class Cube(mg.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x**2 * g

    x = mg.tensor([1.0, 2.0], requires_grad=True)
    Cube.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 12.0])
