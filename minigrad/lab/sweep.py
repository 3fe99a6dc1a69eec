"""Sweeps over a function's keyword options, through joblib (local cores) or a Dask cluster; the
results stream to a JSON-lines file, one line per finished run, so a stopped sweep resumes."""

from __future__ import annotations

import hashlib
import inspect
import itertools
import json
import math
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

BACKENDS = ("loky", "dask")


def key(config: dict) -> str:
    """The hash of a configuration's canonical JSON (sorted keys, no spaces)."""
    text = json.dumps(config, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def sweep(
    run: Callable[..., object],
    grid: dict[str, Sequence] | None = None,
    samples: int | None = None,
    *,
    seeds: Sequence[int] | None = (0,),
    path: str | Path,
    n_jobs: int = 1,
    backend: str = "loky",
    scheduler=None,
    rng: np.random.Generator | None = None,
) -> list[dict]:
    """Run `run(**config)` for every configuration of `grid` (all combinations, or `samples`
    of them drawn without replacement) times every seed (passed as `seed=`; `seeds=None` passes
    none). A result is JSON: numbers (NaN and inf become null), strings, booleans, None, and
    lists and string-keyed dicts of them. Each finished run appends a line `{"key", "config",
    "result", "seconds"}` to the JSON-lines file `path`; configurations whose key is already
    there are skipped. `backend="dask"` runs on the Dask cluster at `scheduler` (an address or a
    cluster; None starts a local one), whose workers replace `n_jobs`.

    Returns the rows (see `table`) of the requested configurations, in grid order.

    >>> import tempfile, os
    >>> out = os.path.join(tempfile.mkdtemp(), "r.jsonl")
    >>> rows = sweep(fit, {"depth": [1, 2]}, seeds=[0], path=out)
    >>> [(r["depth"], r["seed"]) for r in rows]
    [(1, 0), (2, 0)]
    """
    configs = configurations(run, grid, samples, seeds=seeds, rng=rng)
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1:
        raise ValueError(
            f"sweep: n_jobs must be a whole number >= 1 or -1 (all cores), got {n_jobs!r}"
        )
    if backend not in BACKENDS:
        raise ValueError(f"sweep: backend must be one of {BACKENDS}, got {backend!r}")
    if scheduler is not None and backend != "dask":
        raise ValueError(f"sweep: a scheduler is for backend='dask', not {backend!r}")
    path = Path(path)
    done = {line["key"] for line in _read(path, repair=True)}
    todo = [c for c in configs if key(c) not in done]
    if todo:
        _run_all(run, todo, path, n_jobs, backend, scheduler)
    by_key = {line["key"]: line for line in _read(path)}
    return [_row(by_key[key(c)]) for c in configs]


def configurations(
    run: Callable[..., object],
    grid: dict[str, Sequence] | None,
    samples: int | None = None,
    *,
    seeds: Sequence[int] | None = (0,),
    rng: np.random.Generator | None = None,
) -> list[dict]:
    """The configurations `sweep` runs, checked against `run`'s signature."""
    if grid is None:
        grid = {}
    if not isinstance(grid, dict):
        raise TypeError(f"sweep: grid must be a dict of option -> list of values, got {grid!r}")
    grid = {name: list(_values(name, values)) for name, values in grid.items()}
    if seeds is not None:
        if "seed" in grid:
            raise ValueError("sweep: give the seeds as seeds=[...], not as a grid option 'seed'")
        grid_seeds = list(_values("seeds", seeds))
        if not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in grid_seeds):
            raise ValueError(f"sweep: seeds must be whole numbers >= 0, got {grid_seeds!r}")
    if not grid and seeds is None:
        raise ValueError("sweep: the grid is empty and there are no seeds: nothing to run")
    _check_names(run, [*grid, *(["seed"] if seeds is not None else [])])
    combos = [dict(zip(grid, values, strict=True)) for values in itertools.product(*grid.values())]
    if samples is not None:
        if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
            raise ValueError(f"sweep: samples must be a whole number >= 1, got {samples!r}")
        if samples > len(combos):
            raise ValueError(
                f"sweep: samples={samples} but the grid has only {len(combos)} configurations"
            )
        if rng is None:
            from minigrad.rng import default_generator

            rng = default_generator()
        picks = rng.choice(len(combos), size=samples, replace=False)
        combos = [combos[i] for i in sorted(picks)]
    if seeds is None:
        return combos
    return [{**c, "seed": s} for c in combos for s in grid_seeds]


