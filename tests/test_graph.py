"""Graph semantics of reverse mode: reuse, fan-out, accumulation, hooks, freed graphs, deep
chains, saved-tensor versions, higher order."""

from __future__ import annotations

import math

import numpy as np
import pytest

import minigrad as mg


def leaf(value, dtype=np.float64):
    return mg.tensor(value, dtype=dtype, requires_grad=True)


def test_micrograd_sanity_expression():
    # z = 3x + 2, q = relu(z) + z x, h = relu(z^2), y = h + q + q x at x = -4:
    # z = -10, q = 40, h = 100, y = -20; dy/dx = 2z*3 + (0 + 3x + z)(1 + x) + q = 46.
    x = leaf(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    assert y.item() == -20.0
    assert x.grad.item() == 46.0


def test_micrograd_more_ops_expression():
    # c = 3a + 4b + 3; d = 12(ab + b^3) + 4 relu(a + b) + relu(b - a); e = c - d;
    # g = e^2 / 2 + 10 / e^2. At a = -4, b = 2: c = -1, d = 6, e = -7, and
    # dg/de = (1/2 - 10/e^4) 2e, dc/da = 3, dc/db = 4, dd/da = 12b - 1, dd/db = 12(a + 3b^2) + 1.
    a, b = leaf(-4.0), leaf(2.0)
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g = g + 10.0 / f
    g.backward()
    dg_de = (0.5 - 10 / 49**2) * 2 * -7
    assert g.item() == pytest.approx(24.5 + 10 / 49, rel=1e-12)
    assert a.grad.item() == pytest.approx(dg_de * (3 - (12 * 2 - 1)), rel=1e-12)
    assert b.grad.item() == pytest.approx(dg_de * (4 - (12 * (-4 + 12) + 1)), rel=1e-12)


def test_reuse_of_the_same_tensor():
    a = leaf(3.0)
    (a + a).backward()
    assert a.grad.item() == 2.0
    x = leaf(3.0)
    (x * x).backward()
    assert x.grad.item() == 6.0
    # micrograd #64: b = a + a; c = b + b depends on a four times
    a = leaf(1.0)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad.item() == 4.0


def test_fan_out_and_constants():
    x = leaf([1.0, 2.0])
    c = mg.tensor([10.0, 20.0], dtype=np.float64)  # a constant: no grad
    y = (x * c).sum() + (x.exp() * 0).sum() + x.sum()
    y.backward()
    np.testing.assert_allclose(x.grad.data, [11.0, 21.0])
    assert c.grad is None and not c.requires_grad


def test_gradients_accumulate_over_backward_calls_and_do_not_alias():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a + b).sum().backward()
    (a * 3).sum().backward()
    np.testing.assert_allclose(a.grad.data, [4.0, 4.0])
    np.testing.assert_allclose(b.grad.data, [1.0, 1.0])
    b.grad.data[0] = 100.0  # changing one .grad leaves the other alone
    assert a.grad.data[0] == 4.0
    x = leaf([[1.0, 2.0]])
    y = leaf([[3.0, 4.0]])
    (x + y.T.T).sum().backward()
    x.grad.data[:] = 7
    np.testing.assert_allclose(y.grad.data, [[1.0, 1.0]])


def test_gradient_seed_is_not_aliased():
    x = leaf([1.0, 2.0])
    seed = np.array([1.0, 1.0])
    x.backward(seed)
    x.grad.data[0] = 5.0
    assert seed[0] == 1.0


def test_detach_and_no_grad_cut_the_graph():
    x = leaf(2.0)
    y = x * x.detach()  # d/dx = x.detach() only
    y.backward()
    assert x.grad.item() == 2.0
    with mg.no_grad():
        z = x * x
        with mg.enable_grad():
            w = x * x
    assert not z.requires_grad and z.is_leaf
    assert w.requires_grad and not w.is_leaf
    assert mg.is_grad_enabled()

    @mg.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad
    assert mg.is_grad_enabled()


def test_non_leaf_grads_only_with_retain_grad():
    x = leaf(2.0)
    y = x * 3
    z = x * 4
    y.retain_grad()
    (y * z).backward()
    assert y.grad.item() == 8.0
    assert z.grad is None
    assert x.grad.item() == 2 * 12 * 2.0


def test_hooks_see_and_replace_gradients():
    x = leaf([1.0, 2.0])
    h = x * 2
    seen = []
    h.register_hook(lambda g: seen.append(g.numpy().copy()))
    handle = h.register_hook(lambda g: g * 10)
    h.sum().backward()
    np.testing.assert_allclose(seen[0], [1.0, 1.0])
    np.testing.assert_allclose(x.grad.data, [20.0, 20.0])
    handle.remove()
    x.grad = None
    h2 = x * 2
    h2.register_hook(lambda g: None)
    h2.sum().backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 2.0])


