"""rng=None: minigrad's default generator, seeded by manual_seed (as torch.manual_seed); explicit
Generators are untouched by it."""

import threading

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.rng import default_generator, manual_seed


def test_manual_seed_repeats_randn():
    manual_seed(0)
    a = mg.randn(3)
    manual_seed(0)
    b = mg.randn(3)
    np.testing.assert_array_equal(a.data, b.data)
    manual_seed(1)
    assert not np.array_equal(mg.randn(3).data, a.data)


def test_manual_seed_gives_numpys_stream_and_returns_the_default_generator():
    g = manual_seed(7)
    assert g is default_generator()
    assert isinstance(g, np.random.Generator)
    expected = np.random.default_rng(7).standard_normal(4).astype(np.float32)
    np.testing.assert_array_equal(mg.randn(4).data, expected)


def test_default_generator_is_one_object_reseeded_in_place():
    g = default_generator()
    manual_seed(3)
    first = g.random(2)
    manual_seed(3)
    assert default_generator() is g
    np.testing.assert_array_equal(g.random(2), first)


@pytest.mark.parametrize(
    "make",
    [
        lambda: mg.randn(2, 3),
        lambda: mg.rand(2, 3),
        lambda: mg.randn_like(np.zeros((2, 3))),
        lambda: mg.rand_like(mg.zeros(2, 3)),
        lambda: nn.Linear(3, 2).weight,
        lambda: nn.Maxout(3, 2, 2).linear.weight,
        lambda: nn.init.normal_(nn.Parameter(np.zeros((2, 3)))),
        lambda: nn.init.uniform_(nn.Parameter(np.zeros((2, 3)))),
        lambda: nn.init.standard_(nn.Parameter(np.zeros((2, 3)))),
        lambda: nn.init.xavier_uniform_(nn.Parameter(np.zeros((2, 3)))),
        lambda: nn.init.xavier_normal_(nn.Parameter(np.zeros((2, 3)))),
        lambda: nn.init.kaiming_uniform_(nn.Parameter(np.zeros((2, 3)))),
        lambda: nn.init.kaiming_normal_(nn.Parameter(np.zeros((2, 3)))),
        lambda: nn.init.lecun_uniform_(nn.Parameter(np.zeros((2, 3)))),
        lambda: nn.init.lecun_normal_(nn.Parameter(np.zeros((2, 3)))),
        lambda: nn.init.orthogonal_(nn.Parameter(np.zeros((2, 3)))),
        lambda: nn.Dropout(0.5)(mg.ones(2, 3)),
    ],
    ids=[
        "randn",
        "rand",
        "randn_like",
        "rand_like",
        "Linear",
        "Maxout",
        "normal_",
        "uniform_",
        "standard_",
        "xavier_uniform_",
        "xavier_normal_",
        "kaiming_uniform_",
        "kaiming_normal_",
        "lecun_uniform_",
        "lecun_normal_",
        "orthogonal_",
        "Dropout",
    ],
)
def test_every_random_function_draws_from_the_seeded_default(make):
    manual_seed(5)
    a = make().data.copy()
    b = make().data.copy()  # the stream moved on
    manual_seed(5)
    c = make().data.copy()
    np.testing.assert_array_equal(a, c)
    assert not np.array_equal(a, b)


def test_nielsen_init_without_rng():
    w, b = nn.Parameter(np.zeros((3, 4))), nn.Parameter(np.zeros(3))
    manual_seed(2)
    nn.init.nielsen_(w, b)
    expected = np.random.default_rng(2)
    np.testing.assert_allclose(w.data, expected.normal(0, 0.5, (3, 4)).astype(np.float32))
    np.testing.assert_allclose(b.data, expected.normal(0, 1, 3).astype(np.float32))


def test_linear_without_rng_works_and_trains():
    manual_seed(0)
    layer = nn.Linear(2, 3)
    assert layer.weight.shape == (3, 2) and layer.bias.shape == (3,)
    bound = 1 / np.sqrt(2)
    assert np.all(np.abs(layer.weight.data) <= bound) and np.any(layer.weight.data != 0)
    layer(mg.ones(4, 2)).sum().backward()
    assert layer.weight.grad.shape == (3, 2)


def test_dropout_without_rng_draws_at_call_time():
    drop = nn.Dropout(0.5)
    x = mg.ones(50)
    manual_seed(11)
    first = drop(x).data
    manual_seed(11)
    np.testing.assert_array_equal(drop(x).data, first)
    assert set(np.unique(first)) <= {0.0, 2.0}


@pytest.mark.parametrize(
    "make",
    [
        lambda rng: mg.randn(5, rng=rng).data,
        lambda rng: mg.rand(5, rng=rng).data,
        lambda rng: mg.randn_like(np.zeros(5), rng).data,
        lambda rng: nn.Linear(2, 3, rng=rng).weight.data,
        lambda rng: nn.init.xavier_uniform_(nn.Parameter(np.zeros((2, 3))), rng).data,
        lambda rng: nn.Dropout(0.5, rng=rng)(mg.ones(20)).data,
    ],
    ids=["randn", "rand", "randn_like", "Linear", "xavier_uniform_", "Dropout"],
)
def test_explicit_generator_is_unaffected_by_manual_seed(make):
    expected = make(np.random.default_rng(42))
    manual_seed(0)
    default_before = default_generator().bit_generator.state
    got = make(np.random.default_rng(42))
    np.testing.assert_array_equal(got, expected)
    assert default_generator().bit_generator.state == default_before  # nothing drawn from it
    manual_seed(99)  # reseeding the default never touches an explicit stream
    np.testing.assert_array_equal(make(np.random.default_rng(42)), expected)