def _values(name: str, values) -> list:
    if isinstance(values, str | bytes | dict) or not isinstance(values, Sequence | np.ndarray):
        raise TypeError(f"sweep: {name} must be a list of values, got {values!r}")
    values = list(values.tolist() if isinstance(values, np.ndarray) else values)
    if not values:
        raise ValueError(f"sweep: {name} has no values")
    texts = []
    for v in values:
        _check_json(v, f"sweep: a value of {name}")
        texts.append(json.dumps(v, sort_keys=True))
    repeated = [t for i, t in enumerate(texts) if t in texts[:i]]
    if repeated:
        raise ValueError(f"sweep: {name} lists {repeated[0]} more than once")
    return values


def _check_json(value, what: str) -> None:
    """JSON numbers (finite), strings, booleans, None, and lists and string-keyed dicts of them."""
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{what} is not JSON ({type(value).__name__} {value!r}): {err}") from None
    if json.loads(text) != value or _has_tuple(value):
        raise TypeError(
            f"{what} does not survive a JSON round trip ({value!r} comes back as {text}); "
            "use lists, string-keyed dicts, str, int, float, bool or None"
        )


def _has_tuple(value) -> bool:
    if isinstance(value, tuple):
        return True
    if isinstance(value, list):
        return any(_has_tuple(v) for v in value)
    if isinstance(value, dict):
        return any(_has_tuple(v) for v in value.values())
    return False


