"""minigrad.lab.relu_side against seeds 003/004's ReLU claims, its input checks, and
demos/relu_side.py quick."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import numpy as np
import pytest

from minigrad.data.synthetic import blobs
from minigrad.lab import relu_side as rs

DEMO = Path(__file__).resolve().parent.parent / "demos" / "relu_side.py"


def test_local_derivatives_relu_is_0_or_1_sigmoid_at_most_a_quarter():
    z = np.linspace(-8, 8, 4001)[None]
    relu = rs.local_derivatives("relu", z)
    assert set(np.unique(relu)) == {0.0, 1.0}
    np.testing.assert_array_equal(relu, (z > 0).astype(float))  # relu'(0) := 0
    sig = rs.local_derivatives("sigmoid", z)
    assert sig.max() == pytest.approx(0.25, abs=1e-9)
    assert np.all(sig <= 0.25)


def test_chain_product_shrinks_with_sigmoid_not_with_relu():
    r = rs.chain_comparison(depth=12, width=64, rng=np.random.default_rng(0))
    assert 0.2 < r["sigmoid"]["mean_factor"] < 0.45  # w sigmoid'(z): about sqrt(2) x 0.22
    assert 0.85 < r["relu"]["mean_factor"] < 1.15
    assert r["sigmoid"]["first_over_last"] < 1e-4
    assert 0.3 < r["relu"]["first_over_last"] < 3
    assert np.all(r["sigmoid"]["derivative_max"] <= 0.25)
    assert np.all(r["relu"]["derivative_max"] == 1.0)


def test_dead_units_are_zero_on_every_example():
    net = rs.mlp((3, 4, 2), "relu", np.random.default_rng(0))
    lin = net[0]
    lin.weight.data[1] = 0.0
    lin.bias.data[1] = -1.0  # unit 1 is always 0
    lin.weight.data[2] = [1.0, 0.0, 0.0]
    lin.bias.data[2] = 0.0  # unit 2 is 0 on some inputs only
    x = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.5]])
    dead = rs.dead_units(net, x)[0]
    assert dead[1] and not dead[2]
    assert rs.dead_fraction(net, x) == pytest.approx(dead.mean())


def test_sparsity_about_half_for_relu_none_for_sigmoid_softplus():
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, (400, 32))
    r = rs.sparsity_at_init((32, 128, 128, 128, 10), x, rng)
    assert np.all(np.abs(r["relu"] - 0.5) < 0.1)
    assert np.all(r["sigmoid"] == 0) and np.all(r["softplus"] == 0)


def test_dead_fraction_grows_with_the_learning_rate():
    rng = np.random.default_rng(0)
    x, y = blobs(600, rng, centers=4, dim=20, spread=3.0)
    r = rs.dying_sweep([0.01, 3.0], (x.astype(np.float64), y), (20, 48, 48, 4), 200, [0, 1])
    assert r["dead_mean"][0] < 0.05
    assert r["dead_mean"][-1] > r["dead_mean"][0] + 0.2
    run = r["runs"][3.0][0]
    assert run["dead"][0] == 0.0 and run["dead"][-1] > 0.2  # units died during training


def _one_unit_always_negative(activation: str):
    """A 3-4-2 net whose hidden unit 1 has input -1 on every example."""
    net = rs.mlp((3, 4, 2), activation, np.random.default_rng(0))
    net[0].weight.data[1] = 0.0
    net[0].bias.data[1] = -1.0
    return net


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "prelu"])
def test_units_below_zero_keep_a_gradient_unless_relu(activation):
    x = np.random.default_rng(1).normal(0, 1, (50, 3))
    net = _one_unit_always_negative(activation)
    nonpositive = rs.nonpositive_units(net, x)[0]
    no_gradient = rs.no_gradient_units(net, x)[0]
    assert nonpositive[1]  # unit 1 is "dead" by its output in every case
    assert no_gradient[1] == (activation == "relu")  # only the ReLU unit has no gradient
    assert not no_gradient[[0, 2, 3]].any()
    if activation == "prelu":
        net[1].weight.data[1] = 0.0  # a PReLU unit whose learned slope is 0 is a ReLU unit
        assert rs.no_gradient_units(net, x)[0].tolist() == [False, True, False, False]
        assert net[1].weight.grad is None  # measuring does not touch the slopes' gradients


def test_prelu_nets_have_one_slope_per_unit():
    net = rs.mlp((3, 5, 4, 2), "prelu", np.random.default_rng(0))
    assert [m.weight.shape for m in net if not isinstance(m, rs.nn.Linear)] == [(5,), (4,)]


def test_leaky_and_prelu_units_keep_a_gradient_where_relu_units_die():
    rng = np.random.default_rng(0)
    x, y = blobs(600, rng, centers=4, dim=20, spread=3.0)
    data, widths = (x.astype(np.float64), y), (20, 48, 48, 4)
    relu = rs.dying_sweep([0.3, 0.45], data, widths, 200, [0, 1])
    leaky = rs.dying_sweep([0.3, 0.45], data, widths, 200, [0, 1], "leaky_relu")
    prelu = rs.dying_sweep([0.3], data, widths, 200, [0, 1], "prelu")
    np.testing.assert_array_equal(relu["no_gradient"], relu["dead"])  # relu: the same units
    assert relu["dead_mean"][1] > 0.05  # at lr 0.45 ReLU units die...
    assert not leaky["diverged"].any() and not prelu["diverged"][0].any()
    assert np.all(leaky["no_gradient"] == 0) and np.all(prelu["no_gradient"] == 0)  # ...these not
    assert leaky["nonpositive_mean"][1] > 0.03  # though many are below 0 on every example
    assert np.all(leaky["dead"] == 0)  # and none outputs exactly 0


def test_at_a_learning_rate_that_kills_relu_units_leaky_and_prelu_nets_diverge():
    """The other side of the same runs: the large updates that kill ReLU units (whose zero
    gradient then stops them) blow leaky and PReLU nets up (loss NaN)."""
    x, y = blobs(600, np.random.default_rng(0), centers=4, dim=20, spread=3.0)
    data, widths = (x.astype(np.float64), y), (20, 48, 48, 4)
    relu = rs.dying_sweep([3.0], data, widths, 200, [0, 1])
    assert not relu["diverged"].any() and relu["dead_mean"][0] > 0.4
    for act in ("leaky_relu", "prelu"):
        assert rs.dying_sweep([3.0], data, widths, 200, [0, 1], act)["diverged"].all()


def test_train_relu_marks_divergence_with_nan():
    rng = np.random.default_rng(0)
    x, y = blobs(200, rng, centers=3, dim=5)
    net = rs.mlp((5, 16, 3), "relu", rng)
    net[0].weight.data[...] = 1e300  # the logits overflow: inf - inf in the softmax
    with np.errstate(all="ignore"):
        rec = rs.train_relu(net, (x, y), 0.1, 50, rng)
    assert rec["diverged"] and np.isnan(rec["loss"][-1]) and np.isnan(rec["dead"][-1])


GOOD = np.zeros((3, 4))


@pytest.mark.parametrize(
    "x, kind, words",
    [
        ([[1.0, 2.0]], TypeError, "x must be a NumPy array"),
        (np.array([["a"]]), TypeError, "real numbers"),
        (np.zeros(4), ValueError, "2-D"),
        (np.zeros((0, 4)), ValueError, "non-empty"),
        (np.zeros((3, 5)), ValueError, "4 features"),
        (np.array([[np.nan, 0, 0, 0]]), ValueError, "NaN"),
    ],
)
def test_bad_inputs_name_the_argument(x, kind, words):
    net = rs.mlp((4, 3, 2), "relu", np.random.default_rng(0))
    with pytest.raises(kind, match=words):
        rs.layer_gradients(net, x, np.random.default_rng(0))


def test_bad_arguments_are_named():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="activation"):
        rs.mlp((4, 2), "swish", rng)
    with pytest.raises(ValueError, match="widths"):
        rs.mlp((4,), "relu", rng)
    with pytest.raises(TypeError, match="widths"):
        rs.mlp((4, 2.5), "relu", rng)
    with pytest.raises(TypeError, match="rng"):
        rs.mlp((4, 2), "relu", 0)
    with pytest.raises(ValueError, match="lrs"):
        rs.dying_sweep([], (GOOD, np.zeros(3, int)), (4, 2), 10, [0])
    with pytest.raises(ValueError, match="lrs"):
        rs.dying_sweep([0.1, -1.0], (GOOD, np.zeros(3, int)), (4, 2), 10, [0])
    with pytest.raises(ValueError, match="y must have shape"):
        rs.train_relu(rs.mlp((4, 2), "relu", rng), (GOOD, np.zeros(2, int)), 0.1, 5, rng)
    with pytest.raises(ValueError, match="labels in"):
        rs.train_relu(rs.mlp((4, 2), "relu", rng), (GOOD, np.full(3, 2)), 0.1, 5, rng)
    with pytest.raises(ValueError, match="lr"):
        rs.train_relu(rs.mlp((4, 2), "relu", rng), (GOOD, np.zeros(3, int)), np.nan, 5, rng)
    with pytest.raises(ValueError, match="activation"):
        rs.dying_sweep([0.1], (GOOD, np.zeros(3, int)), (4, 2), 10, [0], "sigmoid")
    with pytest.raises(ValueError, match="z holds NaN"):
        rs.local_derivatives("relu", np.array([[np.nan]]))


def test_demo_quick(tmp_path):
    main = runpy.run_path(str(DEMO))["main"]
    r = main(["--quick", "--out", str(tmp_path)])
    for name in ("relu_chain", "relu_dying", "relu_sparsity"):
        assert (tmp_path / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({name}.png)" in (tmp_path / "summary.md").read_text()
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["dying"]["dead_mean"] == r["dying"]["dead_mean"]
    dead = r["dying"]["dead_mean"]
    assert dead[-1] > dead[0]  # the claim: more dead units at the largest learning rate
    assert r["chain"]["relu_derivative_values"] == [0.0, 1.0]
    assert r["chain"]["sigmoid_mean_factor"] < 0.45 < 0.85 < r["chain"]["relu_mean_factor"]
    assert all(abs(v - 0.5) < 0.15 for v in r["sparsity"]["at_init_gaussian_inputs"]["relu"])
    assert "003_2c8a8dd9677738a6" in (tmp_path / "summary.md").read_text()
    kept = r["dying"]["kept_gradient"]
    for act in ("leaky_relu", "prelu"):
        for ng, div in zip(kept[act]["no_gradient"], kept[act]["diverged"], strict=True):
            assert all(v == 0 for v, d in zip(ng, div, strict=True) if not d)
    assert "PReLU (and leaky ReLU) keep a gradient" in (tmp_path / "summary.md").read_text()
