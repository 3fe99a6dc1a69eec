"""Small claims of the seeds checked by computation with minigrad's public API (docs/seeds.md):
identities, bounds and sampling statements that need no demo, only a few lines and a test."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad import nn


def elementwise_grad(f, x: np.ndarray) -> np.ndarray:
    """d f(x)_i / d x_i for an elementwise f, as the gradient of sum(f(x))."""
    return mg.grad(lambda t: mg.sum(f(t)))(mg.tensor(x)).numpy()


def sigmoid_prime(z: float) -> float:
    return float(elementwise_grad(mg.sigmoid, np.array([z]))[0])


# --- seed 004 (5.6): tanh(x) = 2 sigma(2x) - 1 -------------------------------------------------


def test_tanh_is_twice_the_logistic_of_2x_minus_one(float64_numbers):
    x = np.linspace(-20.0, 20.0, 4001)

    def scaled(t):
        return 2.0 * mg.sigmoid(2.0 * t) - 1.0

    tanh, other = mg.tanh(mg.tensor(x)).numpy(), scaled(mg.tensor(x)).numpy()
    assert tanh.dtype == other.dtype == np.float64
    np.testing.assert_allclose(other, tanh, rtol=0, atol=1e-15)
    d_tanh, d_other = elementwise_grad(mg.tanh, x), elementwise_grad(scaled, x)
    np.testing.assert_allclose(d_other, d_tanh, rtol=0, atol=1e-15)
    np.testing.assert_allclose(d_tanh, 1 - np.tanh(x) ** 2, rtol=0, atol=1e-15)  # (5.82)
    # the factor 2 inside matters: 2 sigma(x) - 1 = tanh(x / 2) is another function
    wrong = (2.0 * mg.sigmoid(mg.tensor(x)) - 1.0).numpy()
    assert np.abs(wrong - tanh).max() > 0.2


# --- seed 001 (comparison figure): dC/db1 <= dC/db3 / 16 when |w| <= 1 ---------------------------


def chain_bias_grads(w: list[float], b: list[float], x: float, y: float) -> np.ndarray:
    """dC/db_j of Nielsen's one-neuron-per-layer chain a_j = sigma(w_j a_(j-1) + b_j), with
    C = (a_4 - y)^2 / 2."""

    def cost(bias):
        a = mg.tensor(np.array(x, dtype=np.float64))
        for j, wj in enumerate(w):
            a = mg.sigmoid(wj * a + bias[j])
        return (a - y) ** 2 / 2

    return mg.grad(cost)(mg.tensor(np.array(b, dtype=np.float64))).numpy()


unit = st.floats(-1.0, 1.0)


@given(
    w=st.lists(unit, min_size=4, max_size=4),
    b=st.lists(st.floats(-4.0, 4.0), min_size=4, max_size=4),
    x=unit,
    y=st.floats(0.0, 1.0),
)
def test_b1_gradient_is_at_most_a_sixteenth_of_b3s(w, b, x, y):
    g = chain_bias_grads(w, b, x, y)
    assert g.dtype == np.float64
    g = np.abs(g)
    # dC/db1 = [sigma'(z1) w2] [sigma'(z2) w3] dC/db3 and each bracket is at most 1/4
    assert g[0] <= g[2] / 16 * (1 + 1e-12)


def test_the_sixteenth_is_reached_only_at_the_edge_and_fails_for_large_weights(float64_numbers):
    # z1 = z2 = 0 and |w2| = |w3| = 1: both factors equal 1/4 (x = 0 makes z1 = b1)
    g = np.abs(chain_bias_grads([1.0, 1.0, 1.0, 1.0], [0.0, -0.5, -0.5, 0.0], 0.0, 1.0))
    assert g[0] / g[2] == pytest.approx(1 / 16, rel=1e-12)
    # with w = 5 at z = 0 each factor is 5/4: the bound is Nielsen's |w| < 1 assumption at work
    g = np.abs(chain_bias_grads([5.0, 5.0, 5.0, 5.0], [0.0, -2.5, -2.5, 0.0], 0.0, 1.0))
    assert g[0] / g[2] == pytest.approx(25 / 16, rel=1e-12)


# --- seed 003 (derivation): first-order changes along the chain ---------------------------------


def chain_values(w: list[float], b: list[float], x: float) -> tuple[list[float], list[float]]:
    """(z_j, a_j) of the chain as floats."""
    zs, acts, a = [], [], mg.tensor(np.array(x, dtype=np.float64))
    for wj, bj in zip(w, b, strict=True):
        z = wj * a + bj
        a = mg.sigmoid(z)
        zs.append(float(z.item()))
        acts.append(float(a.item()))
    return zs, acts


@pytest.mark.parametrize("step", [1e-2, 1e-3])
def test_small_change_of_b1_moves_a1_z2_and_cost_to_first_order(float64_numbers, step):
    w, b, x, y = [0.8, -0.6, 0.9, 0.7], [0.1, -0.3, 0.2, 0.05], 0.5, 1.0
    zs, acts = chain_values(w, b, x)
    zs_moved, acts_moved = chain_values(w, [b[0] + step, *b[1:]], x)
    da1 = acts_moved[0] - acts[0]
    dz2 = zs_moved[1] - zs[1]
    cost, cost_moved = (acts[-1] - y) ** 2 / 2, (acts_moved[-1] - y) ** 2 / 2
    # Delta a1 ~ sigma'(z1) Delta b1: the error is second order, relative error ~ step
    predicted = sigmoid_prime(zs[0]) * step
    assert abs(da1 - predicted) / abs(predicted) < 0.3 * step
    assert abs(da1 - predicted) > 1e-3 * step**2  # and not zero: it is an approximation
    assert dz2 == pytest.approx(w[1] * da1, rel=1e-9)  # Delta z2 = w2 Delta a1, exactly
    dj_db1 = chain_bias_grads(w, b, x, y)[0]
    assert abs((cost_moved - cost) - dj_db1 * step) / abs(dj_db1 * step) < 2 * step


# --- seed 002 (section 3): Var(XY) for independent X, Y -----------------------------------------


@pytest.mark.parametrize("mean_x, mean_y", [(0.0, 0.0), (1.5, -2.0), (0.0, 3.0)])
def test_variance_of_a_product_of_independent_variables(mean_x, mean_y):
    rng = np.random.default_rng(2024)
    n, sd_x, half_width_y = 400_000, 0.5, 1.5
    x = rng.normal(mean_x, sd_x, n)
    y = rng.uniform(mean_y - half_width_y, mean_y + half_width_y, n)  # not Gaussian on purpose
    var_x, var_y = sd_x**2, (2 * half_width_y) ** 2 / 12
    formula = mean_x**2 * var_y + mean_y**2 * var_x + var_x * var_y
    xy = x * y
    sample = xy.var()
    # the standard error of a sample variance: sqrt((m4 - var^2) / n), m4 the 4th central moment
    se = np.sqrt((np.mean((xy - xy.mean()) ** 4) - sample**2) / n)
    assert abs(sample - formula) < 4 * se
    if mean_x or mean_y:  # the zero-mean shortcut Var(X) Var(Y) does not hold here
        assert abs(sample - var_x * var_y) > 20 * se


# --- seed 004 (5.92)-(5.93): zero-mean weights and inputs give a zero-mean net input ------------


def net_inputs(rng: np.random.Generator, weight_mean: float, input_mean: float) -> np.ndarray:
    """z = sum_i w_i a_i for 20,000 independent draws of 100 weights and 100 inputs."""
    w = mg.tensor(rng.uniform(weight_mean - 0.1, weight_mean + 0.1, (20_000, 100)))
    a = mg.tensor(rng.normal(input_mean, 1.0, (20_000, 100)))
    return mg.sum(w * a, axis=1).numpy()


def test_zero_mean_weights_and_inputs_give_zero_mean_net_input():
    rng = np.random.default_rng(7)
    z = net_inputs(rng, 0.0, 0.0)
    assert abs(z.mean()) < 4 * z.std() / np.sqrt(z.size)  # (5.93): E(z) = 0
    biased = net_inputs(rng, 0.01, 0.5)  # E(z) = 100 * 0.01 * 0.5 = 0.5
    assert biased.mean() == pytest.approx(0.5, abs=4 * biased.std() / np.sqrt(biased.size))


# --- seed 004 (5.7.3, 5.7.4): sigmoid is almost linear near 0 -----------------------------------


def linear_fit_residual(inputs: np.ndarray, outputs: np.ndarray) -> float:
    """The largest fraction of an output column's variance an affine fit in the inputs misses."""
    design = np.column_stack([inputs, np.ones(len(inputs))])
    coef, *_ = np.linalg.lstsq(design, outputs, rcond=None)
    residual = outputs - design @ coef
    return float((residual.var(axis=0) / outputs.var(axis=0)).max())


