"""Optimisers given pytrees of parameters, (name, tensor) pairs and duplicates."""

from __future__ import annotations

import re

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim


def param(values):
    return nn.Parameter(np.array(values, dtype=np.float64))


def loss_and_backward(tensors):
    """L = sum over parameters of sum(p^2): dL/dp = 2 p."""
    for t in tensors:
        t.grad = None
    total = sum((t * t).sum() for t in tensors)
    total.backward()


@pytest.mark.parametrize("make", [optim.SGD, optim.Adam], ids=["SGD", "Adam"])
def test_a_pytree_of_parameters_trains_as_the_flat_list(make):
    def pair():
        return param([1.0, -2.0]), param([[0.5], [3.0]]), param(0.25)

    w, b, s = pair()
    tree_opt = make({"layer": [w, (b,)], "scale": s, "frozen": None}, lr=0.1)
    fw, fb, fs = pair()
    flat_opt = make([fw, fb, fs], lr=0.1)
    for _ in range(3):
        loss_and_backward([w, b, s])
        tree_opt.step()
        loss_and_backward([fw, fb, fs])
        flat_opt.step()
    # sorted keys: 'layer' before 'scale'; both optimisers apply the same updates
    assert tree_opt.names == ["params['layer'][0]", "params['layer'][1][0]", "params['scale']"]
    for a, f in [(w, fw), (b, fb), (s, fs)]:
        np.testing.assert_allclose(a.data, f.data, rtol=1e-15)
    assert not np.allclose(w.data, [1.0, -2.0])  # it did train


def test_named_parameters_give_their_names_to_errors():
    model = nn.Sequential(nn.Linear(2, 3, rng=np.random.default_rng(0)))
    opt = optim.SGD(model.named_parameters(), lr=0.1)
    assert opt.params == model.parameters()
    assert opt.names == [name for name, _ in model.named_parameters()]
    weight = model.parameters()[0]
    with pytest.raises(ValueError, match=re.escape(f"parameter {opt.names[0]} was computed by")):
        optim.SGD([(opt.names[0], weight * 2)], lr=0.1)
    with pytest.raises(TypeError, match=r"parameter head\.w has dtype int64"):
        optim.Adam([("head.w", mg.tensor([1, 2]))], lr=0.1)
    weight.grad = mg.tensor(np.ones(weight.shape, dtype=weight.dtype))
    weight.grad.data = np.ones(2)  # a gradient whose data changed shape behind its back
    with pytest.raises(ValueError, match=re.escape(f"parameter {opt.names[0]} has shape")):
        opt.step()


def test_errors_name_the_path_in_a_pytree():
    w = param([1.0])
    with pytest.raises(TypeError, match=r"SGD: parameter params\['b'\]\[1\] is an array"):
        optim.SGD({"w": w, "b": [param([2.0]), np.ones(2)]}, lr=0.1)
    with pytest.raises(TypeError, match=r"parameter params\['x'\] has dtype int64"):
        optim.SGD({"w": w, "x": mg.tensor([1, 2])}, lr=0.1)
    with pytest.raises(ValueError, match="got no parameters to optimise"):
        optim.SGD({"a": [], "b": None}, lr=0.1)
    with pytest.raises(TypeError, match=r"mixes \(name, tensor\) pairs with other entries"):
        optim.SGD([("w", w), param([3.0])], lr=0.1)
    with pytest.raises(TypeError, match="parameter groups as dicts are not supported"):
        optim.SGD([{"params": [w], "lr": 0.01}], lr=0.1)
    with pytest.raises(TypeError, match="SGD: a dict in a pytree must have keys that sort"):
        optim.SGD({1: w, "b": param([1.0])}, lr=0.1)


def test_a_duplicated_parameter_warns_and_is_stepped_once():
    w, v = param([1.0, 2.0]), param([0.0])
    with pytest.warns(UserWarning, match=r"optimizer got the same parameter twice \(parameter 0 "):
        opt = optim.SGD([w, v, w], lr=0.1)
    assert opt.params == [w, v] and opt.names == ["0", "1"]
    w.grad = mg.tensor(np.array([1.0, 1.0]))
    opt.step()
    np.testing.assert_allclose(w.data, [0.9, 1.9], rtol=1e-15)  # once, not twice
    with pytest.warns(UserWarning, match=r"parameter params\['a'\] and parameter params\['b'\]"):
        opt = optim.Adam({"a": w, "b": w}, lr=0.1)
    assert opt.params == [w] and len(opt.m) == 1
    with pytest.warns(UserWarning, match="parameter x and parameter y"):
        optim.SGD([("x", w), ("y", w)], lr=0.1)
