"""Module.register_full_backward_hook, with PyTorch's semantics: hook(module, grad_input,
grad_output) once per backward pass through each call, when the input gradients are complete;
a returned tuple replaces grad_input."""

from __future__ import annotations

import threading
from collections import namedtuple

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn

W = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]])  # (out 2, in 3)
B = np.array([0.1, -0.2])
X = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5], [-2.0, 1.0, 1.0], [0.3, 0.2, 0.1]])


def linear():
    layer = nn.Linear(3, 2, dtype=np.float64, rng=np.random.default_rng(0))
    with mg.no_grad():
        layer.weight.copy_(W)
        layer.bias.copy_(B)
    return layer


def recorder(module):
    calls = []
    handle = module.register_full_backward_hook(lambda m, gi, go: calls.append((m, gi, go)))
    return calls, handle


def x_leaf(values=X):
    return mg.tensor(values, dtype=np.float64, requires_grad=True)


# -- values -------------------------------------------------------------------------------
def test_linear_grad_output_is_dl_dy_and_grad_input_is_dl_dx():
    layer = linear()
    calls, _ = recorder(layer)
    x = x_leaf()
    y = layer(x)
    (y * y).sum().backward()  # L = sum(y^2)
    y_np = X @ W.T + B  # computed independently, in NumPy
    dl_dy = 2 * y_np
    dl_dx = dl_dy @ W
    ((module, grad_input, grad_output),) = calls
    assert module is layer
    assert isinstance(grad_input, tuple) and isinstance(grad_output, tuple)
    assert len(grad_input) == 1 and len(grad_output) == 1
    np.testing.assert_allclose(grad_output[0].data, dl_dy, rtol=1e-12)
    np.testing.assert_allclose(grad_input[0].data, dl_dx, rtol=1e-12)
    np.testing.assert_allclose(x.grad.data, dl_dx, rtol=1e-12)
    np.testing.assert_allclose(layer.weight.grad.data, dl_dy.T @ X, rtol=1e-12)


def test_grad_input_is_the_modules_part_only():
    """With a skip connection x also gets gradient around the module: grad_input is dL/dx
    through the module alone, as PyTorch's."""
    layer = nn.Linear(3, 3, dtype=np.float64, rng=np.random.default_rng(1))
    calls, _ = recorder(layer)
    x = x_leaf()
    (layer(x) + x).sum().backward()
    through = np.ones((4, 3)) @ layer.weight.data
    np.testing.assert_allclose(calls[0][1][0].data, through, rtol=1e-12)
    np.testing.assert_allclose(x.grad.data, through + 1, rtol=1e-12)


def test_the_users_tensors_get_no_hooks():
    layer = linear()
    recorder(layer)
    x = x_leaf()
    layer(x).sum().backward()
    assert not x._hooks and not layer.weight._hooks


# -- when and how often -------------------------------------------------------------------
def test_module_called_twice_in_one_graph_fires_once_per_call():
    layer = nn.Linear(2, 2, dtype=np.float64, rng=np.random.default_rng(2))
    calls, _ = recorder(layer)
    x = x_leaf(np.array([[1.0, -1.0]]))
    layer(layer(x)).sum().backward()
    assert len(calls) == 2
    W2 = layer.weight.data
    outer, inner = calls  # the outer call's input gradients are complete first
    np.testing.assert_allclose(outer[2][0].data, [[1.0, 1.0]])
    np.testing.assert_allclose(outer[1][0].data, np.ones((1, 2)) @ W2)
    np.testing.assert_allclose(inner[2][0].data, np.ones((1, 2)) @ W2)
    np.testing.assert_allclose(inner[1][0].data, np.ones((1, 2)) @ W2 @ W2)


def test_retain_graph_fires_once_per_pass_with_the_same_values():
    layer = linear()
    calls, _ = recorder(layer)
    loss = (layer(x_leaf()) ** 2).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    assert len(calls) == 2
    for k in (1, 2):
        np.testing.assert_array_equal(calls[0][k][0].data, calls[1][k][0].data)