def test_hook_with_wrong_shape_is_an_error():
    x = leaf([1.0, 2.0])
    y = x * 2
    y.register_hook(lambda g: mg.tensor([1.0]))
    with pytest.raises(ValueError, match="hook"):
        y.sum().backward()


def test_freed_graph_raises_and_retain_graph_allows_twice():
    x = leaf(2.0)
    y = x.exp() * 3
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == pytest.approx(2 * 3 * math.exp(2.0))
    with pytest.raises(RuntimeError, match="freed.*retain_graph=True"):
        y.backward()


def test_non_scalar_backward_needs_a_gradient():
    x = leaf([1.0, 2.0, 3.0])
    y = x * 2
    with pytest.raises(RuntimeError, match=r"shape \(3,\).*gradient="):
        y.backward()
    with pytest.raises(ValueError, match=r"gradient has shape \(2,\).*\(3,\)"):
        y.backward(np.ones(2))
    y.backward(np.array([1.0, 0.0, 2.0]))
    np.testing.assert_allclose(x.grad.data, [2.0, 0.0, 4.0])


def test_backward_on_a_tensor_without_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        mg.tensor(1.0).backward()


def test_chain_of_100k_ops():
    x = leaf(1.0)
    y = x
    for _ in range(100_000):
        y = y * 1.00001
    y.backward()
    assert x.grad.item() == pytest.approx(1.00001**100_000, rel=1e-9)
    del y  # freeing a deep chain must not overflow the C stack either


def test_in_place_change_of_a_saved_input_is_detected():
    w = leaf([1.0, 2.0])
    x = mg.tensor([3.0, 4.0], dtype=np.float64)
    y = (w * x).sum()
    x.mul_(2)
    with pytest.raises(
        RuntimeError,
        match=r"multiply.*input 1.*changed in place afterwards \(it is now at version 1\)",
    ):
        y.backward()


def test_in_place_change_of_a_saved_output_or_view_is_detected():
    x = leaf([1.0, 2.0])
    y = x.exp()
    with mg.no_grad():
        y.add_(1)
    with pytest.raises(RuntimeError, match="exp.*its output"):
        y.sum().backward()
    x.grad = None
    c = mg.tensor([[1.0, 2.0]], dtype=np.float64)
    v = c.reshape(2)  # a view shares the version counter
    z = (x * c).sum()
    v.zero_()
    with pytest.raises(RuntimeError, match="changed in place"):
        z.backward()


def test_in_place_changes_not_saved_are_fine():
    w = leaf([1.0, 2.0])
    x = mg.tensor([3.0, 4.0], dtype=np.float64)
    y = (w + x).sum()  # add saves nothing
    x.mul_(2)
    y.backward()
    np.testing.assert_allclose(w.grad.data, [1.0, 1.0])


def test_in_place_on_a_tensor_that_requires_grad():
    w = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"sub_.*mg.no_grad\(\)"):
        w.sub_(1.0)
    with pytest.raises(RuntimeError, match="requires grad"):
        w += 1
    with mg.no_grad():
        w -= 0.5 * mg.ones(2, dtype=np.float64)
        w.mul_(2)
    np.testing.assert_allclose(w.data, [1.0, 3.0])
    assert w._version == 2 and w.is_leaf and w.requires_grad


def test_item_assignment_is_in_place_and_checked():
    x = mg.tensor([1.0, 2.0, 3.0], dtype=np.float64)
    w = leaf([1.0, 1.0, 1.0])
    y = (w * x).sum()
    x[mg.tensor([0, 2])] = 0.0
    np.testing.assert_array_equal(x.data, [0.0, 2.0, 0.0])
    with pytest.raises(RuntimeError, match="changed in place"):
        y.backward()
    with pytest.raises(RuntimeError, match=r"x\[index\] = value.*requires grad"):
        w[0] = 5.0