def test_sigmoid_is_nearly_linear_on_standardised_inputs(float64_numbers):
    def gap(bound):
        x = np.linspace(-bound, bound, 20001)
        return np.abs(mg.sigmoid(mg.tensor(x)).numpy() - (0.25 * x + 0.5)).max()

    # the tangent 0.25 x + 0.5 of (5.8) is within 0.019 on [-1, 1] (one standard deviation)
    assert gap(1.0) == pytest.approx(0.75 - 1 / (1 + np.exp(-1.0)), abs=0, rel=1e-12)
    assert 0.018 < gap(1.0) < 0.019
    assert 0.11 < gap(2.0) < 0.12  # at two standard deviations the curve has bent away
    assert gap(0.1) < 2.1e-5  # the gap is about |x|^3 / 48 near 0
    rng = np.random.default_rng(3)
    residual = {}
    for scale in (0.1, 1.0, 5.0):
        z = rng.normal(0.0, scale, (100_000, 1))
        residual[scale] = linear_fit_residual(z, mg.sigmoid(mg.tensor(z)).numpy())
    # a z-scored input (scale 1): an affine map explains 98% of sigma(z)'s variance
    assert residual[0.1] < 1e-5 < residual[1.0] < 0.02 < 0.15 < residual[5.0]


def test_too_small_weights_make_a_deep_sigmoid_net_nearly_affine(float64_numbers):
    def nonlinearity(weight_sd, seed=1, depth=3, width=20):
        rng = np.random.default_rng(seed)
        x = rng.normal(0.0, 1.0, (2000, width))
        h = mg.tensor(x)
        for _ in range(depth):
            h = mg.sigmoid(h @ mg.tensor(rng.normal(0.0, weight_sd, (width, width))))
        return linear_fit_residual(x, h.numpy())

    # 5.7.4: weights N(0, 0.01^2) leave a 3-layer sigmoid net an affine map to 1e-6
    assert nonlinearity(0.01) < 1e-5
    assert nonlinearity(1 / np.sqrt(20)) > 0.01  # Var(w) = 1/n keeps some non-linearity
    assert nonlinearity(1.0) > 0.3  # large weights: far from affine (and saturated)