def test_a_failed_pass_does_not_leak_into_the_next():
    layer = linear()
    calls, _ = recorder(layer)
    x = x_leaf()
    y = layer(x)
    h = x.register_hook(lambda g: 1 / 0)  # fails after the module's hook has fired
    with pytest.raises(ZeroDivisionError):
        y.sum().backward(retain_graph=True)  # kept: a sweep that raises frees what it swept
    h.remove()
    y.sum().backward()
    assert len(calls) == 2
    np.testing.assert_array_equal(calls[0][1][0].data, calls[1][1][0].data)


def test_inputs_that_do_not_require_grad_give_none_and_the_hook_still_runs():
    layer = linear()
    calls, _ = recorder(layer)
    layer(mg.tensor(X)).sum().backward()
    ((_, grad_input, grad_output),) = calls
    assert grad_input == (None,)
    np.testing.assert_array_equal(grad_output[0].data, np.ones((4, 2)))
    np.testing.assert_allclose(layer.weight.grad.data, np.ones((2, 4)) @ X)


def test_numpy_inputs_are_not_tensor_inputs():
    layer = linear()
    calls, _ = recorder(layer)
    layer(X).sum().backward()
    assert calls[0][1] == ()


class Mix(nn.Module):
    """Several inputs, some not Tensors or not requiring grad, several outputs."""

    def forward(self, a, scale, b, c, mode="x"):
        total = a * scale + b * b + c
        return total, a * 2, "done", mg.tensor([1.0])


def test_multiple_inputs_and_tuple_outputs():
    module = Mix()
    calls, _ = recorder(module)
    a = x_leaf(np.array([1.0, 2.0]))
    b = x_leaf(np.array([3.0, -1.0]))
    c = mg.tensor([5.0, 5.0])  # does not require grad
    total, doubled, label, const = module(a, 3.0, b, c, mode="y")
    assert label == "done"
    (total.sum() * 2).backward()  # `doubled` unused
    ((_, grad_input, grad_output),) = calls
    assert len(grad_input) == 3 and len(grad_output) == 3  # Tensor arguments and outputs
    np.testing.assert_array_equal(grad_input[0].data, [6.0, 6.0])  # d(2 * 3a)/da
    np.testing.assert_array_equal(grad_input[1].data, [12.0, -4.0])  # d(2 b^2)/db
    assert grad_input[2] is None
    np.testing.assert_array_equal(grad_output[0].data, [2.0, 2.0])
    assert grad_output[1] is None and grad_output[2] is None  # unused; no grad


def test_output_containers_are_kept():
    Pair = namedtuple("Pair", "left right")

    class Containers(nn.Module):
        def __init__(self, kind):
            super().__init__()
            self.kind = kind

        def forward(self, x):
            if self.kind == "list":
                return [x * 2, x * 3]
            return Pair(x * 2, x * 3)

    for kind, expected in (("list", list), ("namedtuple", Pair)):
        module = Containers(kind)
        calls, _ = recorder(module)
        x = x_leaf(np.array([1.0]))
        out = module(x)
        assert type(out) is expected
        (out[0] + out[1]).sum().backward()
        np.testing.assert_array_equal(calls[0][1][0].data, [5.0])
        np.testing.assert_array_equal(x.grad.data, [5.0])


def test_the_same_tensor_twice_gets_one_entry_per_argument():
    class Product(nn.Module):
        def forward(self, a, b):
            return a * b * b

    module = Product()
    calls, _ = recorder(module)
    x = x_leaf(np.array([2.0]))
    module(x, x).sum().backward()
    grad_input = calls[0][1]
    np.testing.assert_array_equal(grad_input[0].data, [4.0])  # b^2
    np.testing.assert_array_equal(grad_input[1].data, [8.0])  # 2 a b
    np.testing.assert_array_equal(x.grad.data, [12.0])