@pytest.mark.parametrize(
    ("f", "d1", "d2", "d3"),
    [
        (mg.sin, math.cos, lambda x: -math.sin(x), lambda x: -math.cos(x)),
        (mg.exp, math.exp, math.exp, math.exp),
        (
            mg.tanh,
            lambda x: 1 - math.tanh(x) ** 2,
            lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2),
            lambda x: (1 - math.tanh(x) ** 2) * (6 * math.tanh(x) ** 2 - 2),
        ),
        (lambda x: x**4, lambda x: 4 * x**3, lambda x: 12 * x**2, lambda x: 24 * x),
        (
            mg.sigmoid,
            lambda x: _s(x) * (1 - _s(x)),
            lambda x: _s(x) * (1 - _s(x)) * (1 - 2 * _s(x)),
            lambda x: _s(x) * (1 - _s(x)) * (1 - 6 * _s(x) + 6 * _s(x) ** 2),
        ),
    ],
    ids=["sin", "exp", "tanh", "x^4", "sigmoid"],
)
def test_second_and_third_derivatives_by_create_graph(f, d1, d2, d3):
    x0 = 0.7
    x = leaf(x0)
    y = f(x)
    (g1,) = _grad(y, x)
    (g2,) = _grad(g1, x)
    (g3,) = _grad(g2, x)
    assert g1.item() == pytest.approx(d1(x0), rel=1e-12)
    assert g2.item() == pytest.approx(d2(x0), rel=1e-12)
    assert g3.item() == pytest.approx(d3(x0), rel=1e-12)


def _s(x):
    return 1 / (1 + math.exp(-x))


def _grad(y, x):
    from minigrad.autodiff.reverse import backward

    return backward([y], [None], create_graph=True, targets=[x])


def test_backward_create_graph_accumulates_differentiable_grads():
    x = leaf(3.0)
    y = x**3
    y.backward(create_graph=True)
    assert x.grad.requires_grad
    g = x.grad
    x.grad = None
    g.backward()
    assert x.grad.item() == 6 * 3.0


def test_kinks_follow_pytorch_conventions():
    x = leaf([0.0, 0.0, 1.0, -1.0])
    (x.relu().sum() + x.abs().sum()).backward()
    np.testing.assert_allclose(x.grad.data, [0.0, 0.0, 2.0, -1.0])
    t = leaf([1.0, 3.0, 3.0])
    t.max().backward()
    np.testing.assert_allclose(t.grad.data, [0.0, 0.5, 0.5])
    a, b = leaf(2.0), leaf(2.0)
    mg.maximum(a, b).backward()
    assert a.grad.item() == b.grad.item() == 0.5
    c = leaf([-1.0, 0.0, 1.0, 2.0])
    c.clip(0.0, 1.0).sum().backward()
    np.testing.assert_allclose(c.grad.data, [0.0, 1.0, 1.0, 0.0])


def test_power_edge_cases():
    x = leaf([0.0, 2.0])
    (x**0).sum().backward()
    np.testing.assert_allclose(x.grad.data, [0.0, 0.0])
    y = leaf(3.0)
    (mg.tensor(0.0, dtype=np.float64) ** y).backward()
    assert y.grad.item() == 0.0
    z = leaf(-2.0)
    (z**2).backward()
    assert z.grad.item() == -4.0


def test_stable_softmax_family_for_large_inputs():
    x = leaf([1000.0, 1001.0, -1000.0])
    lse = mg.logsumexp(x)
    assert np.isfinite(lse.item())
    assert lse.item() == pytest.approx(1001.0 + math.log1p(math.exp(-1.0)), rel=1e-12)
    p = mg.softmax(x)
    assert np.all(np.isfinite(p.data)) and p.data.sum() == pytest.approx(1.0)
    ls = mg.log_softmax(x)
    assert ls.data[2] == pytest.approx(-2001.0 - math.log1p(math.exp(-1.0)))
    ls[0].backward()
    assert np.all(np.isfinite(x.grad.data))
    assert mg.logsumexp(mg.tensor([-np.inf, -np.inf])).item() == -np.inf


def test_repeated_indices_accumulate():
    x = leaf([1.0, 2.0, 3.0])
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_allclose(x.grad.data, [3.0, 0.0, 1.0])
    y = leaf([[1.0, 2.0], [3.0, 4.0]])
    y[y > 1.5].sum().backward()
    np.testing.assert_allclose(y.grad.data, [[0.0, 1.0], [1.0, 1.0]])


def test_gradient_dtype_follows_the_input():
    x = mg.tensor([1.0, 2.0], requires_grad=True)  # float32
    y = (x * np.array([1.0, 2.0])).sum()  # a float64 constant promotes the result
    assert y.dtype == np.float64
    y.backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.data, [1.0, 2.0])


def test_graph_is_deterministic_and_iterative():
    from minigrad.autodiff.graph import toposort

    x = leaf(1.0)
    y = (x * 2 + x * 3) * (x + 1)
    names = [t._op.name if t._op else "leaf" for t in toposort([y])]
    assert names == ["leaf", "multiply", "multiply", "add", "add", "multiply"]