# --- seed 004 (5.7.2): keeping w1 x1 + w2 x2 + b in [-2, 2] with x1 in [0, 10], x2 in [0, 1] -----


def largest_w1(x1_max: float, w2_max: float, centred_bias: bool) -> float:
    """The largest |w1| on a grid for which w1 x1 + w2 x2 + b stays in [-2, 2] over the box
    x1 in [0, x1_max], x2 in [0, 1], for every |w2| <= w2_max, with b = 0 or the bias that
    centres the range. The net input is affine, so the box's corners suffice."""
    w1 = np.linspace(0.0, 1.0, 10_001)[:, None, None]
    w2 = np.array([-w2_max, w2_max])[None, :, None]
    x1, x2 = np.array([0.0, 0.0, x1_max, x1_max]), np.array([0.0, 1.0, 0.0, 1.0])
    z = w1 * x1 + w2 * x2  # (w1, w2, corner)
    if centred_bias:
        z = z - (z.max(axis=2, keepdims=True) + z.min(axis=2, keepdims=True)) / 2
    ok = (np.abs(z) <= 2 + 1e-12).all(axis=(1, 2))
    return float(w1[ok, 0, 0].max())


def test_w1_range_that_keeps_the_tanh_input_in_minus_2_2(float64_numbers):
    # tanh' is 1 at 0 and 0.07 at +-2: outside [-2, 2] the gradient is small (5.7.2)
    assert elementwise_grad(mg.tanh, np.array([2.0]))[0] == pytest.approx(0.0707, abs=1e-4)
    # the seed's [-0.1, 0.1]: b = 0 and the [0, 1] feature keeps a weight up to 1
    assert largest_w1(10.0, 1.0, centred_bias=False) == pytest.approx(0.1, abs=1e-9)
    assert largest_w1(10.0, 0.0, centred_bias=False) == pytest.approx(0.2, abs=1e-9)
    assert largest_w1(10.0, 1.0, centred_bias=True) == pytest.approx(0.3, abs=1e-9)
    # after scaling x1 to [0, 1] both weights get the same room: no special treatment
    assert largest_w1(1.0, 1.0, centred_bias=False) == pytest.approx(1.0, abs=1e-9)


