"""The lab's instruments against quantities computed by hand on tiny networks."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
from minigrad import lab, nn


def _net(rng):
    return nn.Sequential(
        nn.Linear(3, 4, rng=rng, dtype=np.float64),
        nn.Tanh(),
        nn.Linear(4, 2, rng=rng, dtype=np.float64),
        nn.Sigmoid(),
    )


def test_monitor_records_activations_gradients_and_learning_speed(tmp_path):
    rng = np.random.default_rng(0)
    model = _net(rng)
    monitor = lab.Monitor(model, histogram_steps={0})
    assert list(monitor.layers) == ["1", "3"]
    x = rng.standard_normal((5, 3))
    out = model(mg.Tensor(x))
    loss = (out * out).sum()
    loss.backward()
    monitor.record(0)
    hidden = np.tanh(x @ model[0].weight.data.T + model[0].bias.data)
    r = monitor.records["1"]
    assert r.mean[0] == pytest.approx(hidden.mean()) and r.std[0] == pytest.approx(hidden.std())
    np.testing.assert_allclose(r.percentiles[0], np.percentile(hidden, lab.PERCENTILES))
    np.testing.assert_array_equal(r.histograms[0], hidden.reshape(-1))
    # dC/d(hidden) by hand: C = sum(s^2), s = sigmoid(h W2^T + b2)
    s = out.data
    dh = (2 * s * s * (1 - s)) @ model[2].weight.data
    assert r.grad_mean[0] == pytest.approx(dh.mean()) and r.grad_std[0] == pytest.approx(dh.std())
    np.testing.assert_allclose(r.grad_histograms[0], dh.reshape(-1))
    assert monitor.learning_speed["0.bias"][0] == pytest.approx(
        np.linalg.norm(model[0].bias.grad.data)
    )
    assert lab.learning_speed(model)["2.bias"] == pytest.approx(
        np.linalg.norm((2 * s * s * (1 - s)).sum(0))
    )
    assert monitor.weight_grad_norm["2.weight"][0] == pytest.approx(
        np.linalg.norm(model[2].weight.grad.data)
    )
    assert set(monitor.weight_grads[0]) == {"0.weight", "2.weight"}
    monitor.remove()
    assert all(not m._forward_hooks for _, m in model.named_modules())
    from minigrad.lab import plots

    assert plots.activation_stats(monitor.records, tmp_path / "a.png").exists()
    assert plots.histograms(
        {k: v.histograms[0] for k, v in monitor.records.items()}, tmp_path / "h.png"
    ).exists()
    assert plots.curves(monitor.learning_speed, tmp_path / "c.png", logy=True).exists()


def test_saturation_fractions():
    assert lab.saturated(np.array([0.0, 0.995, 0.5, 0.005]), "logistic") == 0.75
    assert lab.saturated(np.array([-0.999, 0.2, 0.995, 0.0]), "tanh") == 0.5


def test_jacobian_singular_values_match_numpy_svd():
    rng = np.random.default_rng(1)
    blocks = [
        nn.Sequential(nn.Linear(4, 5, rng=rng, dtype=np.float64), nn.Tanh()),
        nn.Sequential(nn.Linear(5, 3, rng=rng, dtype=np.float64), nn.Tanh()),
    ]
    x = rng.standard_normal((6, 4))
    values = lab.layer_jacobian_singular_values(blocks, x, examples=3)
    h = x[:3]
    for block, got in zip(blocks, values, strict=True):
        w, b = block[0].weight.data, block[0].bias.data
        z = h @ w.T + b
        for k in range(3):
            jac = (1 - np.tanh(z[k]) ** 2)[:, None] * w
            np.testing.assert_allclose(got[k], np.linalg.svd(jac, compute_uv=False), rtol=1e-10)
        h = np.tanh(z)
    assert lab.mean_singular_value(values) == pytest.approx(np.mean([v.mean() for v in values]))