def test_explicit_generator_matches_numpy_exactly():
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(
        mg.randn(2, 2, rng=rng, dtype=np.float64).data,
        np.random.default_rng(0).standard_normal((2, 2)),
    )


@pytest.mark.parametrize(
    "seed, kind, match",
    [
        (-1, ValueError, "manual_seed: seed must be a non-negative int, got -1"),
        (1.5, TypeError, "manual_seed: seed must be an int, got float 1.5"),
        (1.0, TypeError, "manual_seed: seed must be an int, got float 1.0"),
        ("0", TypeError, "manual_seed: seed must be an int, got str '0'"),
        (None, TypeError, "manual_seed: seed must be an int, got NoneType None"),
        (True, TypeError, "manual_seed: seed must be an int, got bool True"),
        (float("nan"), TypeError, "manual_seed: seed must be an int, got float nan"),
        (np.random.default_rng(0), TypeError, "seed must be an int, got Generator"),
    ],
    ids=["negative", "float", "integral-float", "str", "None", "bool", "nan", "generator"],
)
def test_bad_seeds(seed, kind, match):
    before = default_generator().bit_generator.state
    with pytest.raises(kind, match=match):
        manual_seed(seed)
    assert default_generator().bit_generator.state == before  # a bad seed changes nothing


def test_numpy_and_big_int_seeds():
    manual_seed(np.int64(3))
    a = mg.rand(2).data
    manual_seed(3)
    np.testing.assert_array_equal(mg.rand(2).data, a)
    manual_seed(2**100)  # NumPy takes any non-negative int
    np.testing.assert_array_equal(
        mg.rand(2, dtype=np.float64).data, np.random.default_rng(2**100).random(2)
    )


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: mg.randn(2, rng=0), r"randn: rng must be a np.random.Generator.*or None.*"),
        (lambda: mg.randn(2, rng=0), r"np.random.default_rng\(0\) or call mg.manual_seed\(0\)"),
        (lambda: mg.rand(2, rng=np.random.RandomState(0)), "RandomState is NumPy's legacy API"),
        (lambda: mg.randn_like(np.ones(2), "seed"), "randn_like: rng must be .*got str"),
        (lambda: mg.rand_like(np.ones(2), [1]), "rand_like: rng must be .*got list"),
        (lambda: nn.Linear(2, 3, rng="x"), "Linear: rng must be a np.random.Generator"),
        (lambda: nn.Maxout(2, 3, 2, rng=1.0), "Maxout: rng must be a np.random.Generator"),
        (lambda: nn.Dropout(0.5, rng=3), "Dropout: rng must be a np.random.Generator"),
        (
            lambda: nn.init.normal_(nn.Parameter(np.zeros(2)), 0.0, 0.02),
            r"init.normal_: rng must be .* got the number 0.0; .*normal_\(t, std=0.02\)",
        ),
        (
            lambda: nn.init.uniform_(nn.Parameter(np.zeros(2)), -1),
            r"init.uniform_: .*pass the other arguments by keyword",
        ),
        (
            lambda: nn.init.xavier_uniform_(nn.Parameter(np.zeros(2)), "rng"),
            "init.xavier_uniform_: rng must be a np.random.Generator",
        ),
        (lambda: nn.init.nielsen_(nn.Parameter(np.zeros((2, 2))), nn.Parameter([0.0]), 3), "rng"),
    ],
    ids=[
        "randn-int",
        "randn-int-hint",
        "rand-legacy",
        "randn_like-str",
        "rand_like-list",
        "linear-str",
        "maxout-float",
        "dropout-int",
        "init-pytorch-order",
        "init-int",
        "init-str",
        "nielsen-int",
    ],
)
def test_bad_generators_are_named(call, match):
    with pytest.raises(TypeError, match=match):
        call()


def test_init_mean_must_be_finite():
    with pytest.raises(ValueError, match="init.normal_: mean must be finite, got nan"):
        nn.init.normal_(nn.Parameter(np.zeros(2)), mean=float("nan"))


def test_threads_share_the_default_generator_without_tearing_draws():
    """Each draw is atomic (NumPy locks the generator, manual_seed takes the same lock): four
    threads drawing 200 blocks each get, between them, exactly the 800 blocks one thread would
    draw in sequence, only in another order."""
    manual_seed(123)
    blocks: list[bytes] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def work():
        start.wait()
        mine = [mg.randn(16, dtype=np.float64).data.tobytes() for _ in range(200)]
        with lock:
            blocks.extend(mine)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    reference = np.random.default_rng(123)
    expected = [reference.standard_normal(16).tobytes() for _ in range(800)]
    assert sorted(blocks) == sorted(expected)


def test_manual_seed_while_other_threads_draw():
    """Reseeding while other threads draw never corrupts the generator: afterwards a seed still
    gives NumPy's stream."""
    stop = threading.Event()

    def draw():
        while not stop.is_set():
            mg.rand(64)

    threads = [threading.Thread(target=draw) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for seed in range(200):
            manual_seed(seed)
    finally:
        stop.set()
        for t in threads:
            t.join()
    manual_seed(8)
    np.testing.assert_array_equal(
        mg.rand(5, dtype=np.float64).data, np.random.default_rng(8).random(5)
    )


def test_data_functions_still_require_a_generator():
    from minigrad.data import moons

    with pytest.raises(TypeError, match="rng"):
        moons(10, None)
