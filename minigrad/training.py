"""Training helpers: fit / evaluate with a progress bar and early stopping, and grid and random
search over hyper-parameters (seed 004, 5.7.7). Histories and results are plain data."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable

import numpy as np

from minigrad.autodiff.mode import no_grad
from minigrad.data.loader import batches, num_batches
from minigrad.nn.losses import cross_entropy
from minigrad.nn.module import Module
from minigrad.tensor import Tensor


def evaluate(
    model: Module, x: np.ndarray, y: np.ndarray, loss_fn=cross_entropy, batch_size: int = 1000
) -> dict[str, float]:
    """Mean loss and accuracy (for integer labels and 2-D outputs) in evaluation mode."""
    was_training = model.training
    model.eval()
    total, correct = 0.0, 0
    with no_grad():
        for xb, yb in batches(x, y, batch_size=batch_size):
            out = model(Tensor(xb))
            total += float(loss_fn(out, yb).item()) * len(yb)
            if out.ndim == 2 and np.asarray(yb).ndim == 1:
                correct += int((out.data.argmax(axis=1) == yb).sum())
            elif out.ndim == 2:
                correct += int((out.data.argmax(axis=1) == np.asarray(yb).argmax(axis=1)).sum())
    model.train(was_training)
    return {"loss": total / len(y), "accuracy": correct / len(y)}


def fit(
    model: Module,
    optimizer,
    x: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    rng: np.random.Generator,
    loss_fn=cross_entropy,
    penalty: Callable[[Module], Tensor] | None = None,
    validation=None,
    patience: int | None = None,
    progress: bool = True,
) -> list[dict]:
    """Train with mini-batches shuffled by `rng`; returns one dict per epoch (train loss and
    accuracy, validation loss and accuracy if `validation=(x, y)`, seconds).

    `penalty(model)` is added to each mini-batch loss (e.g. `lambda m: lam / n * l2_penalty(m)`).
    With `patience`, training stops after that many epochs without a better validation loss
    and the best parameters are restored.
    """
    history: list[dict] = []
    best, best_state, waited = np.inf, None, 0
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        train_loss = _epoch(
            model,
            optimizer,
            x,
            y,
            batch_size,
            rng,
            loss_fn,
            penalty,
            _bar(progress, num_batches(len(y), batch_size), f"epoch {epoch}"),
        )
        row = {"epoch": epoch, "train_loss": train_loss}
        if validation is not None:
            metrics = evaluate(model, *validation, loss_fn=loss_fn)
            row.update(val_loss=metrics["loss"], val_accuracy=metrics["accuracy"])
        row["seconds"] = time.perf_counter() - start
        history.append(row)
        if patience is not None and validation is not None:
            if row["val_loss"] < best:
                best, best_state, waited = row["val_loss"], model.state_dict(), 0
            else:
                waited += 1
                if waited >= patience:
                    model.load_state_dict(best_state)
                    row["stopped_early"] = True
                    break
    return history


def _epoch(model, optimizer, x, y, batch_size, rng, loss_fn, penalty, bar) -> float:
    model.train()
    total = 0.0
    for xb, yb in batches(x, y, batch_size=batch_size, rng=rng):
        loss = loss_fn(model(Tensor(xb)), yb)
        if penalty is not None:
            loss = loss + penalty(model)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += float(loss.item()) * len(yb)
        if bar is not None:
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.4f}")
    if bar is not None:
        bar.close()
    return total / len(y)


def _bar(progress: bool, total: int, desc: str):
    if not progress:
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # tqdm is an optional extra: no bar without it
        return None
    return tqdm(total=total, desc=desc, leave=False)


def grid_search(train: Callable[..., dict], grid: dict[str, list]) -> list[dict]:
    """Run `train(**params)` (which returns a dict of metrics) for every combination of the
    values in `grid`; one row per run: the parameters and the metrics."""
    names = list(grid)
    return [
        {**dict(zip(names, values, strict=True)), **train(**dict(zip(names, values, strict=True)))}
        for values in itertools.product(*(grid[n] for n in names))
    ]


def random_search(
    train: Callable[..., dict], space: dict, n: int, rng: np.random.Generator
) -> list[dict]:
    """Run `train(**params)` for `n` draws of the parameters: each entry of `space` is a list
    (a value is picked uniformly) or a function of `rng` (e.g. a log-uniform learning rate)."""
    rows = []
    for _ in range(n):
        params = {
            k: (v(rng) if callable(v) else v[int(rng.integers(len(v)))]) for k, v in space.items()
        }
        rows.append({**params, **train(**params)})
    return rows


def format_table(rows: list[dict], sort_by: str | None = None, descending: bool = True) -> str:
    """A markdown table of search results, optionally sorted by one column."""
    if not rows:
        return "(no results)"
    if sort_by is not None:
        rows = sorted(rows, key=lambda r: r[sort_by], reverse=descending)
    columns = list(rows[0])
    cell = lambda v: f"{v:.4g}" if isinstance(v, float) else str(v)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(r[c]) for c in columns) + " |" for r in rows]
    return "\n".join(lines)
