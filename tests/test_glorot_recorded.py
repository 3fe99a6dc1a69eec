"""The Glorot and Bengio claims docs/experiments.md makes, checked on the recorded full run
(docs/data/glorot_runs.jsonl: width 1,000, 20,000 updates on Shapeset-3x2, 10,000 on MNIST,
two runs to 100,000), and the docs' table 1 is the one those runs give."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from minigrad.lab import glorot, glorot_figures, sweep

ROOT = Path(__file__).resolve().parent.parent
RUNS = ROOT / "docs" / "data" / "glorot_runs.jsonl"
BUDGETS = {"shapeset": 20_000, "mnist": 10_000}


@pytest.fixture(scope="module")
def best() -> dict:
    rows = sweep.table(RUNS)
    rows = [r for r in rows if r["steps"] == BUDGETS[r["dataset"]]]
    return glorot.best_runs(rows)


@pytest.fixture(scope="module")
def shapeset(best) -> dict:
    return glorot_figures.runs_of(best, "shapeset")


def _layers(row: dict, field: str, at: int = -1) -> np.ndarray:
    return np.array([s[field][at] for s in row["layers"].values()])


def test_every_configuration_ran_at_every_learning_rate():
    rows = sweep.table(RUNS)
    for dataset, budget in BUDGETS.items():
        ran = [r for r in rows if r["dataset"] == dataset and r["steps"] == budget]
        configs = 6 if dataset == "shapeset" else 5
        assert len(ran) == 3 * configs and not any(r["diverged"] for r in ran)


def test_docs_table_1_is_the_recorded_runs(best):
    text = (ROOT / "docs" / "experiments.md").read_text()
    for line in glorot_figures.table_1(best):
        assert line in text, line


def test_figure_2_top_layer_saturates_the_others_stay_above_half(shapeset):
    for depth in (4, 5):
        row = glorot_figures.pick(shapeset, "sigmoid", "standard", depth)
        steps = row["layers"]["layer 1"]["steps"]
        top = _layers(row, "mean", steps.index(500))[-1]
        final = _layers(row, "mean")
        assert top < 0.1 and final[-1] < 0.05  # driven to 0 within 500 updates
        assert np.all(final[:-1] >= 0.499) and np.all(np.diff(final[:-1]) > 0)


def test_table_1_ordering(best, shapeset):
    chance = glorot.majority_error("shapeset")
    error = {k[:2]: r["test_error"] for k, r in shapeset.items()}
    assert error[("sigmoid", "standard")] > chance - 0.02  # stuck at chance
    assert error[("tanh", "standard")] > chance - 0.02
    for learner in (("tanh", "normalized"), ("softsign", "standard"), ("softsign", "normalized")):
        assert error[learner] < chance - 0.10
    assert error[("tanh", "standard")] - error[("tanh", "normalized")] > 0.10


def test_figure_9_standard_init_spreads_the_weight_gradients(shapeset):
    ratios = {}
    for init in glorot.INITS:
        row = glorot_figures.pick(shapeset, "tanh", init)
        w = np.array([s["weight_grad_std"][1:] for s in row["layers"].values()])
        ratios[init] = np.median(w[0] / w[-1])
    assert ratios["standard"] > 1.8 and abs(np.log(ratios["normalized"])) < np.log(1.3)


def test_figure_3_softsign_spreads_all_layers_without_saturating(shapeset):
    row = glorot_figures.pick(shapeset, "softsign", "standard")
    start, end = _layers(row, "p98", 0), _layers(row, "p98")
    assert np.all(end > start) and end.argmax() == 0
    assert _layers(row, "saturation").max() == 0


def test_mnist_ordering_and_the_sigmoid_escape(best):
    mnist = glorot_figures.runs_of(best, "mnist")
    error = {k[:2]: r["test_error"] for k, r in mnist.items()}
    assert error[("sigmoid", "standard")] > 0.5  # far behind: 60% after 10,000 updates
    others = [e for k, e in error.items() if k[0] != "sigmoid"]
    assert max(others) < 0.08
    for units in ("tanh", "softsign"):  # normalized initialisation beats the standard one
        assert error[(units, "normalized")] < error[(units, "standard")]
    # figure 2's story on MNIST: the top layer saturates at 0, then escapes as the net learns
    row = glorot_figures.pick(mnist, "sigmoid", "standard", 4)
    top = np.array(row["layers"]["layer 4"]["mean"])
    low = int(top.argmin())
    assert top[low] < 0.01 and top[-1] > 5 * top[low] and low < len(top) - 4
    curve = row["curve"]["test"]
    assert max(curve[:8]) > 0.85 and curve[-1] < 0.7  # it left chance (88.65%) late


def test_five_times_longer_sigmoid_stays_stuck_normalized_tanh_keeps_learning():
    rows = [r for r in sweep.table(RUNS) if r["steps"] == 100_000]
    runs = glorot_figures.runs_of(glorot.best_runs(rows), "shapeset")
    sigmoid = glorot_figures.pick(runs, "sigmoid", "standard", 4)
    top = sigmoid["layers"]["layer 4"]
    assert sigmoid["test_error"] > glorot.majority_error("shapeset") - 0.02  # no escape yet
    assert top["mean"][-1] < 0.01 and top["saturation"][-1] > 0.9
    tanh = glorot_figures.pick(runs, "tanh", "normalized", 5)
    curve = tanh["curve"]["test"]
    assert tanh["test_error"] < 0.5 and curve[-1] < curve[len(curve) // 5] - 0.1
