"""What recorded ops keep for backward (minigrad/autodiff/saved.py): only what their rules read,
and nothing large after a backward pass that does not retain the graph."""

from __future__ import annotations

import gc
import itertools
import tracemalloc
import weakref

import numpy as np
import pytest

import minigrad as mg
from minigrad import viz
from minigrad.autodiff.graph import Primitive
from minigrad.autodiff.saved import SMALL, Released, _plan
from minigrad.ops import PRIMITIVES

N = 3 * SMALL  # large enough to be released


def big(seed: int = 0, requires_grad: bool = True) -> mg.Tensor:
    data = np.random.default_rng(seed).standard_normal(N)
    return mg.tensor(data, requires_grad=requires_grad)


def gone(t) -> weakref.ref:
    """A weak reference to `t`, taken so that the caller can drop its own reference."""
    return weakref.ref(t)


@pytest.mark.parametrize("kind", PRIMITIVES, ids=lambda k: k.__name__)
def test_every_declaration_names_parameters_of_the_forward(kind):
    for n in range(1, 4):
        for needs in itertools.combinations(range(3), n):
            kept, _ = _plan(kind, needs)  # raises if `saves` names something unknown
            assert kept is None or kept <= set(range(3))


def test_unread_intermediates_are_not_kept_alive_by_the_graph():
    x = big()
    y = x * 2.0  # read by nobody below: add reads nothing, tanh reads only its output
    z = y + 1.0
    w = z.tanh()
    loss = (w * 3.0).sum()
    refs = [gone(y), gone(z), gone(w)]
    del y, z, w
    gc.collect()
    assert [r() for r in refs] == [None, None, None]
    loss.backward()
    t = np.tanh(2 * x.data + 1)
    np.testing.assert_allclose(x.grad.data, 3 * (1 - t * t) * 2)


def test_an_intermediate_that_a_rule_reads_is_kept():
    x = big()
    y = x * 2.0
    loss = (y * x).sum()  # multiply reads y for the derivative in x
    ref = gone(y)
    del y
    gc.collect()
    assert ref() is not None
    loss.backward()
    np.testing.assert_allclose(x.grad.data, 4 * x.data)


def test_backward_lets_go_of_the_saved_output_and_a_second_backward_says_why():
    x = big()
    w = x.tanh()
    tanh_node = w._op
    assert tanh_node.ans is w.data
    loss = (w * 3.0).sum()
    del w
    loss.backward()
    assert tanh_node.ans is None and tanh_node.freed
    with pytest.raises(RuntimeError, match="already freed.*retain_graph=True"):
        loss.backward()


def test_retain_graph_keeps_everything_for_a_second_pass():
    x = big()
    loss = ((x * 2.0).tanh() * 3.0).sum()
    loss.backward(retain_graph=True)
    first = x.grad.data.copy()
    loss.backward()
    np.testing.assert_allclose(x.grad.data, 2 * first)


def test_held_graph_memory_is_what_the_rules_read():
    """30 ops on 100,000 float64 (10 of them tanh, whose outputs the rules read): the graph
    holds about those 10 arrays, not all 30 (it held 30 before ops declared `saves`)."""
    x = mg.tensor(np.random.default_rng(0).standard_normal(100_000), requires_grad=True)
    nbytes = x.data.nbytes

    def chain():
        y = x
        for k in range(30):
            y = y * 1.0001 if k % 3 == 0 else (y + 0.5 if k % 3 == 1 else y.tanh())
        return y

    gc.collect()
    tracemalloc.start()
    try:
        y = chain()  # noqa: F841  (held: the graph is alive)
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert 10 * nbytes <= held <= 12 * nbytes, held / nbytes


def test_a_rule_that_reads_what_it_did_not_declare_raises():
    class Careless(Primitive, register=False):
        __slots__ = ()
        name = "careless"
        saves = ""  # wrong: the rule reads x

        def forward(self, x):
            return np.sin(x)

        def vjp(self, xp, i, g, ans, x):
            return g * xp.cos(x)

    x = big()
    y = x * 1.0
    loss = Careless()(y).sum()
    del y
    with pytest.raises(RuntimeError, match="did not save.*declare it in the primitive's `saves`"):
        loss.backward()


