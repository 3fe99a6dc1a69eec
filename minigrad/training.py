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
from minigrad.validate import generator, integer


def evaluate(
    model: Module, x: np.ndarray, y: np.ndarray, loss_fn=cross_entropy, batch_size: int = 1000
) -> dict[str, float]:
    """Mean loss, and accuracy for classifiers (outputs (N, C) with C > 1 and integer labels
    or one-hot rows), in evaluation mode (the model's mode is restored, even on errors)."""
    x, y = _samples(x, y, "evaluate")
    integer(batch_size, "evaluate", "batch_size", low=1)
    was_training = model.training
    model.eval()
    total, correct, classifier = 0.0, 0, True
    try:
        with no_grad():
            for xb, yb in batches(x, y, batch_size=batch_size):
                out = model(Tensor(xb))
                total += float(loss_fn(out, yb).item()) * len(yb)
                hits = _hits(out.data, yb)
                classifier = classifier and hits is not None
                correct += hits or 0
    finally:
        model.train(was_training)
    metrics = {"loss": total / len(y)}
    if classifier:
        metrics["accuracy"] = correct / len(y)
    return metrics


def _hits(out: np.ndarray, labels: np.ndarray) -> int | None:
    """How many rows of `out` have their largest score at the right class, or None when this is
    not a classification (one output column, or labels that are not classes)."""
    if out.ndim != 2 or out.shape[1] < 2:
        return None
    if labels.ndim == 1 and labels.dtype.kind in "iu":
        return int((out.argmax(axis=1) == labels).sum())
    if labels.shape == out.shape:
        return int((out.argmax(axis=1) == labels.argmax(axis=1)).sum())
    return None


def _samples(x, y, where: str) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim == 0 or y.ndim == 0 or len(x) != len(y):
        raise ValueError(
            f"{where}: inputs and targets need one row per example, got shapes {x.shape} and "
            f"{y.shape}"
        )
    if len(x) == 0:
        raise ValueError(f"{where}: there are no examples (inputs of shape {x.shape})")
    return x, y


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
    x, y = _samples(x, y, "fit")
    integer(epochs, "fit", "epochs", low=1)
    integer(batch_size, "fit", "batch_size", low=1)
    generator(rng, "fit")
    if validation is not None:
        if not isinstance(validation, tuple | list) or len(validation) != 2:
            raise TypeError("fit: validation must be a pair (inputs, targets)")
        validation = _samples(*validation, "fit (validation)")
    if patience is not None:
        integer(patience, "fit", "patience", low=1)
        if validation is None:
            raise ValueError(
                "fit: patience (early stopping) watches the validation loss; pass "
                "validation=(x_val, y_val) too"
            )
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
            row.update(val_loss=metrics["loss"], val_accuracy=metrics.get("accuracy"))
        row["seconds"] = time.perf_counter() - start
        history.append(row)
        if patience is not None and validation is not None:
            if row["val_loss"] < best:
                best, best_state, waited = row["val_loss"], model.state_dict(), 0
            else:
                waited += 1  # a NaN loss is never better
                if waited >= patience:
                    if best_state is not None:
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
    _space(grid, "grid_search", callables=False)
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
    _space(space, "random_search", callables=True)
    integer(n, "random_search", "n", low=1)
    generator(rng, "random_search")
    rows = []
    for _ in range(n):
        params = {
            k: (v(rng) if callable(v) else v[int(rng.integers(len(v)))]) for k, v in space.items()
        }
        rows.append({**params, **train(**params)})
    return rows


def _space(space, where: str, callables: bool) -> None:
    """Each entry a non-empty list or tuple of values (or, where allowed, a function of rng)."""
    if not isinstance(space, dict) or not space:
        raise TypeError(f"{where}: expected a non-empty dict of parameter names to values")
    for name, values in space.items():
        if callables and callable(values):
            continue
        if not isinstance(values, list | tuple) or not values:
            kinds = "a non-empty list of values" + (" or a function of rng" if callables else "")
            raise TypeError(f"{where}: {name!r} must be {kinds}, got {values!r:.40}")


def format_table(rows: list[dict], sort_by: str | None = None, descending: bool = True) -> str:
    """A markdown table of search results, optionally sorted by one column (rows may differ
    in their keys: every key is a column, missing cells are blank)."""
    if not rows:
        return "(no results)"
    columns = list(dict.fromkeys(k for r in rows for k in r))
    if sort_by is not None:
        if sort_by not in columns:
            raise KeyError(f"format_table: no column {sort_by!r}; the columns are {columns}")
        numeric = [r for r in rows if _is_number(r.get(sort_by))]
        rest = [r for r in rows if not _is_number(r.get(sort_by))]  # NaN, None, text: last
        rows = sorted(numeric, key=lambda r: r[sort_by], reverse=descending) + rest
    cell = lambda v: "" if v is None else f"{v:.4g}" if isinstance(v, float) else str(v)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(r.get(c)) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def _is_number(value) -> bool:
    return (
        isinstance(value, int | float | np.number)
        and not isinstance(value, bool)
        and (value == value)
    )