def test_identity_module_and_forward_hook_replacing_the_output():
    class Identity(nn.Module):
        def forward(self, x):
            return x

    module = Identity()
    calls, _ = recorder(module)
    module.register_forward_hook(lambda m, inputs, out: out * 10)
    x = x_leaf(np.array([1.0, 2.0]))
    (module(x) * 3).sum().backward()
    grad_input, grad_output = calls[0][1], calls[0][2]
    np.testing.assert_array_equal(grad_output[0].data, [3.0, 3.0])  # of the replaced output
    np.testing.assert_array_equal(grad_input[0].data, [30.0, 30.0])


def test_sequential_order_children_then_container():
    last = nn.Linear(2, 1, dtype=np.float64, rng=np.random.default_rng(3))
    model = nn.Sequential(linear(), nn.Tanh(), last)
    order = []
    for name, module in [("seq", model), ("0", model[0]), ("1", model[1])]:
        module.register_full_backward_hook(lambda m, gi, go, name=name: order.append(name))
    model(x_leaf()).sum().backward()
    assert order == ["1", "0", "seq"]


def test_functional_grad_through_a_hooked_module():
    layer = linear()
    calls, _ = recorder(layer)
    g = mg.grad(lambda x: (layer(x) ** 2).sum())(X)
    assert len(calls) == 1
    np.testing.assert_allclose(g.data, 2 * (X @ W.T + B) @ W, rtol=1e-12)
    np.testing.assert_allclose(calls[0][1][0].data, g.data, rtol=1e-12)


# -- higher order ---------------------------------------------------------------------------
class Cube(nn.Module):
    def forward(self, x):
        return x * x * x


def test_create_graph_hooks_see_recorded_gradients_and_replacements_are_differentiated():
    module = Cube()
    seen = []

    def double(m, grad_input, grad_output):
        seen.append((grad_input[0].requires_grad, grad_output[0].requires_grad))
        return (grad_input[0] * 2,)

    module.register_full_backward_hook(double)
    x = x_leaf(np.array([1.0, 2.0]))
    module(x).sum().backward(create_graph=True)
    first = x.grad
    np.testing.assert_allclose(first.data, 2 * 3 * x.data**2)
    assert first.requires_grad
    assert seen == [(True, False)]  # dL/dy = 1 is a constant; dL/dx depends on x
    x.grad = None
    first.sum().backward()  # reaches the module's input but not its output: no call
    assert len(seen) == 1
    np.testing.assert_allclose(x.grad.data, 2 * 6 * x.data)


