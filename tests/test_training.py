"""fit / evaluate, early stopping, grid and random search."""

from __future__ import annotations

import numpy as np

from minigrad import nn, optim
from minigrad.data.synthetic import moons
from minigrad.training import evaluate, fit, format_table, grid_search, random_search


def _model(rng, hidden=16):
    return nn.Sequential(nn.Linear(2, hidden, rng=rng), nn.Tanh(), nn.Linear(hidden, 2, rng=rng))


def test_fit_learns_moons_and_records_history():
    rng = np.random.default_rng(0)
    x, y = moons(400, rng, noise=0.1)
    model = _model(rng)
    history = fit(
        model,
        optim.Adam(model.parameters(), lr=0.02),
        x[:300],
        y[:300],
        epochs=30,
        batch_size=20,
        rng=rng,
        validation=(x[300:], y[300:]),
        progress=False,
        penalty=lambda m: 1e-4 * nn.l2_penalty(m),
    )
    assert len(history) == 30 and history[-1]["train_loss"] < history[0]["train_loss"]
    assert set(history[0]) >= {"epoch", "train_loss", "val_loss", "val_accuracy", "seconds"}
    result = evaluate(model, x[300:], y[300:])
    assert result["accuracy"] >= 0.95 and result["accuracy"] == history[-1]["val_accuracy"]


def test_early_stopping_restores_the_best_parameters():
    rng = np.random.default_rng(1)
    x, y = moons(200, rng, noise=0.3)
    model = _model(rng, hidden=64)
    history = fit(
        model,
        optim.SGD(model.parameters(), lr=2.0),
        x[:50],
        y[:50],
        epochs=200,
        batch_size=10,
        rng=rng,
        validation=(x[50:], y[50:]),
        patience=3,
        progress=False,
    )
    assert history[-1].get("stopped_early") and len(history) < 200
    best = min(r["val_loss"] for r in history)
    assert abs(evaluate(model, x[50:], y[50:])["loss"] - best) < 1e-5


def test_grid_and_random_search_return_tables():
    calls = []

    def train(lr, hidden):
        calls.append((lr, hidden))
        return {"score": lr * hidden}

    rows = grid_search(train, {"lr": [0.1, 1.0], "hidden": [2, 3]})
    assert [(r["lr"], r["hidden"], r["score"]) for r in rows] == [
        (0.1, 2, 0.2),
        (0.1, 3, 0.30000000000000004),
        (1.0, 2, 2.0),
        (1.0, 3, 3.0),
    ]
    table = format_table(rows, sort_by="score")
    assert table.splitlines()[0] == "| lr | hidden | score |" and "| 1 | 3 | 3 |" in table
    rows = random_search(
        train,
        {"lr": lambda r: 10 ** r.uniform(-3, 0), "hidden": [4, 8]},
        n=5,
        rng=np.random.default_rng(2),
    )
    assert len(rows) == 5 and all(1e-3 <= r["lr"] <= 1 and r["hidden"] in (4, 8) for r in rows)
