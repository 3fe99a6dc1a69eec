"""Misuse table, the rest: grad-mode decorators, numerical differentiation, MNIST settings,
the lab's instruments, and the demos' and the tour's options."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, numerical
from minigrad.data import load_mnist
from minigrad.lab import Monitor, layer_jacobian_singular_values
from tests.misuse import bad, cli_error, good, ids, minigrad_command, run


def _async_decorated():
    @mg.no_grad()
    async def step(x):
        return x * 2

    return step


def _bare_decorator():
    @mg.no_grad
    def double(x):
        return x * 2

    return double(mg.tensor(1.0, requires_grad=True)).requires_grad


def _generator_decorated():
    @mg.no_grad()
    def values(x):
        yield (x * 2).requires_grad
        yield (x * 3).requires_grad

    return list(values(mg.tensor(1.0, requires_grad=True)))


def _jacobian_in_train_mode():
    rng = np.random.default_rng(0)
    block = nn.Sequential(nn.Linear(3, 3, rng=rng), nn.BatchNorm1d(3))
    before = block[1].running_mean.data.copy()
    layer_jacobian_singular_values([block], rng.standard_normal((4, 3)))
    return block.training and np.array_equal(block[1].running_mean.data, before)


def _shared_activation():
    rng = np.random.default_rng(0)
    act = nn.Tanh()
    return Monitor(nn.Sequential(nn.Linear(2, 2, rng=rng), act, nn.Linear(2, 2, rng=rng), act))


def _stale_parts(tmp):
    from minigrad.data import mnist

    name = "t10k-labels-idx1-ubyte.gz"
    dead = tmp / f".{name}.999999999.abc.part"  # no such process
    mine = tmp / f".{name}.{os.getpid()}.abc.part"  # a download under way in this process
    dead.write_bytes(b"x")
    mine.write_bytes(b"x")
    mnist._remove_stale_parts(tmp, name)
    return not dead.exists() and mine.exists()


CASES = [
    bad("mode/async", _async_decorated, TypeError, "cannot decorate the async function 'step'"),
    bad("mode/decorate-int", lambda: mg.no_grad()(3), TypeError, "decorates a function"),
    good("mode/bare-decorator", _bare_decorator, lambda rg: rg is False),
    good("mode/generator", _generator_decorated, lambda flags: flags == [False, False]),
    good(
        "mode/restored",
        lambda: (_generator_decorated(), mg.is_grad_enabled())[1],
        lambda on: on is True,
    ),
    bad(
        "numerical/not-a-list",
        lambda: numerical.jacobian(np.sin, np.ones(2)),
        TypeError,
        r"one array per argument.*\[x\], not x",
    ),
    bad(
        "numerical/direction-shape",
        lambda: numerical.jvp(np.sin, [np.zeros(3)], [np.ones((2, 3))]),
        ValueError,
        "directions must have the inputs' shapes",
    ),
    bad(
        "numerical/eps-zero",
        lambda: numerical.jacobian(np.sin, [np.ones(2)], eps=0),
        ValueError,
        "eps",
    ),
    bad(
        "numerical/method",
        lambda: numerical.jacobian(np.sin, [np.ones(2)], method="left"),
        ValueError,
        "method must be one of",
    ),
    bad(
        "numerical/sweep-shape",
        lambda: numerical.eps_sweep(np.sin, np.ones(2), np.ones(3)),
        ValueError,
        "derivative has 3 elements but f\\(x\\) has 2",
    ),
    bad(
        "mnist/int8",
        lambda: load_mnist(dtype=np.int8, normalize=False, download=False),
        ValueError,
        "pixels are 0..255, which int8 cannot hold",
    ),
    bad(
        "mnist/normalize-int",
        lambda: load_mnist(dtype=np.uint8, download=False),
        ValueError,
        "normalize=True needs a float dtype",
    ),
    bad(
        "mnist/split",
        lambda: load_mnist(split="60/10", download=False),
        ValueError,
        "unknown split",
    ),
    bad(
        "lab/saturation-kind",
        lambda: Monitor(nn.Sequential(nn.Sigmoid()), saturation="sigmoid"),
        ValueError,
        "saturation must be one of 'logistic', 'tanh', 'softsign'",
    ),
    good("lab/jacobian-eval-mode", _jacobian_in_train_mode, lambda ok: ok),
    bad(
        "lab/shared-activation",
        _shared_activation,
        ValueError,
        r"layer '1' is one module used in 2 places \(1, 3\)",
    ),
    good(
        "demo/quickstart",
        lambda: minigrad_command("run", "quickstart"),
        lambda r: r.returncode == 0 and "reverse mode:  df/dw = 0.2500" in r.stdout,
    ),
    good(
        "demo/layers-zero",
        lambda: minigrad_command("run", "vanishing_chain", "--quick", "--layers", "0"),
        lambda r: cli_error(r, re.escape("--layers: expected a whole number >= 1, got '0'")),
    ),
    good(
        "demo/lr-negative",
        lambda: minigrad_command("run", "dropout", "--quick", "--lr", "-1"),
        lambda r: cli_error(r, re.escape("--lr: expected a number > 0, got '-1'")),
    ),
    good(
        "demo/seed-negative",
        lambda: minigrad_command("run", "activations", "--seed", "-2"),
        lambda r: cli_error(r, re.escape("--seed: expected a whole number >= 0")),
    ),
    good(
        "demo/level",
        lambda: minigrad_command("run", "batchnorm", "--quick", "--level", "2"),
        lambda r: cli_error(r, re.escape("--level: expected a number in (0, 1]")),
    ),
    good(
        "tour/out-under-a-file",
        lambda: minigrad_command("tour", "--out", __file__ + "/report"),
        lambda r: cli_error(r, re.escape("it is not a folder")),
    ),
]


def test_killed_download_leaves_nothing_behind(tmp_path):
    assert _stale_parts(tmp_path)


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_misuse(case, monkeypatch, tmp_path):
    monkeypatch.setenv("MINIGRAD_MNIST", str(tmp_path))  # no MNIST: the checks come first
    run(case)
