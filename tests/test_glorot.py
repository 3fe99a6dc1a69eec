"""minigrad.lab.glorot (Glorot and Bengio's protocol) and its figures, on tiny networks."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.lab import cost_surface, glorot, glorot_figures

TINY = {"width": 12, "steps": 30, "record_every": 10, "small": True}


def test_make_model_inits_as_the_paper():
    rng = np.random.default_rng(0)
    sizes = [400, 300, 300, 10]
    standard = glorot.make_model("tanh", "standard", sizes, rng)
    normalized = glorot.make_model("tanh", "normalized", sizes, rng)
    assert [type(m).__name__ for m in standard.layers] == [
        "Linear", "Tanh", "Linear", "Tanh", "Linear"
    ]  # fmt: skip
    for model in (standard, normalized):
        assert all(not m.bias.data.any() for m in model.layers[::2])  # biases 0
    w_std, w_norm = standard.layers[2].weight.data, normalized.layers[2].weight.data
    assert w_std.var() == pytest.approx(1 / (3 * 300), rel=0.03)  # U[-1/sqrt(n), 1/sqrt(n)]
    assert w_norm.var() == pytest.approx(2 / (300 + 300), rel=0.03)  # Var = 2/(n_in + n_out)
    assert np.abs(w_std).max() <= 1 / np.sqrt(300)
    assert np.abs(w_norm).max() <= np.sqrt(6 / 600)


@pytest.mark.parametrize(
    "activation, init, message",
    [("relu", "standard", "activation"), ("tanh", "xavier", "init"), (None, "standard", "act")],
)
def test_make_model_refuses_unknown_names(activation, init, message):
    with pytest.raises((ValueError, TypeError), match=message):
        glorot.make_model(activation, init, [4, 3, 2], np.random.default_rng(0))


def test_shapeset_stream_is_fresh_and_test_sets_are_fixed():
    a, b = glorot.datasets("shapeset", 0, small=True), glorot.datasets("shapeset", 1, small=True)
    for split in ("validation", "test"):  # the same fixed sets whatever the seed
        assert np.array_equal(a[split][0], b[split][0])
    x1, _ = next(a["stream"])
    x2, _ = next(a["stream"])
    assert x1.shape == (glorot.BATCH, 1024) and not np.array_equal(x1, x2)  # fresh images
    assert not np.array_equal(x1, next(b["stream"])[0])  # another seed, another stream
    assert not any((x1 == row).all() for row in a["test"][0])  # not drawn from the test set
    with pytest.raises(ValueError, match="dataset"):
        glorot.datasets("cifar", 0)


@pytest.mark.parametrize(
    "option, value",
    [
        ("lr", float("nan")),
        ("lr", -0.1),
        ("lr", 0),
        ("lr", True),
        ("lr", "0.1"),
        ("depth", 0),
        ("width", 2.5),
        ("steps", True),
        ("record_every", 0),
    ],
)
def test_train_refuses_bad_options(option, value):
    with pytest.raises(ValueError, match=option):
        glorot.train(**{**TINY, option: value})


def test_train_records_what_the_figures_need():
    r = glorot.train("shapeset", "tanh", "standard", 0.05, depth=3, **TINY)
    assert r["diverged"] is False and r["steps_run"] == 30
    assert 0 <= r["validation_error"] <= 1 and 0 <= r["test_error"] <= 1
    assert r["curve"]["steps"] == [0, 10, 20, 30]
    assert list(r["layers"]) == ["layer 1", "layer 2", "layer 3"]
    layer = r["layers"]["layer 1"]
    assert len(layer["p98"]) == len(layer["weight_grad_std"]) == 4
    assert all(p2 <= p98 for p2, p98 in zip(layer["p2"], layer["p98"], strict=True))
    h = r["histograms"]["activations_init"]
    assert len(h["edges"]) == glorot.BINS + 1 and (h["edges"][0], h["edges"][-1]) == (-1, 1)
    assert sum(h["layers"]["layer 2"]) == glorot.PROBE * 12  # every value of the probe counted
    assert set(r["histograms"]) == {
        "activations_init", "activations_end", "gradients_init", "weight_gradients_init"
    }  # fmt: skip


def test_a_diverging_run_stops_and_never_wins():
    with np.errstate(all="ignore"):  # the weights overflow float32 on the way
        bad = glorot.train("shapeset", "tanh", "standard", 1e36, depth=2, **TINY)
    assert bad["diverged"] is True and bad["validation_error"] is None
    assert bad["steps_run"] < TINY["steps"]
    good = {"dataset": "shapeset", "activation": "tanh", "init": "standard", "depth": 2}
    rows = [
        {**good, "lr": 1e36, "validation_error": None},
        {**good, "lr": 0.1, "validation_error": 0.5},
        {**good, "lr": 0.01, "validation_error": 0.4},
    ]
    (best,) = glorot.best_runs(rows).values()
    assert best["lr"] == 0.01 and best["tried"] == [[0.01, 0.4], [0.1, 0.5], [1e36, None]]
    assert glorot.best_runs(rows[:1]) == {}  # nothing finished: no winner


def test_jacobian_singular_values_match_the_closed_form():
    rng = np.random.default_rng(3)
    model = glorot.make_model("tanh", "normalized", [6, 5, 5, 5, 2], rng)
    x = rng.normal(0, 1, (4, 6)).astype(np.float32)
    got = glorot.jacobian_singular_values(model, x)
    h = np.tanh(x.astype(np.float64) @ model.layers[0].weight.data.T.astype(np.float64))
    means = []
    for k in (2, 4):
        w = model.layers[k].weight.data.astype(np.float64)
        h_next = np.tanh(h @ w.T)
        jac = (1 - h_next**2)[:, :, None] * w[None]  # diag(f'(z)) W, one per example
        means.append(np.linalg.svd(jac, compute_uv=False).mean())
        h = h_next
    assert got["per_layer"] == pytest.approx(means, rel=1e-6)
    assert got["mean"] == pytest.approx(np.mean(means), rel=1e-6)


def test_monitor_records_the_weight_gradient_std():
    model = nn.Sequential(nn.Linear(3, 4, rng=np.random.default_rng(0)), nn.Tanh())
    from minigrad.lab import Monitor

    monitor = Monitor(model)
    model(mg.Tensor(np.ones((2, 3), np.float32))).sum().backward()
    monitor.record(0)
    assert monitor.weight_grad_std["0.weight"] == [pytest.approx(model[0].weight.grad.data.std())]


def test_table_marks_configurations_the_paper_did_not_run():
    row = {
        "activation": "sigmoid", "init": "standard", "lr": 0.1, "test_error": 0.8,
        "jacobian": {"mean": 0.1},
    }  # fmt: skip
    best = {("shapeset", "sigmoid", "standard", d, 1000, 10): {**row, "depth": d} for d in (4, 5)}
    lines = glorot_figures.table_1(best)
    assert "| 80.00 / 82.61 |" in lines[2] and "table 1 has depth 4" in lines[3]
    assert "not run / 2.21" in lines[2]


def test_quadratic_cost_has_plateaus_cross_entropy_does_not():
    x, y = cost_surface.two_class_data(200, np.random.default_rng(0))
    s = cost_surface.surfaces(x, y, n=61)
    quadratic = cost_surface.plateau_fraction(s["quadratic"], s["quadratic_grad"])
    cross_entropy = cost_surface.plateau_fraction(s["cross_entropy"], s["cross_entropy_grad"])
    assert quadratic > 0.08 and quadratic > 10 * cross_entropy  # figure 5's point
    # the gradients on the grid are the costs' derivatives: central differences at one point
    i, j, h = 40, 17, 1e-6
    w1, w2 = s["axis"][i], s["axis"][j]
    for kind in cost_surface.COSTS:

        def c(a, b, kind=kind):
            return cost_surface.cost(mg.Tensor(a), mg.Tensor(b), x, y, kind).item()

        d1 = (c(w1 + h, w2) - c(w1 - h, w2)) / (2 * h)
        d2 = (c(w1, w2 + h) - c(w1, w2 - h)) / (2 * h)
        assert s[kind + "_grad"][i, j] == pytest.approx(np.hypot(d1, d2), rel=1e-6)


@pytest.mark.parametrize(
    "x, y, message",
    [
        (np.zeros(3), np.zeros(4), "same length"),
        (np.zeros(1), np.zeros(1), ">= 2"),
        (np.array([0.0, np.nan]), np.zeros(2), "finite"),
        (np.zeros(2), np.array([0.0, 0.5]), "0 or 1"),
    ],
)
def test_cost_surface_refuses_bad_data(x, y, message):
    with pytest.raises(ValueError, match=message):
        cost_surface.surfaces(x, y)
    with pytest.raises(ValueError, match="kind"):
        cost_surface.cost(mg.Tensor(1.0), mg.Tensor(1.0), np.zeros(2), np.zeros(2), "hinge")


@pytest.fixture(scope="module")
def at_initialisation():
    """Tanh, 5 layers of 200, standard and normalized init: the step-0 statistics."""
    options = {"depth": 5, "width": 200, "steps": 1, "record_every": 1, "small": True}
    return {init: glorot.train("shapeset", "tanh", init, 0.01, **options) for init in glorot.INITS}


def _first(run: dict, field: str) -> np.ndarray:
    return np.array([layer[field][0] for layer in run["layers"].values()])


def test_figure_6_activations_shrink_layer_by_layer_only_with_the_standard_init(at_initialisation):
    standard = _first(at_initialisation["standard"], "std")
    normalized = _first(at_initialisation["normalized"], "std")
    assert np.all(np.diff(standard) < 0) and standard[0] / standard[-1] > 5
    assert normalized[0] / normalized[-1] < 2.5


def test_figure_7_and_8_gradients_at_initialisation(at_initialisation):
    for init, most in (("standard", None), ("normalized", 2.5)):
        back = _first(at_initialisation[init], "grad_std")
        weights = _first(at_initialisation[init], "weight_grad_std")
        assert np.all(np.diff(back) > 0)  # back-propagated gradients shrink towards the input
        if most is None:
            assert back[-1] / back[0] > 5  # figure 7, top
        else:
            assert back[-1] / back[0] < most  # figure 7, bottom
        assert weights.max() / weights.min() < 1.5  # figure 8: the weight gradients do not


def test_section_4_2_2_singular_values_near_the_papers(at_initialisation):
    standard = at_initialisation["standard"]["jacobian"]["mean"]
    normalized = at_initialisation["normalized"]["jacobian"]["mean"]
    assert 0.4 < standard < 0.6 and 0.65 < normalized < 0.9  # paper: 0.5 and 0.8


def test_majority_error_is_the_chance_level_of_the_fixed_test_set():
    labels = glorot.datasets("shapeset", 5)["test"][1]
    expected = 1 - np.bincount(labels).max() / len(labels)
    assert glorot.majority_error("shapeset") == pytest.approx(expected)
    assert 0.75 < glorot.majority_error("shapeset", 1000) < 0.9  # 9 classes, not balanced