def _check_names(run, names: list[str]) -> None:
    if not callable(run):
        raise TypeError(f"sweep: run must be a function, got {type(run).__name__}")
    try:
        params = inspect.signature(run).parameters
    except (TypeError, ValueError):
        return  # no signature to check against: the call will tell
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return
    accepted = [n for n, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    unknown = [n for n in names if n not in accepted]
    if unknown:
        raise ValueError(
            f"sweep: {getattr(run, '__name__', run)} has no option(s) {', '.join(unknown)}; "
            f"its options are: {', '.join(accepted) or '(none)'}"
            + (
                "; pass seeds=None (--seeds none) for a function without a seed"
                if "seed" in unknown
                else ""
            )
        )


def _call(run, config: dict) -> tuple[dict, object, float]:
    start = time.perf_counter()
    result = run(**config)
    return config, result, time.perf_counter() - start


def _run_all(run, todo: list[dict], path: Path, n_jobs: int, backend: str, scheduler) -> None:
    try:
        import joblib

        if backend == "dask":
            from distributed import Client
    except ImportError as err:
        raise ImportError(
            f"sweep needs the sweep extra ({err}): pip install minigrad[sweep]"
        ) from None
    jobs = (joblib.delayed(_call)(run, c) for c in todo)
    if backend == "dask":  # n_jobs: the cluster's workers
        with Client(scheduler) as _, joblib.parallel_config(backend="dask"):
            _stream(joblib.Parallel(return_as="generator_unordered")(jobs), run, path)
    else:
        parallel = joblib.Parallel(n_jobs=n_jobs, backend="loky", return_as="generator_unordered")
        _stream(parallel(jobs), run, path)


def _stream(results, run, path: Path) -> None:
    """Append each run's line as it finishes (flushed), so a killed sweep loses only its
    unfinished runs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for config, result, seconds in results:
        result = _finite(result)
        call = ", ".join(f"{k}={v!r}" for k, v in config.items())
        _check_json(
            result, f"sweep: {getattr(run, '__name__', 'run')}({call}) returned a result that"
        )
        line = {"key": key(config), "config": config, "result": result, "seconds": seconds}
        with path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(line, allow_nan=False) + "\n")


def _finite(value):
    """NaN and +-inf -> None, in nested lists and dicts too."""
    # NOTE: a diverged run's NaN loss is written as null: JSON has no NaN, and a sweep over
    # learning rates should not stop at the first one that diverges.
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    return value


def _read(path: Path, repair: bool = False) -> list[dict]:
    """The lines of a results file. A final line cut short (no newline, not JSON) is skipped with
    a warning, and with `repair` cut off the file; garbage elsewhere raises."""
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    out = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as err:
            if n == len(lines):  # the last line, without its newline: a run cut off mid-write
                warnings.warn(
                    f"{path}, line {n}: skipping a truncated last line ({err})", stacklevel=3
                )
                if repair:
                    text = text[: len(text) - len(line)]
                    path.write_text(text, encoding="utf-8")
                break
            raise ValueError(f"{path}, line {n}: not JSON ({err}): {line[:80]!r}") from None
        if not isinstance(record, dict) or set(record) != {"key", "config", "result", "seconds"}:
            raise ValueError(
                f"{path}, line {n}: not a sweep result (expected an object with key, config, "
                f"result, seconds): {line[:80]!r}"
            )
        if not isinstance(record["config"], dict) or record["key"] != key(record["config"]):
            raise ValueError(f"{path}, line {n}: its key does not match its config")
        out.append(record)
    if repair and text and not text.endswith("\n"):
        with path.open("a", encoding="utf-8") as f:
            f.write("\n")  # a complete last line without its newline: appends start afresh
    return out


def _row(record: dict) -> dict:
    row = dict(record["config"])
    result = record["result"]
    fields = result if isinstance(result, dict) else {"result": result}
    for name, value in fields.items():
        row[f"result.{name}" if name in row else name] = value
    row["seconds"] = record["seconds"]
    return row


def table(path: str | Path) -> list[dict]:
    """The results file as rows, in the order the runs finished: the options, then the result's
    fields (a result that is not a dict is the field `result`; a field named like an option is
    `result.NAME`), then `seconds`."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"table: no results file {path}")
    return [_row(record) for record in _read(path)]


def format_table(rows: list[dict]) -> str:
    """Rows as an aligned text table (numbers to 4 significant digits)."""
    columns = list(dict.fromkeys(name for row in rows for name in row))

    def cell(v) -> str:
        return (
            f"{v:.4g}"
            if isinstance(v, float)
            else json.dumps(v)
            if isinstance(v, list | dict)
            else str(v)
        )

    cells = [[cell(row.get(c, "")) for c in columns] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    lines = [columns, *cells]
    return "\n".join(
        "  ".join(s.ljust(w) for s, w in zip(r, widths, strict=True)).rstrip() for r in lines
    )


def plot(path: str | Path, x: str, y: str, by: str | None = None, out: str | Path | None = None):
    """`y` against `x` from a results file, one line per value of `by`: the mean over the rows
    that share them (seeds, other options), each row a faint dot. Returns the Figure; `out` saves
    it."""
    from minigrad.lab.plots import pyplot, save_figure

    rows = table(path)
    for name in (x, y, by):
        if name is not None and not any(name in r for r in rows):
            names = sorted({n for r in rows for n in r})
            raise ValueError(f"plot: no column {name!r} in {path}; the columns are {names}")
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 3.5))
    groups: dict = {}
    for r in rows:
        if x in r and y in r and isinstance(r[y], int | float) and math.isfinite(r[y]):
            groups.setdefault(json.dumps(r.get(by)), []).append(r)
    for label, members in groups.items():
        xs = list(dict.fromkeys(r[x] for r in members))
        numeric = all(isinstance(v, int | float) for v in xs)
        xs = sorted(xs) if numeric else xs
        pos = xs if numeric else list(range(len(xs)))
        means = [np.mean([r[y] for r in members if r[x] == v]) for v in xs]
        name = f"{by}={json.loads(label)}" if by else None
        (line,) = ax.plot(pos, means, marker="o", label=name)
        dots = [(pos[xs.index(r[x])], r[y]) for r in members]
        ax.scatter(*zip(*dots, strict=True), color=line.get_color(), alpha=0.3, s=12)
        if not numeric:
            ax.set_xticks(pos, [str(v) for v in xs])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    if by:
        ax.legend(fontsize=8)
    if out is not None:
        save_figure(fig, out)
    return fig


def fit(
    depth: int = 2,
    width: int = 8,
    activation: str = "tanh",
    lr: float = 0.1,
    steps: int = 10,
    seed: int = 0,
) -> dict:
    """A tiny sweepable experiment: `steps` of SGD of an MLP on a fixed regression problem;
    returns the first and last losses."""
    import minigrad as mg
    from minigrad import nn

    rng = np.random.default_rng(seed)
    x = mg.tensor(rng.standard_normal((32, 4)))
    t = mg.tensor(np.sin(x.data.sum(axis=1, keepdims=True)))
    act = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid}[activation]
    layers, n = [], 4
    for _ in range(depth):
        layers += [nn.Linear(n, width, rng=rng), act()]
        n = width
    model = nn.Sequential(*layers, nn.Linear(n, 1, rng=rng))
    losses = []
    for _ in range(steps):
        loss = ((model(x) - t) ** 2).mean()
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= lr * p.grad
        losses.append(float(loss.item()))
    return {"first_loss": losses[0], "loss": losses[-1]}