# --- seed 004 (5.7.2): a wide feature dominates Euclidean distance ------------------------------


def nearest_neighbours(x: np.ndarray) -> np.ndarray:
    d = ((x[:, None, :] - x[None, :, :]) ** 2).sum(axis=2)
    np.fill_diagonal(d, np.inf)
    return d.argmin(axis=1)


def first_feature_share(x: np.ndarray) -> float:
    """Feature 1's share of the summed squared distances over all pairs."""
    d = (x[:, None, :] - x[None, :, :]) ** 2
    return float(d[..., 0].sum() / d.sum())


def test_wide_feature_dominates_distance_until_standardised():
    gains = []
    for seed in range(20):
        rng = np.random.default_rng(seed)
        x = np.column_stack([rng.uniform(0, 10, 40), rng.uniform(0, 1, 40)])  # the seed's ranges
        label = x[:, 1] > 0.5  # the class depends on the narrow feature only
        z = (x - x.mean(axis=0)) / x.std(axis=0)  # (5.87)
        assert first_feature_share(x) > 0.98  # ~100 / 101 of every squared distance
        assert first_feature_share(z) == pytest.approx(0.5, abs=1e-12)
        raw, standardised = nearest_neighbours(x), nearest_neighbours(z)
        assert (raw != standardised).mean() > 0.3  # standardising changes many neighbours
        # leave-one-out accuracy of the 1-nearest-neighbour classifier, after minus before
        gains.append((label[standardised] == label).mean() - (label[raw] == label).mean())
    assert min(gains) > 0
    assert np.mean(gains) > 0.12  # 0.18 on average over the 20 sets


# --- seed 004 (5.1.2): maxout as a piecewise-linear approximation of a convex function ----------


@pytest.mark.parametrize("f", [np.square, np.exp])
def test_maxout_of_tangents_approximates_a_convex_function(float64_numbers, f):
    x = np.linspace(-1.0, 1.0, 8001)
    errors = {}
    for pieces in (3, 5, 9, 17, 33):
        t = np.linspace(-1.0, 1.0, pieces)
        slope = (f(t + 1e-6) - f(t - 1e-6)) / 2e-6
        # k affine pieces of the raw input, then the max over the group (5.23)-(5.25)
        z = mg.tensor(x[:, None] * slope + (f(t) - slope * t))
        approx = nn.maxout(z, pieces).numpy()[:, 0]
        assert (approx <= f(x) + 1e-9).all()  # tangents of a convex function lie below it
        errors[pieces] = np.abs(f(x) - approx).max()
    if f is np.square:  # between tangents h apart the gap is (h / 2)^2
        for pieces, error in errors.items():
            assert error == pytest.approx((1 / (pieces - 1)) ** 2, rel=1e-6)
    ratios = [errors[k] / errors[2 * k - 1] for k in (3, 5, 9, 17)]
    # twice the pieces, a quarter of the error (for exp once the pieces are short)
    assert all(3.0 < r < 4.01 for r in ratios) and ratios[-1] > 3.85
    assert errors[33] < 2e-3
