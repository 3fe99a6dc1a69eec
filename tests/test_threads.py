"""Threads: grad mode, forward-mode levels and gradient accumulation are safe to use from
several threads at once (each thread has its own mode and levels, as in PyTorch)."""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest

import minigrad as mg


@pytest.fixture(autouse=True)
def switch_often():
    """Make the interpreter switch threads every few microseconds, so that races show."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(previous)


def run_threads(*targets):
    errors = []

    def guarded(target):
        try:
            target()
        except BaseException as err:  # noqa: BLE001 (reported to the test below)
            errors.append(err)

    threads = [threading.Thread(target=guarded, args=(t,)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    if errors:
        raise errors[0]


def test_independent_backward_passes_in_four_threads():
    """4 threads x 2,000 backward passes of different functions: every gradient exact."""
    wrong = []

    def work(seed):
        rng = np.random.default_rng(seed)
        for _ in range(2000):
            a = rng.standard_normal(3)
            x = mg.tensor(a, requires_grad=True)
            y = (x.sin() * x + x.tanh()).sum()
            if seed % 2:
                with mg.no_grad():  # the odd threads switch recording off now and then
                    assert not (x * 2).requires_grad
            y.backward()
            expected = np.cos(a) * a + np.sin(a) + 1 - np.tanh(a) ** 2
            if not np.allclose(x.grad.data, expected, rtol=1e-12):
                wrong.append(seed)

    run_threads(*[lambda s=s: work(s) for s in range(4)])
    assert not wrong


def test_no_grad_in_one_thread_does_not_reach_another():
    entered, checked = threading.Event(), threading.Event()
    seen = {}

    def quiet():
        with mg.no_grad():
            entered.set()
            assert checked.wait(30)
            seen["quiet"] = (mg.tensor(1.0, requires_grad=True) * 2).requires_grad

    def loud():
        assert entered.wait(30)
        seen["loud"] = (mg.tensor(1.0, requires_grad=True) * 2).requires_grad
        checked.set()

    run_threads(quiet, loud)
    assert seen == {"quiet": False, "loud": True}


def test_a_running_backward_does_not_switch_off_recording_elsewhere():
    inside, recorded = threading.Event(), threading.Event()
    seen = {}

    def backward():
        x = mg.tensor(np.ones(3), requires_grad=True)
        y = x * 2

        def hold(g):  # runs during the sweep, while grad mode is off in this thread
            inside.set()
            assert recorded.wait(30)
            seen["in backward"] = mg.is_grad_enabled()

        y.register_hook(hold)
        y.sum().backward()

    def record():
        assert inside.wait(30)
        seen["elsewhere"] = (mg.tensor(1.0, requires_grad=True) * 2).requires_grad
        recorded.set()

    run_threads(backward, record)
    assert seen == {"in backward": False, "elsewhere": True}


def test_dual_levels_are_per_thread():
    opened, checked = threading.Event(), threading.Event()
    seen = {}

    def first():
        with mg.dual_level():
            x = mg.make_dual(mg.tensor(2.0, dtype=np.float64), 1.0)
            opened.set()
            assert checked.wait(30)
            seen["first"] = mg.unpack_dual(x * x).tangent.item()

    def second():
        assert opened.wait(30)
        with pytest.raises(RuntimeError, match="no forward-mode level is open"):
            mg.make_dual(mg.tensor(1.0), 1.0)
        seen["second"] = mg.jvp(lambda t: t**3, (np.float64(2.0),), (np.float64(1.0),))[1].item()
        checked.set()

    run_threads(first, second)
    assert seen == {"first": 4.0, "second": 12.0}


def test_threads_accumulate_into_one_leaf_without_losing_updates():
    x = mg.tensor(np.ones(3), requires_grad=True)

    def work():
        y = (x * 2).sum()
        for _ in range(300):
            y.backward(retain_graph=True)

    run_threads(*[work] * 4)
    np.testing.assert_array_equal(x.grad.data, np.full(3, 2 * 300 * 4))


def test_transforms_and_a_shared_custom_op_graph_in_threads():
    class Cube(mg.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x**2 * g

    x = mg.tensor(np.arange(1.0, 4.0), requires_grad=True)
    out = Cube.apply(x)  # one graph, swept by every thread with its own cotangent
    wrong = []

    def work(seed):
        for _ in range(200):
            out.backward(np.full(3, float(seed)), retain_graph=True)
        for _ in range(50):
            g = mg.grad(lambda t: (t * t).sum())(np.full(2, float(seed)))
            h = mg.hessian(lambda t: (t**3).sum())(np.full(1, float(seed)))
            if g.data[0] != 2 * seed or h.data[0, 0] != 6 * seed:
                wrong.append(seed)

    run_threads(*[lambda s=s: work(s) for s in range(1, 5)])
    assert not wrong
    expected = 200 * (1 + 2 + 3 + 4) * 3 * np.arange(1.0, 4.0) ** 2
    np.testing.assert_array_equal(x.grad.data, expected)