def test_a_declaration_that_names_no_parameter_is_refused():
    class Typo(Primitive, register=False):
        __slots__ = ()
        name = "typo"
        saves = "z"

        def forward(self, x):
            return x * 2

        def vjp(self, xp, i, g, ans, x):
            return 2 * g

    with pytest.raises(TypeError, match=r"Typo.saves names \['z'\].*\['x'\] nor 'ans'"):
        Typo()(big())


def test_hooks_and_retain_grad_work_on_tensors_the_graph_released():
    x = big()
    y = x * 2.0
    z = y + 1.0  # releases y
    seen = []
    y.register_hook(lambda g: seen.append(g.data.copy()))  # after the release
    h = z.tanh()
    z.retain_grad()
    loss = h.sum()
    loss.backward()
    t = np.tanh(2 * x.data + 1)
    np.testing.assert_allclose(seen[0], 1 - t * t)
    np.testing.assert_allclose(z.grad.data, 1 - t * t)


def test_a_hook_on_a_dropped_tensor_still_fires():
    x = big()
    y = x * 2.0
    seen = []
    y.register_hook(lambda g: seen.append(True))
    loss = (y + 1.0).sum()
    del y
    gc.collect()
    loss.backward()
    assert seen == [True]


def test_gradients_with_respect_to_released_intermediates():
    x = big()
    y = x * 2.0
    loss = (y + 1.0).tanh().sum()
    (gy,) = mg.autograd.grad(loss, [y])
    t = np.tanh(2 * x.data + 1)
    np.testing.assert_allclose(gy.data, 1 - t * t)


def test_second_order_through_released_nodes():
    """create_graph rules read the saved output through a handle that holds it."""
    x = big()
    loss = ((x * 2.0 + 1.0).tanh()).sum()
    (g,) = mg.autograd.grad(loss, [x], create_graph=True)
    g.sum().backward()
    t = np.tanh(2 * x.data + 1)
    np.testing.assert_allclose(x.grad.data, 2 * -2 * t * (1 - t * t) * 2)


def test_grad_fn_inputs_give_the_users_tensor_while_it_is_held():
    x = big()
    y = x * 2.0
    z = y + 1.0
    assert z.grad_fn.inputs[0] is y
    del y
    gc.collect()
    handle = z.grad_fn.inputs[0]
    assert isinstance(handle, Released) and handle.shape == (N,)
    assert repr(handle) == f"tensor(<values released>, shape=({N},), dtype=float64)"


def test_drawings_replay_values_the_graph_released():
    x = big()
    y = x * 2.0
    z = (y + 1.0).sum()
    del y
    source = viz.draw(z).source
    expected = 2 * x.data
    assert f"mean {expected.mean():.2g}" in source  # the released node, recomputed


def test_drawings_after_backward_replay_from_the_leaves_or_say_which_values_are_gone():
    x = big()
    z = ((x * 2.0).tanh() * 3.0).sum()
    z.backward()
    assert "freed" not in viz.draw(z).source  # recomputed from x, which the graph keeps
    scale = np.random.default_rng(1).standard_normal(N)  # a NumPy constant: the graph's copy
    z = ((x * scale).tanh() * 3.0).sum()
    z.backward()
    assert "freed by backward()" in viz.draw(z).source
    with pytest.raises(RuntimeError, match="freed by backward\\(\\).*retain_graph=True"):
        viz.draw(z, view="backward")


def test_drawings_do_not_replay_values_after_an_optimiser_step():
    x = big()
    z = ((x * 2.0).tanh() * 3.0).sum()
    z.backward()
    mg.optim.SGD([x], lr=0.1).step()
    source = viz.draw(z).source
    assert "not kept, inputs changed" in source


def test_small_graphs_keep_their_values_for_drawings_after_backward():
    a = mg.tensor(2.0, requires_grad=True, name="a")
    b = mg.tensor(-3.0, requires_grad=True, name="b")
    L = (a * b + a).tanh()
    L.backward()
    source = viz.draw(L, view="backward").source
    assert "freed" not in source and "grad" in source