def test_create_graph_without_replacement_matches_no_hook():
    def second(with_hook):
        module = Cube()
        if with_hook:
            recorder(module)
        x = x_leaf(np.array([0.5, -1.5]))
        (module(x) ** 2).sum().backward(create_graph=True)
        first = x.grad
        x.grad = None
        first.sum().backward()
        return first.data, x.grad.data

    for a, b in zip(second(True), second(False), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_hessian_through_a_hooked_module():
    module = Cube()
    calls, _ = recorder(module)
    h = mg.hessian(lambda x: module(x).sum())(np.array([1.0, 2.0]))
    np.testing.assert_allclose(h.data, np.diag([6.0, 12.0]))


def test_forward_mode_through_a_hooked_module():
    module = Cube()
    calls, _ = recorder(module)
    _, tangent = mg.jvp(module, (np.array([2.0]),), (np.array([1.0]),))
    np.testing.assert_allclose(tangent.data, [12.0])
    assert calls == []


# -- replacing grad_input -------------------------------------------------------------------
def test_returned_tuple_replaces_grad_input():
    layer = linear()
    layer.register_full_backward_hook(lambda m, gi, go: (gi[0] * 0.5,))
    x = x_leaf()
    y = layer(x)
    (y + x.sum()).sum().backward()  # x also gets 8 (one per element of y) around the module
    np.testing.assert_allclose(x.grad.data, 0.5 * np.ones((4, 2)) @ W + 8, rtol=1e-12)
    np.testing.assert_allclose(layer.weight.grad.data, np.ones((2, 4)) @ X)  # untouched


def test_none_in_the_returned_tuple_means_no_gradient():
    layer = linear()
    layer.register_full_backward_hook(lambda m, gi, go: (None,))
    x = x_leaf()
    layer(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.zeros((4, 3)))


def test_hooks_chain_and_see_each_others_replacement():
    layer = linear()
    seen = []
    layer.register_full_backward_hook(lambda m, gi, go: (gi[0] * 2,))
    layer.register_full_backward_hook(lambda m, gi, go: seen.append(gi[0].data.copy()))
    layer.register_full_backward_hook(lambda m, gi, go: (gi[0] + 1,))
    x = x_leaf()
    layer(x).sum().backward()
    base = np.ones((4, 2)) @ W
    np.testing.assert_allclose(seen[0], 2 * base)
    np.testing.assert_allclose(x.grad.data, 2 * base + 1)


# -- removing -------------------------------------------------------------------------------
def test_remove_stops_calls_even_for_graphs_built_before():
    layer = linear()
    calls, handle = recorder(layer)
    before = layer(x_leaf()).sum()
    handle.remove()
    before.backward()
    layer(x_leaf()).sum().backward()
    assert calls == []
    handle.remove()  # twice is harmless


def test_hooks_registered_after_the_call_do_not_run_for_it():
    layer = linear()
    first, _ = recorder(layer)
    y = layer(x_leaf()).sum()
    later, _ = recorder(layer)
    y.backward()
    assert len(first) == 1 and later == []


def test_each_handle_removes_its_own_registration():
    layer = linear()
    calls = []

    def hook(m, gi, go):
        calls.append(1)

    a = layer.register_full_backward_hook(hook)
    layer.register_full_backward_hook(hook)
    layer(x_leaf()).sum().backward()
    assert len(calls) == 2
    a.remove()
    layer(x_leaf()).sum().backward()
    assert len(calls) == 3


def test_no_hook_costs_no_wrapping():
    stored = mg.tensor([1.0, 2.0], requires_grad=True)

    class Constant(nn.Module):
        def forward(self, x):
            return stored

    module = Constant()
    assert module(x_leaf()) is stored  # forward's own output, no wrapper node
    calls, handle = recorder(module)
    assert module(x_leaf()) is not stored
    handle.remove()
    assert module(x_leaf()) is stored
    with mg.no_grad():
        recorder(module)
        assert module(x_leaf()) is stored  # nothing is recorded, so nothing to hook


# -- errors ---------------------------------------------------------------------------------
@pytest.mark.parametrize("retain_graph", [False, True])
def test_a_hook_that_raises_stops_backward_and_the_graph_can_be_retried(retain_graph):
    layer = linear()

    def broken(m, gi, go):
        raise RuntimeError("my hook is broken")

    handle = layer.register_full_backward_hook(broken)
    x = x_leaf()
    loss = layer(x).sum()
    with pytest.raises(RuntimeError, match="my hook is broken") as info:
        loss.backward(retain_graph=retain_graph)
    assert any("full backward hook of Linear(3, 2" in note for note in info.value.__notes__)
    assert x.grad is None
    handle.remove()
    if not retain_graph:  # as in PyTorch, the failed sweep freed what it had swept: say so
        with pytest.raises(RuntimeError, match="raised midway frees what it had swept"):
            loss.backward()
        loss = layer(x).sum()  # the advice: recompute the forward pass
    loss.backward()
    np.testing.assert_allclose(x.grad.data, np.ones((4, 2)) @ W)


def bad_shape(m, gi, go):
    return (gi[0][:, :2],)


@pytest.mark.parametrize(
    "hook, kind, match",
    [
        (
            bad_shape,
            ValueError,
            r"full backward hook 'bad_shape' of Linear\(3, 2, bias=True\) returned a gradient of "
            r"shape \(4, 2\) and dtype float64 for input 0, whose gradient has shape \(4, 3\) "
            r"and dtype float64",
        ),
        (
            lambda m, gi, go: (gi[0].astype(np.float32),),
            ValueError,
            r"returned a gradient of shape \(4, 3\) and dtype float32 for input 0, whose "
            r"gradient has shape \(4, 3\) and dtype float64",
        ),
        (
            lambda m, gi, go: gi[0],
            TypeError,
            r"'<lambda>' of Linear\(3, 2, bias=True\) returned a Tensor; return None to keep "
            r"grad_input, or a tuple of 1 gradient\(s\), one per input",
        ),
        (
            lambda m, gi, go: (gi[0], gi[0]),
            ValueError,
            r"returned 2 gradient\(s\) for 1 input\(s\); return one per Tensor input",
        ),
        (
            lambda m, gi, go: (),
            ValueError,
            r"returned 0 gradient\(s\) for 1 input\(s\)",
        ),
        (
            lambda m, gi, go: (gi[0].data,),
            TypeError,
            r"returned a ndarray for input 0; return a Tensor of shape \(4, 3\) and dtype "
            r"float64",
        ),
        (lambda m, gi, go: "no", TypeError, "returned a str"),
    ],
    ids=["shape", "dtype", "bare-tensor", "too-many", "empty", "ndarray", "str"],
)
def test_bad_replacements_say_exactly_what_is_wrong(hook, kind, match):
    layer = linear()
    layer.register_full_backward_hook(hook)
    x = x_leaf()
    loss = layer(x).sum()
    with pytest.raises(kind, match=match):
        loss.backward()
    assert x.grad is None


def test_a_gradient_for_an_input_that_gets_none_is_refused():
    layer = linear()
    layer.register_full_backward_hook(lambda m, gi, go: (mg.zeros(4, 3, dtype=np.float64),))
    with pytest.raises(ValueError, match="returned a gradient for input 0, which gets none"):
        layer(mg.tensor(X)).sum().backward()


@pytest.mark.parametrize("hook", [None, 3, "hook"])
def test_register_needs_a_function(hook):
    with pytest.raises(TypeError, match="register_full_backward_hook: expected a function"):
        linear().register_full_backward_hook(hook)


def test_outputs_hooks_cannot_follow_are_refused_at_the_call():
    class Dict(nn.Module):
        def forward(self, x):
            return {"y": x * 2}

    module = Dict()
    assert isinstance(module(x_leaf()), dict)  # fine without a backward hook
    recorder(module)
    with pytest.raises(TypeError, match=r"returned a dict; full backward hooks need forward"):
        module(x_leaf())


def test_subclass_without_super_init():
    class Bare(nn.Module):
        def __init__(self):
            self.scale = 2.0  # forgets super().__init__()

        def forward(self, x):
            return x * self.scale

    module = Bare()
    calls, _ = recorder(module)
    x = x_leaf(np.array([1.0]))
    module(x).sum().backward()
    np.testing.assert_array_equal(calls[0][1][0].data, [2.0])


# -- threads --------------------------------------------------------------------------------
def test_threads_backpropagating_through_one_module():
    layer = linear()
    results: list[bool] = []
    lock = threading.Lock()

    def hook(m, grad_input, grad_output):
        ok = np.allclose(grad_input[0].data, grad_output[0].data @ W)
        with lock:
            results.append(ok)

    layer.register_full_backward_hook(hook)
    start = threading.Barrier(4)

    def work(seed):
        rng = np.random.default_rng(seed)
        start.wait()
        for _ in range(100):
            x = x_leaf(rng.standard_normal((2, 3)))
            (layer(x) ** 2).sum().backward()

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 400 and all(results)


def test_threads_sweeping_one_graph():
    layer = linear()
    calls, _ = recorder(layer)
    x = x_leaf()
    y = (layer(x) ** 2).sum()
    errors = []

    def work():
        try:
            for _ in range(50):
                y.backward(retain_graph=True)
        except Exception as err:  # pragma: no cover (reported below)
            errors.append(err)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(calls) == 200
    expected = 2 * (X @ W.T + B) @ W
    for _, grad_input, _ in calls:
        np.testing.assert_allclose(grad_input[0].data, expected, rtol=1e-12)
