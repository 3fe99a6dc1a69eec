"""minigrad.lab.sweep and `minigrad sweep`: grids and samples, the JSON-lines results file, resume
after a crash or a SIGKILL, a real Dask cluster, bad inputs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from minigrad.cli import main
from minigrad.lab.sweep import configurations, fit, format_table, key, plot, sweep, table

pytest.importorskip("joblib", reason="the sweep extra: pip install -e .[sweep]")


def square(x: int, scale: float = 1.0, seed: int = 0) -> dict:
    """A run that is instant and whose result says which configuration made it."""
    return {"y": scale * x * x + seed, "pid": os.getpid()}


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_grid_runs_every_combination_once_and_streams_json_lines(tmp_path):
    out = tmp_path / "r.jsonl"
    rows = sweep(square, {"x": [1, 2, 3], "scale": [1.0, 2.0]}, seeds=[0, 1], path=out, n_jobs=2)
    assert len(rows) == 12
    assert [(r["x"], r["scale"], r["seed"]) for r in rows[:3]] == [
        (1, 1.0, 0),
        (1, 1.0, 1),
        (1, 2.0, 0),
    ]
    assert all(r["y"] == r["scale"] * r["x"] ** 2 + r["seed"] for r in rows)
    records = lines(out)
    assert len(records) == 12 and len({r["key"] for r in records}) == 12
    for r in records:
        assert set(r) == {"key", "config", "result", "seconds"}
        assert r["key"] == key(r["config"]) and r["seconds"] >= 0
    # the key is the configuration's, whatever the order of its options
    assert key({"a": 1, "b": [2, "c"]}) == key({"b": [2, "c"], "a": 1})
    assert key({"a": 1}) != key({"a": 1.5})
    assert sorted(table(out), key=json.dumps) == sorted(rows, key=json.dumps)


def test_a_second_sweep_over_the_same_file_runs_nothing_again(tmp_path):
    out = tmp_path / "r.jsonl"
    sweep(square, {"x": [1, 2]}, seeds=[0], path=out)
    before = out.read_text()
    calls = []

    def counting(x, seed):
        calls.append((x, seed))
        return square(x, seed=seed)

    rows = sweep(counting, {"x": [1, 2, 3]}, seeds=[0], path=out)
    assert calls == [(3, 0)]
    assert out.read_text().startswith(before)
    assert [r["x"] for r in rows] == [1, 2, 3]


def test_random_sample_draws_distinct_grid_points_for_every_seed(tmp_path):
    grid = {"x": list(range(10)), "scale": [1.0, 2.0, 3.0]}
    a = configurations(square, grid, 5, seeds=[0, 1], rng=np.random.default_rng(3))
    b = configurations(square, grid, 5, seeds=[0, 1], rng=np.random.default_rng(3))
    c = configurations(square, grid, 5, seeds=[0, 1], rng=np.random.default_rng(4))
    assert a == b and a != c
    points = [(p["x"], p["scale"]) for p in a]
    assert len(a) == 10 and len(set(points)) == 5 and points[0] == points[1]
    assert all(p["scale"] in grid["scale"] and p["x"] in grid["x"] for p in a)
    with pytest.raises(ValueError, match="samples=31 but the grid has only 30"):
        configurations(square, grid, 31)
    rows = sweep(
        square, grid, 4, seeds=[7], path=tmp_path / "r.jsonl", rng=np.random.default_rng(3)
    )
    assert [(r["x"], r["scale"], r["seed"]) for r in rows] == [
        (p["x"], p["scale"], 7)
        for p in configurations(square, grid, 4, seeds=[7], rng=np.random.default_rng(3))
    ]


def test_a_crashed_sweep_resumes_where_it_stopped(tmp_path):
    out = tmp_path / "r.jsonl"
    calls = []

    def flaky(x, seed):
        calls.append(x)
        if len(calls) == 4:
            raise RuntimeError("out of memory")
        return {"y": x}

    with pytest.raises(RuntimeError, match="out of memory"):
        sweep(flaky, {"x": list(range(6))}, seeds=[0], path=out)
    assert [r["config"]["x"] for r in lines(out)] == [0, 1, 2]
    rows = sweep(flaky, {"x": list(range(6))}, seeds=[0], path=out)
    assert calls == [0, 1, 2, 3, 3, 4, 5]
    assert [r["y"] for r in rows] == list(range(6))


def test_a_sweep_killed_with_sigkill_resumes_without_repeating_a_run(tmp_path):
    (tmp_path / "slow.py").write_text(
        "import time\ndef run(x, seed):\n    time.sleep(0.15)\n    return {'y': x + seed}\n"
    )
    out = tmp_path / "r.jsonl"
    script = textwrap.dedent(f"""
        import sys; sys.path.insert(0, {str(tmp_path)!r})
        from slow import run
        from minigrad.lab.sweep import sweep
        sweep(run, {{"x": list(range(10))}}, seeds=[0, 1], path={str(out)!r})
    """)
    proc = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and (
        not out.exists() or len(out.read_text().splitlines()) < 3
    ):
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = out.read_text()
    done = [tuple(r["config"].values()) for r in lines(out)]
    assert 3 <= len(done) < 20, "the sweep was not stopped midway"
    calls = []

    def counting(x, seed):
        calls.append((x, seed))
        return {"y": x + seed}

    rows = sweep(counting, {"x": list(range(10))}, seeds=[0, 1], path=out)
    assert out.read_text().startswith(before)
    assert not set(calls) & set(done) and len(calls) + len(done) == 20
    assert len(lines(out)) == 20 and [r["y"] for r in rows] == [
        x + s for x in range(10) for s in (0, 1)
    ]


def needs_dask() -> None:
    """dask and distributed: CI installs them (the dev extra), so there their absence fails
    the test; elsewhere it is skipped with a message saying how to get them."""
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
    except ImportError:
        (pytest.fail if os.environ.get("CI") else pytest.skip)(
            "dask and distributed are not installed: pip install -e .[sweep]"
        )


@pytest.mark.dask
def test_a_dask_cluster_of_two_worker_processes_runs_the_same_sweep(tmp_path):
    needs_dask()
    from distributed import LocalCluster

    out = tmp_path / "r.jsonl"
    grid = {"x": [1, 2, 3], "scale": [1.0, 2.0]}
    with LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        rows = sweep(
            square,
            grid,
            seeds=[0, 1],
            path=out,
            backend="dask",
            scheduler=cluster.scheduler_address,
        )
    assert len(rows) == 12 and all(r["y"] == r["scale"] * r["x"] ** 2 + r["seed"] for r in rows)
    assert os.getpid() not in {r["pid"] for r in rows}, "the runs did not leave this process"
    local = sweep(square, grid, seeds=[0, 1], path=tmp_path / "local.jsonl")
    assert [r["y"] for r in local] == [r["y"] for r in rows]


def test_truncated_last_line_is_skipped_with_a_warning_and_cut_off_on_resume(tmp_path):
    out = tmp_path / "r.jsonl"
    sweep(square, {"x": [1, 2]}, seeds=[0], path=out)
    out.write_text(out.read_text() + '{"key": "ab12", "config": {"x": 3, "se')
    with pytest.warns(UserWarning, match=r"r.jsonl, line 3: skipping a truncated last line"):
        assert [r["x"] for r in table(out)] == [1, 2]
    with pytest.warns(UserWarning, match="truncated"):
        rows = sweep(square, {"x": [1, 2, 3]}, seeds=[0], path=out)
    assert [r["x"] for r in rows] == [1, 2, 3] and len(lines(out)) == 3


@pytest.mark.parametrize(
    "bad, message",
    [
        ("this is not json", r"r.jsonl, line 2: not JSON"),
        ('{"key": "x"}', r"r.jsonl, line 2: not a sweep result"),
        ('{"key": "0", "config": {}, "result": 1, "seconds": 0}', r"line 2: its key does not"),
    ],
)
def test_garbage_before_the_last_line_names_the_file_and_line(tmp_path, bad, message):
    out = tmp_path / "r.jsonl"
    sweep(square, {"x": [1, 2]}, seeds=[0], path=out)
    first, second = out.read_text().splitlines()
    out.write_text(f"{first}\n{bad}\n{second}\n")
    with pytest.raises(ValueError, match=message):
        table(out)
    with pytest.raises(ValueError, match=message):
        sweep(square, {"x": [1, 2]}, seeds=[0], path=out)


def test_hostile_strings_are_just_json(tmp_path):
    out = tmp_path / "r.jsonl"
    names = ['"}\n{"key": "x"', "</script>", "line\nbreak", "é ✓ \\"]

    def echo(name, seed):
        return {"name": name}

    rows = sweep(echo, {"name": names}, seeds=[0], path=out)
    assert [r["name"] for r in rows] == names and len(out.read_text().splitlines()) == 4
    assert [r["name"] for r in table(out)] == names


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (
            dict(grid={"dept": [1]}),
            ValueError,
            "square has no option.* dept; its options are: x, scale, seed",
        ),
        (dict(grid={}, seeds=None), ValueError, "the grid is empty"),
        (dict(grid={"x": []}), ValueError, "x has no values"),
        (dict(grid={"x": 3}), TypeError, "x must be a list of values, got 3"),
        (dict(grid=[("x", [1])]), TypeError, "grid must be a dict"),
        (dict(grid={"x": [object()]}), TypeError, "a value of x is not JSON"),
        (dict(grid={"x": [(1, 2)]}), TypeError, "does not survive a JSON round trip"),
        (dict(grid={"x": [float("nan")]}), TypeError, "a value of x is not JSON"),
        (dict(grid={"x": [1, 2, 1]}), ValueError, "x lists 1 more than once"),
        (dict(grid={"x": [1]}, seeds=[0, 0]), ValueError, "seeds lists 0 more than once"),
        (dict(grid={"x": [1], "seed": [0]}), ValueError, "give the seeds as seeds="),
        (dict(grid={"x": [1]}, seeds=[-1]), ValueError, "seeds must be whole numbers >= 0"),
        (dict(grid={"x": [1]}, samples=0), ValueError, "samples must be a whole number >= 1"),
        (dict(grid={"x": [1]}, n_jobs=0), ValueError, "n_jobs must be a whole number >= 1 or -1"),
        (dict(grid={"x": [1]}, n_jobs=-2), ValueError, "n_jobs must be"),
        (dict(grid={"x": [1]}, n_jobs=1.5), ValueError, "n_jobs must be"),
        (dict(grid={"x": [1]}, backend="spark"), ValueError, "backend must be one of"),
        (dict(grid={"x": [1]}, scheduler="tcp://h:8786"), ValueError, "a scheduler is for"),
    ],
)
def test_bad_arguments_say_what_is_wrong(tmp_path, kwargs, error, message):
    with pytest.raises(error, match=message):
        sweep(square, path=tmp_path / "r.jsonl", **kwargs)
    assert not (tmp_path / "r.jsonl").exists()


def test_a_function_without_seed_needs_seeds_none(tmp_path):
    def noseed(x):
        return x

    with pytest.raises(ValueError, match="pass seeds=None"):
        sweep(noseed, {"x": [1]}, path=tmp_path / "r.jsonl")
    assert not (tmp_path / "r.jsonl").exists()
    rows = sweep(noseed, {"x": [1, 2]}, seeds=None, path=tmp_path / "r.jsonl")
    assert rows[1] == {"x": 2, "result": 2, "seconds": rows[1]["seconds"]}


def test_a_result_that_is_not_json_stops_the_sweep_and_says_which_run(tmp_path):
    def bad(x, seed):
        return {"y": np.float32(x)} if x == 2 else {"y": float("nan") if x == 1 else x}

    with pytest.raises(TypeError, match=r"bad\(x=2, seed=0\) returned a result that is not JSON"):
        sweep(bad, {"x": [1, 2]}, seeds=[0], path=tmp_path / "r.jsonl")
    assert lines(tmp_path / "r.jsonl")[0]["result"] == {"y": None}  # NaN -> null


def test_table_text_and_plot(tmp_path):
    out = tmp_path / "r.jsonl"
    sweep(fit, {"depth": [1, 2], "activation": ["tanh", "relu"]}, seeds=[0, 1], path=out)
    rows = table(out)
    assert all(r["loss"] < r["first_loss"] for r in rows)  # ten steps of SGD learn something
    text = format_table(rows).splitlines()
    assert text[0].split() == ["depth", "activation", "seed", "first_loss", "loss", "seconds"]
    assert len(text) == 9
    fig = plot(out, "depth", "loss", by="activation", out=tmp_path / "loss.png")
    assert (tmp_path / "loss.png").stat().st_size > 1000
    assert sorted(line.get_label() for line in fig.axes[0].lines) == [
        "activation=relu",
        "activation=tanh",
    ]
    with pytest.raises(ValueError, match="no column 'acc'"):
        plot(out, "depth", "acc")
    with pytest.raises(ValueError, match="no results file"):
        table(tmp_path / "none.jsonl")


def test_cli_runs_resumes_and_prints_the_table(tmp_path, capsys):
    out = str(tmp_path / "r.jsonl")
    args = [
        "sweep",
        "minigrad.lab.sweep:fit",
        "--grid",
        "depth=1,2",
        "activation=tanh,relu",
        "lr=0.1",
        "--seeds",
        "0,1",
        "--out",
        out,
        "--n-jobs",
        "2",
    ]
    assert main(args) == 0
    assert "8 runs, 0 already in" in capsys.readouterr().out
    assert main([*args[:6], "--seeds", "0,1,2", "--out", out, "--table"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == f"minigrad.lab.sweep:fit: 12 runs, 8 already in {out}, 4 run now"
    assert printed[1].split() == [
        "depth",
        "activation",
        "lr",
        "seed",
        "first_loss",
        "loss",
        "seconds",
    ]
    assert len(printed) == 1 + 1 + 12
    assert main(["sweep", "--table", "--out", out]) == 0
    assert capsys.readouterr().out.splitlines() == printed[1:]


def test_cli_a_run_that_raises_fails_and_the_next_call_resumes(tmp_path, capsys):
    (tmp_path / "flaky.py").write_text(
        "def run(x, seed):\n    if x == 2:\n        raise RuntimeError('boom')\n    return x\n"
    )
    out = str(tmp_path / "r.jsonl")
    args = ["sweep", f"{tmp_path / 'flaky.py'}:run", "--grid", "x=1,2", "--out", out]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "FAILED: RuntimeError: boom" in err and "run again to resume" in err
    assert [r["x"] for r in table(out)] == [1]


def test_cli_runs_a_demo_function_without_a_seed(tmp_path, capsys):
    out = str(tmp_path / "r.jsonl")
    assert (
        main(["sweep", "activations:sig", "--grid", "x=0,2", "--seeds", "none", "--out", out]) == 0
    )
    assert [r["result"] for r in table(out)] == [0.5, pytest.approx(1 / (1 + np.exp(-2)))]


@pytest.mark.parametrize(
    "args, message",
    [
        (["minigrad.lab.sweep:fit", "--grid", "dept=1"], "fit has no option.* dept"),
        (["minigrad.lab.sweep:fit", "--grid", "depth"], "expected NAME=VALUE,VALUE"),
        (["minigrad.lab.sweep:nope"], "has no 'nope'"),
        ([], "give a FUNCTION to sweep, or --table"),
        (["--table", "--out", "missing.jsonl"], "no results file"),
        (["minigrad.lab.sweep:fit", "--seeds", "0,x"], "expected a whole number >= 0"),
        (["minigrad.lab.sweep:fit", "--n-jobs", "0"], "expected a whole number >= 1"),
        (["minigrad.lab.sweep:fit", "--scheduler", "tcp://h:1"], "--scheduler is for --backend"),
        (["activations:sig", "--grid", "x=1"], r"sig has no option\(s\) seed.*--seeds none"),
    ],
)
def test_cli_usage_errors_are_one_line(tmp_path, monkeypatch, capsys, args, message):
    import re

    monkeypatch.chdir(tmp_path)
    try:
        status = main(["sweep", *args])
    except SystemExit as exit:
        status = exit.code
    assert status == 2
    err = capsys.readouterr().err
    assert re.search(message, err) and len(err.strip().splitlines()) == 1
