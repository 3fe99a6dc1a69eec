"""minigrad.lab.regularisation against seed 004's claims (5.7.5: l2 shrinks the train-test gap,
l1 makes weights sparse; 5.7.6: the dropout mask is most diverse at p = 0.5), its input checks,
and demos/regularisation.py quick."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import numpy as np
import pytest

from minigrad import nn
from minigrad.lab import regularisation as reg

DEMO = Path(__file__).resolve().parent.parent / "demos" / "regularisation.py"
WIDTHS = (10, 100, 4)


@pytest.fixture(scope="module")
def data():
    return reg.synthetic_task(np.random.default_rng(0), n_train=100, dim=10)


@pytest.fixture(scope="module")
def runs(data):
    pens = {"none": {}, "l2": {"l2": 3e-2}, "l1": {"l1": 3e-3}}
    return reg.penalty_runs(data, WIDTHS, pens, [0, 1, 2], steps=500)


def mean(runs, name, key):
    return float(np.mean([r[key] for r in runs[name]]))


def test_unregularised_net_overfits(runs):
    assert mean(runs, "none", "train_error") < 0.02  # memorises the 20% noisy labels
    assert mean(runs, "none", "gap") > 0.15


def test_l2_shrinks_the_gap_and_lowers_test_error(runs):
    for none, l2 in zip(runs["none"], runs["l2"], strict=True):  # on every seed
        assert l2["gap"] < 0.5 * none["gap"]
    assert mean(runs, "l2", "test_error") < mean(runs, "none", "test_error") - 0.03


def test_l1_zeroes_most_weights(runs):
    assert mean(runs, "none", "sparsity") < 0.05
    assert mean(runs, "l1", "sparsity") > 0.5
    assert mean(runs, "l1", "sparsity") > 10 * mean(runs, "l2", "sparsity")


def test_sparsity_counts_weights_not_biases():
    model = nn.Sequential(nn.Linear(2, 2, rng=np.random.default_rng(0)))
    model[0].weight.data[:] = [[0.0, 1.0], [5e-4, -2e-3]]
    model[0].bias.data[:] = 0.0
    assert reg.sparsity(model) == 0.5


def test_mask_entropy_is_largest_at_one_half():
    p = np.linspace(0.05, 0.95, 19)
    for h in (reg.mask_entropy, reg.count_entropy):
        values = [h(100, q) for q in p]
        assert p[int(np.argmax(values))] == pytest.approx(0.5)
        assert h(100, 0.3) == pytest.approx(h(100, 0.7))  # symmetric in p and 1 - p
    assert reg.mask_entropy(100, 0.5) == pytest.approx(100)  # all 2^100 masks equally likely
    assert reg.mask_entropy(100, 1.0) == 0 == reg.count_entropy(100, 1.0)


def test_count_entropy_matches_enumeration():
    n, p = 6, 0.3
    masks = np.array(np.meshgrid(*[[0, 1]] * n)).reshape(n, -1).T
    prob = np.prod(np.where(masks == 1, p, 1 - p), axis=1)
    pmf = np.bincount(masks.sum(1), weights=prob)
    assert reg.count_entropy(n, p) == pytest.approx(-np.sum(pmf * np.log2(pmf)))
    assert reg.mask_entropy(n, p) == pytest.approx(-np.sum(prob * np.log2(prob)))


def test_mlp_takes_keep_probabilities():
    model = reg.mlp((4, 8, 2), np.random.default_rng(0), keep_input=0.8, keep_hidden=0.5)
    drops = [m.p for m in model if isinstance(m, nn.Dropout)]
    assert drops == pytest.approx([0.2, 0.5])  # nn.Dropout takes the drop probability
    plain = reg.mlp((4, 8, 2), np.random.default_rng(0))
    assert not any(isinstance(m, nn.Dropout) for m in plain)


def test_dropout_sweep_rows(data):
    rows = reg.dropout_sweep(data, WIDTHS, [0.5, 1.0], [1.0], [0, 1], steps=300)
    assert [(r["keep_input"], r["keep_hidden"]) for r in rows] == [(1.0, 0.5), (1.0, 1.0)]
    for r in rows:
        assert r["test_error"] == pytest.approx(np.mean(r["runs"]))
    assert rows[0]["train_error"] > rows[1]["train_error"]  # dropout slows the memorising


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda d: reg.mlp((4,), np.random.default_rng(0)), "widths"),
        (lambda d: reg.mlp((4, 2), np.random.default_rng(0), keep_hidden=0), "keep_hidden"),
        (lambda d: reg.mlp((4, 2), np.random.default_rng(0), keep_input=1.5), "keep_input"),
        (
            lambda d: reg.train(
                reg.mlp(WIDTHS, np.random.default_rng(0)), d, np.random.default_rng(0), steps=0
            ),
            "steps",
        ),
        (
            lambda d: reg.train(
                reg.mlp(WIDTHS, np.random.default_rng(0)),
                d,
                np.random.default_rng(0),
                steps=1,
                l1=-1,
            ),
            "l1",
        ),
        (
            lambda d: reg.train(
                reg.mlp(WIDTHS, np.random.default_rng(0)),
                {"train": d["train"]},
                np.random.default_rng(0),
                steps=1,
            ),
            "'test'",
        ),
        (lambda d: reg.penalty_runs(d, WIDTHS, {"none": {}}, [], steps=1), "seeds"),
        (lambda d: reg.dropout_sweep(d, WIDTHS, [], [1.0], [0], steps=1), "keep_hidden"),
        (lambda d: reg.mask_entropy(10, 1.5), "p"),
        (lambda d: reg.count_entropy(0, 0.5), "n"),
    ],
)
def test_bad_inputs_name_the_argument(data, call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call(data)


def test_demo_quick(tmp_path):
    demo = runpy.run_path(str(DEMO))
    results = demo["main"](["--quick", "--out", str(tmp_path)])
    assert results["task"].startswith("synthetic")
    assert len(results["dropout"]) == 18
    for name in ("regularisation_penalties.png", "regularisation_dropout.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["mask_entropy"]["0.5"] == pytest.approx(100)
    assert "| none |" in (tmp_path / "summary.md").read_text()
