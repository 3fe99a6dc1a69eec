"""Misuse table, networks: modules and parameters, layers, activations, initialisers, losses,
optimisers and schedules, model files, data helpers and training loops."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim
from minigrad.data import batches, blobs, moons, spirals
from minigrad.data.preprocess import MinMax, PCAWhitening, ZScore
from minigrad.training import evaluate, fit, format_table, grid_search, random_search
from tests.misuse import bad, good, ids, leaf, run, same

RNG = np.random.default_rng(0)


def rng():
    return np.random.default_rng(0)


def p(values=(1.0, 2.0)):
    return nn.Parameter(np.array(values))


def linear(i=2, o=3):
    return nn.Linear(i, o, rng=rng())


class Twice(nn.Module):
    """A layer used twice: its parameters must be listed (and trained) once."""

    def __init__(self):
        super().__init__()
        self.layer = linear(2, 2)
        self.again = self.layer

    def forward(self, x):
        return self.again(self.layer(x))


class NoInit(nn.Module):
    def __init__(self):  # forgets super().__init__()
        self.w = nn.Parameter(np.ones(2))

    def forward(self, x):
        return x * self.w


class Holder(nn.Module):
    def __init__(self):
        super().__init__()
        self.plain = [nn.Parameter(np.ones(2))]
        self.heads = {"left": linear(2, 1), "right": linear(2, 1)}


def _step(opt_factory, grad=(1.0, 1.0)):
    w = p()
    opt = opt_factory([w])
    w.grad = mg.tensor(np.array(grad))
    opt.step()
    return w


def _duplicate():
    w = p()
    with pytest.warns(UserWarning, match="optimizer got the same parameter twice"):
        return optim.SGD([w, w], lr=0.1).params


def _adam_late():
    a, b = p([0.0]), p([0.0])
    opt = optim.Adam([a, b], lr=0.1)
    for _ in range(5):
        a.grad = mg.tensor(np.array([1.0]))
        opt.step()
    b.grad = mg.tensor(np.array([1.0]))
    opt.step()
    return b  # its first update is lr, as in PyTorch (per-parameter bias correction)


def _twice_steps():
    model = Twice()
    opt = optim.SGD(model.parameters(), lr=1.0)
    before = model.layer.weight.data.copy()
    model(mg.tensor(np.ones((1, 2)))).sum().backward()
    grad = model.layer.weight.grad.data.copy()
    opt.step()
    return np.allclose(model.layer.weight.data, before - grad)


def _partial_state():
    model = linear(2, 3)
    before = model.state_dict()
    state = dict(before)
    state["weight"] = np.full((3, 2), 7.0)
    state["bias"] = np.zeros(5)  # bad: nothing may be loaded
    try:
        model.load_state_dict(state)
    except ValueError:
        pass
    return all(np.array_equal(before[k], v) for k, v in model.state_dict().items())


def _saved(tmp, name="model"):
    model = linear(2, 3)
    return model, model.save(tmp / name)


def _bad_file(tmp, content: bytes):
    path = tmp / "bad.npz"
    path.write_bytes(content)
    linear().load(path)


def _crafted(tmp):
    np.savez(tmp / "big.npz", weight=np.zeros((3000, 3000)), bias=np.zeros(3))
    linear().load(tmp / "big.npz")


CASES = [
    # -- modules and parameters --------------------------------------------------------
    good("module/shared-layer-once", lambda: len(Twice().parameters()), lambda n: n == 2),
    good("module/shared-layer-trained-once", _twice_steps, lambda ok: ok),
    good(
        "module/shared-l2-once",
        lambda: nn.l2_penalty(Twice()).item(),
        lambda v: np.isclose(v, 0.5 * (Twice().layer.weight.data ** 2).sum()),
    ),
    good("module/no-super-init", lambda: NoInit().state_dict(), lambda s: list(s) == ["w"]),
    good(
        "module/lists-and-dicts",
        lambda: [n for n, _ in Holder().named_parameters()],
        lambda names: (
            names
            == [
                "plain.0",
                "heads.left.weight",
                "heads.left.bias",
                "heads.right.weight",
                "heads.right.bias",
            ]
        ),
    ),
    bad(
        "module/sequential-function",
        lambda: nn.Sequential(lambda x: x),
        TypeError,
        "item 0 is a function, not a Module",
    ),
    bad("module/modulelist-int", lambda: nn.ModuleList([1]), TypeError, "not a Module"),
    bad("module/append-int", lambda: nn.ModuleList().append(3), TypeError, "not a Module"),
    bad(
        "module/hook-int",
        lambda: linear().register_forward_hook(3),
        TypeError,
        "expected a function",
    ),
    bad(
        "module/buffer-replaced",
        lambda: _replaced_buffer(),
        TypeError,
        "buffer 'running_mean' of BatchNorm1d was replaced by a ndarray",
    ),
    bad(
        "module/buffer-name",
        lambda: nn.BatchNorm1d(2).register_buffer("a b", 1.0),
        ValueError,
        "identifier",
    ),
    # -- state and files ---------------------------------------------------------------
    bad("state/not-dict", lambda: linear().load_state_dict([1]), TypeError, "expected a dict"),
    bad(
        "state/missing",
        lambda: linear().load_state_dict({"weight": np.ones((3, 2))}),
        KeyError,
        r"missing \['bias'\].*strict=False",
        allowed=(KeyError,),
    ),
    bad(
        "state/shape",
        lambda: linear().load_state_dict({"weight": np.ones((2, 3)), "bias": np.ones(3)}),
        ValueError,
        r"weight has shape \(2, 3\) but the module's is \(3, 2\)",
    ),
    bad(
        "state/strings",
        lambda: linear().load_state_dict({"weight": np.full((3, 2), "a"), "bias": np.ones(3)}),
        TypeError,
        "weight",
    ),
    good("state/atomic", _partial_state, lambda ok: ok),
    bad(
        "state/strict-str",
        lambda: linear().load_state_dict({}, strict="no"),
        TypeError,
        "strict must be True or False",
    ),
    # -- layers --------------------------------------------------------------------------
    bad(
        "layer/linear-zero",
        lambda: nn.Linear(0, 3, rng=rng()),
        ValueError,
        "in_features must be at least 1",
    ),
    bad(
        "layer/linear-float",
        lambda: nn.Linear(2.0, 3, rng=rng()),
        TypeError,
        "in_features must be an int",
    ),
    bad(
        "layer/linear-str-rng",
        lambda: nn.Linear(2, 3, rng="0"),
        TypeError,
        "rng must be a np.random.Generator",
    ),
    good("layer/linear-default-rng", lambda: nn.Linear(2, 3, rng=None).weight.shape, same((3, 2))),
    bad(
        "layer/linear-features",
        lambda: linear(3, 2)(mg.tensor(np.ones((4, 5)))),
        ValueError,
        r"Linear\(3, 2, bias=True\) expects inputs with 3 features on the last axis, got "
        r"shape \(4, 5\)",
    ),
    bad(
        "layer/linear-bias-str",
        lambda: nn.Linear(2, 3, bias="no", rng=rng()),
        TypeError,
        "bias must be True or False",
    ),
    bad(
        "layer/maxout-zero",
        lambda: nn.Maxout(3, 2, 0, rng=rng()),
        ValueError,
        "pieces must be at least 1",
    ),
    bad(
        "layer/maxout-fn-zero",
        lambda: nn.maxout(mg.tensor(np.ones(4)), 0),
        ValueError,
        "pieces must be at least 1",
    ),
    bad(
        "layer/maxout-uneven",
        lambda: nn.maxout(mg.tensor(np.ones(5)), 2),
        ValueError,
        "not a multiple",
    ),
    bad(
        "layer/bn-momentum-none",
        lambda: nn.BatchNorm1d(2, momentum=None),
        TypeError,
        "momentum must be a number",
    ),
    bad(
        "layer/bn-momentum-2",
        lambda: nn.BatchNorm1d(2, momentum=2.0),
        ValueError,
        r"momentum must be in \[0, 1\]",
    ),
    bad("layer/bn-eps-zero", lambda: nn.BatchNorm1d(2, eps=0.0), ValueError, "eps"),
    bad(
        "layer/bn-batch-one",
        lambda: nn.BatchNorm1d(2)(mg.tensor(np.ones((1, 2)))),
        ValueError,
        "at least 2",
    ),
    bad(
        "layer/bn-features",
        lambda: nn.BatchNorm1d(2)(mg.tensor(np.ones((4, 3)))),
        ValueError,
        r"expected input of shape \(N, 2\)",
    ),
    bad(
        "layer/dropout-p", lambda: nn.Dropout(1.0, rng=rng()), ValueError, r"p must be in \[0, 1\)"
    ),
    bad("layer/dropout-nan", lambda: nn.Dropout(float("nan"), rng=rng()), ValueError, "finite"),
    bad("layer/dropout-int-rng", lambda: nn.Dropout(0.5, rng=0), TypeError, "rng"),
    good(
        "layer/dropout-int",
        lambda: nn.Dropout(0.5, rng=rng())(mg.tensor(np.full(8, 10))),
        lambda r: set(np.unique(r.data)) <= {0.0, 20.0},
    ),
    good(
        "layer/dropout-array",
        lambda: nn.Dropout(0.5, rng=rng()).eval()(np.ones(3)),
        lambda r: isinstance(r, mg.Tensor),
    ),
    good(
        "layer/flatten-empty", lambda: nn.Flatten()(mg.zeros(0, 3, 2)).shape, lambda s: s == (0, 6)
    ),
    bad(
        "layer/prelu-channels",
        lambda: nn.prelu(mg.tensor(np.ones((2, 3))), np.ones(2)),
        ValueError,
        "2 slopes need inputs with 2 channels on axis 1",
    ),
    good(
        "layer/prelu-ndarray-channels",
        lambda: nn.prelu(mg.tensor(-np.ones((2, 2, 2))), np.array([0.1, 0.2]))[0],
        same([[-0.1, -0.1], [-0.2, -0.2]]),
    ),
    # -- initialisers --------------------------------------------------------------------
    bad("init/ndarray", lambda: nn.init.normal_(np.zeros(2), rng()), TypeError, "expects a Tensor"),
    bad(
        "init/int-tensor",
        lambda: nn.init.normal_(mg.tensor([0, 0]), rng()),
        TypeError,
        "expects a float tensor",
    ),
    bad(
        "init/non-leaf",
        lambda: nn.init.normal_(leaf([1.0]) * 2, rng()),
        ValueError,
        "computed by `multiply`",
    ),
    bad("init/str-rng", lambda: nn.init.xavier_uniform_(p(), "0"), TypeError, "rng"),
    bad("init/std-negative", lambda: nn.init.normal_(p(), rng(), std=-1.0), ValueError, "std"),
    bad(
        "init/uniform-reversed",
        lambda: nn.init.uniform_(p(), rng(), 1.0, 0.0),
        ValueError,
        "a <= b",
    ),
    bad("init/fan-zero", lambda: nn.init.standard_(p(), rng(), fan_in=0), ValueError, "fan_in"),
    good(
        "init/empty-no-op",
        lambda: nn.init.kaiming_normal_(nn.Parameter(np.zeros((3, 0))), rng()).shape,
        lambda s: s == (3, 0),
    ),
    bad(
        "init/orthogonal-1d",
        lambda: nn.init.orthogonal_(p(), rng()),
        ValueError,
        "at least 2 dimensions",
    ),
    bad(
        "init/gain-unknown",
        lambda: nn.init.calculate_gain("swish"),
        ValueError,
        "unknown nonlinearity",
    ),
    # -- losses --------------------------------------------------------------------------
    bad(
        "loss/mse-shapes",
        lambda: nn.mse_loss(mg.tensor(np.ones((4, 2))), np.ones(4)),
        ValueError,
        r"prediction has shape \(4, 2\) but the target has shape \(4,\); they do not broadcast",
    ),
    bad(
        "loss/mse-reduction",
        lambda: nn.mse_loss(np.ones(2), np.ones(2), reduction="avg"),
        ValueError,
        "reduction must be one of 'mean', 'sum', 'none'",
    ),
    bad(
        "loss/bce-logits-shapes",
        lambda: nn.binary_cross_entropy_with_logits(mg.tensor(np.zeros(4)), np.ones((4, 1))),
        ValueError,
        "binary_cross_entropy_with_logits",
    ),
    bad(
        "loss/bce-shapes",
        lambda: nn.binary_cross_entropy(mg.tensor(np.full(4, 0.5)), np.ones((4, 1))),
        ValueError,
        "shape",
    ),
    bad(
        "loss/sigmoid-ce-shapes",
        lambda: nn.sigmoid_cross_entropy(mg.tensor(np.zeros((4, 2))), np.ones(4)),
        ValueError,
        "shape",
    ),
    bad(
        "loss/bce-outside",
        lambda: nn.binary_cross_entropy(mg.tensor([1.5]), np.ones(1)),
        ValueError,
        r"probabilities must be in \[0, 1\], got 1.5.*with_logits",
    ),
    good(
        "loss/bce-saturated-float32",
        lambda: nn.binary_cross_entropy(mg.sigmoid(mg.tensor([20.0])), np.zeros(1, np.float32)),
        lambda r: np.isfinite(r.item()) and r.item() > 10,
    ),
    good(
        "loss/bce-logits-uint8",
        lambda: nn.binary_cross_entropy_with_logits(mg.tensor(np.array([2], np.uint8)), np.ones(1)),
        lambda r: abs(r.item() - np.log1p(np.exp(-2))) < 1e-3,
    ),
    bad(
        "loss/ce-3d",
        lambda: nn.cross_entropy(mg.tensor(np.zeros((2, 3, 4))), np.array([0, 2])),
        ValueError,
        r"shape \(N, C\).*got shape \(2, 3, 4\)",
    ),
    bad(
        "loss/ce-1d",
        lambda: nn.cross_entropy(mg.tensor([1.0, 2.0, 3.0]), 0),
        ValueError,
        r"shape \(N, C\)",
    ),
    bad(
        "loss/ce-float-labels",
        lambda: nn.cross_entropy(mg.tensor(np.zeros((2, 3))), np.array([0.0, 1.0])),
        ValueError,
        "integer class labels",
    ),
    bad(
        "loss/ce-label-range",
        lambda: nn.cross_entropy(mg.tensor(np.zeros((2, 3))), np.array([0, 3])),
        ValueError,
        r"in \[0, 3\)",
    ),
    bad(
        "loss/ce-label-count",
        lambda: nn.cross_entropy(mg.tensor(np.zeros((2, 3))), np.array([0])),
        ValueError,
        r"expected 2 integer class labels",
    ),
    bad(
        "loss/ce-int-logits",
        lambda: nn.cross_entropy(mg.tensor(np.zeros((2, 3), int)), np.array([0, 1])),
        ValueError,
        "float",
    ),
    bad(
        "loss/nll-labels",
        lambda: nn.nll_loss(mg.tensor(np.zeros((2, 3))), np.array([[0, 1]])),
        ValueError,
        "labels",
    ),
    bad(
        "loss/one-hot-negative",
        lambda: nn.one_hot(np.array([-1]), 3),
        ValueError,
        r"labels must be in \[0, 3\)",
    ),
    bad("loss/one-hot-float", lambda: nn.one_hot(np.array([1.0]), 3), TypeError, "integers"),
    bad("loss/one-hot-zero", lambda: nn.one_hot(np.array([0]), 0), ValueError, "classes"),
    good(
        "loss/one-hot-2d",
        lambda: nn.one_hot(np.array([[0, 1], [2, 0]]), 3).shape,
        lambda s: s == (2, 2, 3),
    ),
    # -- optimisers ----------------------------------------------------------------------
    bad(
        "optim/one-parameter",
        lambda: optim.SGD(p(), lr=0.1),
        TypeError,
        r"got one Tensor; write SGD\(\[p\], ...\)",
    ),
    good("optim/duplicate", lambda: _duplicate(), lambda params: len(params) == 1),
    bad(
        "optim/set",
        lambda: optim.SGD({p(), p()}, lr=0.1),
        TypeError,
        r"params is a set, whose order changes.*pass a list",
    ),
    bad("optim/non-leaf", lambda: optim.SGD([leaf([1.0]) * 2], lr=0.1), ValueError, "not a leaf"),
    bad("optim/ndarray", lambda: optim.SGD([np.ones(2)], lr=0.1), TypeError, "not a Tensor"),
    bad(
        "optim/groups",
        lambda: optim.SGD([{"params": [p()], "lr": 0.1}], lr=0.1),
        TypeError,
        "parameter groups",
    ),
    bad("optim/empty", lambda: optim.SGD([], lr=0.1), ValueError, "no parameters"),
    bad("optim/not-iterable", lambda: optim.SGD(3, lr=0.1), TypeError, "iterable"),
    bad(
        "optim/int-parameter",
        lambda: optim.SGD([mg.tensor([1, 2])], lr=0.1),
        TypeError,
        "must be float",
    ),
    bad("optim/lr-nan", lambda: optim.SGD([p()], lr=float("nan")), ValueError, "finite"),
    bad("optim/lr-inf", lambda: optim.Adam([p()], lr=float("inf")), ValueError, "finite"),
    bad("optim/lr-str", lambda: optim.SGD([p()], lr="0.1"), TypeError, "must be a number"),
    bad("optim/lr-negative", lambda: optim.SGD([p()], lr=-0.1), ValueError, r"\[0, inf\)"),
    bad(
        "optim/lr-set-later",
        lambda: setattr(optim.SGD([p()], lr=0.1), "lr", -1),
        ValueError,
        "learning rate",
    ),
    bad(
        "optim/momentum-negative",
        lambda: optim.SGD([p()], lr=0.1, momentum=-1),
        ValueError,
        "momentum",
    ),
    bad(
        "optim/nesterov-no-momentum",
        lambda: optim.SGD([p()], lr=0.1, nesterov=True),
        ValueError,
        "Nesterov momentum needs momentum > 0",
    ),
    bad(
        "optim/weight-decay-negative",
        lambda: optim.SGD([p()], lr=0.1, weight_decay=-1),
        ValueError,
        "weight_decay",
    ),
    bad(
        "optim/adam-beta-one",
        lambda: optim.Adam([p()], betas=(1.0, 0.999)),
        ValueError,
        r"betas\[0\] must be in \[0, 1\)",
    ),
    bad("optim/adam-betas-scalar", lambda: optim.Adam([p()], betas=0.9), TypeError, "pair"),
    bad("optim/adam-eps-zero", lambda: optim.Adam([p()], eps=0.0), ValueError, "eps"),
    good("optim/adam-per-parameter-steps", _adam_late, lambda w: np.isclose(w.data[0], -0.1)),
    good("optim/sgd-step", lambda: _step(lambda ps: optim.SGD(ps, lr=0.5)), same([0.5, 1.5])),
    good("optim/lr-zero-ok", lambda: _step(lambda ps: optim.SGD(ps, lr=0.0)), same([1.0, 2.0])),
    bad(
        "optim/grad-shape",
        lambda: _step(lambda ps: optim.SGD(ps, lr=0.1), grad=(1.0,)),
        ValueError,
        r"shape \(2,\)",
    ),
    bad(
        "schedule/step-size-zero",
        lambda: optim.StepLR(optim.SGD([p()], lr=1), 0),
        ValueError,
        "step_size must be at least 1",
    ),
    bad(
        "schedule/step-size-negative",
        lambda: optim.StepLR(optim.SGD([p()], lr=1), -1),
        ValueError,
        "step_size",
    ),
    bad(
        "schedule/t-max-zero",
        lambda: optim.CosineAnnealingLR(optim.SGD([p()], lr=1), 0),
        ValueError,
        "t_max must be at least 1",
    ),
    bad(
        "schedule/min-lr-negative",
        lambda: optim.CosineAnnealingLR(optim.SGD([p()], lr=1), 2, min_lr=-1),
        ValueError,
        "min_lr",
    ),
    bad("schedule/two", lambda: _two_schedules(), ValueError, "already has a StepLR"),
    bad(
        "schedule/not-optimiser", lambda: optim.StepLR("sgd", 2), TypeError, "expected an optimiser"
    ),
    # -- data ----------------------------------------------------------------------------
    bad("data/batches-none", lambda: list(batches(batch_size=2)), ValueError, "at least one array"),
    bad(
        "data/batches-size-zero",
        lambda: list(batches(np.ones(3), batch_size=0)),
        ValueError,
        "batch_size must be at least 1",
    ),
    bad(
        "data/batches-size-float",
        lambda: list(batches(np.ones(3), batch_size=2.0)),
        TypeError,
        "batch_size must be an int",
    ),
    bad(
        "data/batches-rng-int",
        lambda: list(batches(np.ones(3), batch_size=2, rng=0)),
        TypeError,
        "rng must be a np.random.Generator",
    ),
    bad(
        "data/batches-lengths",
        lambda: list(batches(np.ones(3), np.ones(2), batch_size=2)),
        ValueError,
        "different lengths",
    ),
    good(
        "data/batches-lists",
        lambda: list(batches([1, 2, 3], batch_size=2)),
        lambda bs: [len(b[0]) for b in bs] == [2, 1],
    ),
    good(
        "data/batches-big",
        lambda: list(batches(np.ones(3), batch_size=10)),
        lambda bs: len(bs) == 1,
    ),
    bad("data/moons-rng", lambda: moons(10, 0), TypeError, "rng"),
    bad("data/moons-noise", lambda: moons(10, rng(), noise=-1), ValueError, "noise"),
    bad(
        "data/spirals-classes",
        lambda: spirals(6, rng(), classes=0),
        ValueError,
        "classes must be at least 1",
    ),
    bad("data/blobs-centers", lambda: blobs(6, rng(), centers=0), ValueError, "centers"),
    bad("data/blobs-n", lambda: blobs(-1, rng()), ValueError, "n must be at least 0"),
    good(
        "data/zscore-small-units",
        lambda: ZScore().fit_transform(np.array([[1e-9], [3e-9]])),
        same([[-1.0], [1.0]]),
    ),
    good(
        "data/zscore-constant",
        lambda: ZScore().fit_transform(np.ones((3, 1))),
        same(np.zeros((3, 1)), np.float64),
    ),
    bad("data/zscore-empty", lambda: ZScore().fit(np.zeros((0, 2))), ValueError, "n >= 1"),
    bad("data/zscore-1d", lambda: ZScore().fit(np.ones(3)), ValueError, r"shape \(n, features\)"),
    bad("data/minmax-empty", lambda: MinMax().fit(np.zeros((0, 2))), ValueError, "n >= 1"),
    bad("data/pca-components", lambda: PCAWhitening(components=0), ValueError, "components"),
    bad(
        "data/pca-too-many",
        lambda: PCAWhitening(components=5).fit(np.ones((4, 2))),
        ValueError,
        "5 components asked of 2 features",
    ),
    bad(
        "data/transform-before-fit",
        lambda: ZScore().transform(np.ones((2, 2))),
        RuntimeError,
        "call fit",
    ),
    bad(
        "data/transform-features",
        lambda: ZScore().fit(np.ones((2, 2))).transform(np.ones((2, 3))),
        ValueError,
        "fitted on 2 features",
    ),
    # -- training ------------------------------------------------------------------------
    bad("fit/batch-size-zero", lambda: _fit(batch_size=0), ValueError, "batch_size"),
    bad("fit/epochs-zero", lambda: _fit(epochs=0), ValueError, "epochs"),
    bad("fit/empty", lambda: _fit(n=0), ValueError, "no examples"),
    bad("fit/lengths", lambda: _fit(y=np.zeros(3, int)), ValueError, "one row per example"),
    bad(
        "fit/patience-no-validation",
        lambda: _fit(patience=2),
        ValueError,
        "pass validation=\\(x_val, y_val\\)",
    ),
    bad("fit/validation-shape", lambda: _fit(validation=np.ones(2)), TypeError, "pair"),
    bad("fit/rng", lambda: _fit(rng=0), TypeError, "rng"),
    good("fit/nan-patience", lambda: _fit(patience=1, nan=True), lambda h: h[-1]["stopped_early"]),
    bad(
        "evaluate/empty",
        lambda: evaluate(linear(2, 2), np.zeros((0, 2)), np.zeros(0, int)),
        ValueError,
        "no examples",
    ),
    good(
        "evaluate/regression-no-accuracy",
        lambda: evaluate(linear(2, 1), np.ones((4, 2)), np.zeros((4, 1)), loss_fn=nn.mse_loss),
        lambda m: "accuracy" not in m,
    ),
    good("evaluate/restores-mode", lambda: _evaluate_raises_and_restores(), lambda ok: ok),
    bad(
        "search/string-values",
        lambda: random_search(lambda act: {}, {"act": "relu"}, 2, rng()),
        TypeError,
        "'act' must be a non-empty list",
    ),
    bad(
        "search/empty-values",
        lambda: grid_search(lambda x: {}, {"x": []}),
        TypeError,
        "'x' must be a non-empty list",
    ),
    bad(
        "search/n-zero",
        lambda: random_search(lambda x: {}, {"x": [1]}, 0, rng()),
        ValueError,
        "n must be at least 1",
    ),
    good(
        "search/ragged-table",
        lambda: format_table([{"a": 1.0}, {"b": 2}], sort_by="a"),
        lambda t: "| a | b |" in t,
    ),
    bad(
        "search/unknown-column",
        lambda: format_table([{"a": 1}], sort_by="z"),
        KeyError,
        "no column 'z'",
        allowed=(KeyError,),
    ),
]


def _replaced_buffer():
    bn = nn.BatchNorm1d(2)
    bn.running_mean = np.zeros(2)
    return bn.state_dict()


def _two_schedules():
    opt = optim.SGD([p()], lr=1.0)
    optim.StepLR(opt, 2)
    optim.StepLR(opt, 3)


def _fit(n=8, batch_size=4, epochs=1, y=None, rng=None, patience=None, validation=None, nan=False):
    generator = np.random.default_rng(0) if rng is None else rng
    x = np.ones((n, 2))
    y = np.zeros(n, int) if y is None else y
    model = linear(2, 2)
    if nan:
        with mg.no_grad():
            model.weight.fill_(np.nan)
        validation = (x, y)
    return fit(
        model,
        optim.SGD(model.parameters(), lr=0.1),
        x,
        y,
        epochs=3 if nan else epochs,
        batch_size=batch_size,
        rng=generator,
        patience=patience,
        validation=validation,
        progress=False,
    )


def _evaluate_raises_and_restores():
    model = linear(2, 2)

    def broken(out, y):
        raise RuntimeError("loss failed")

    with pytest.raises(RuntimeError):
        evaluate(model, np.ones((2, 2)), np.zeros(2, int), loss_fn=broken)
    return model.training


def _file_cases(tmp):
    return [
        good("file/save-load-stem", lambda: _round_trip(tmp), lambda ok: ok),
        bad(
            "file/missing",
            lambda: linear().load(tmp / "nothing"),
            FileNotFoundError,
            r"no such file: .*nothing.npz",
        ),
        bad(
            "file/empty",
            lambda: _bad_file(tmp, b""),
            ValueError,
            r"bad.npz is not a readable .npz file.*truncated",
        ),
        bad("file/garbage", lambda: _bad_file(tmp, b"PK\x03\x04garbage"), ValueError, "bad.npz"),
        bad("file/truncated", lambda: _truncated(tmp), ValueError, r"trunc.npz"),
        bad(
            "file/crafted-shape",
            lambda: _crafted(tmp),
            ValueError,
            r"member weight.npy has shape \(3000, 3000\) but the module's is \(3, 2\)",
        ),
        bad(
            "file/extra-member",
            lambda: _extra(tmp),
            KeyError,
            r"unexpected \['extra'\]",
            allowed=(KeyError,),
        ),
        bad("file/object-member", lambda: _objects(tmp), ValueError, "not numbers"),
        bad("file/path-int", lambda: linear().save(3), TypeError, "expected a file path"),
    ]


def _round_trip(tmp) -> bool:
    model, path = _saved(tmp)
    other = linear(2, 3)
    with mg.no_grad():
        other.weight.fill_(0.0)
    other.load(tmp / "model")
    return path.name == "model.npz" and np.array_equal(other.weight.data, model.weight.data)


def _truncated(tmp):
    _, path = _saved(tmp, "whole")
    data = path.read_bytes()
    (tmp / "trunc.npz").write_bytes(data[: len(data) * 2 // 3])
    linear().load(tmp / "trunc.npz")


def _extra(tmp):
    np.savez(tmp / "extra.npz", weight=np.ones((3, 2)), bias=np.ones(3), extra=np.ones(1))
    linear().load(tmp / "extra.npz")


def _objects(tmp):
    np.savez(tmp / "obj.npz", weight=np.array([[None] * 2] * 3, dtype=object), bias=np.ones(3))
    linear().load(tmp / "obj.npz")


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_misuse(case):
    run(case)


FILE_IDS = [c.id for c in _file_cases(None)]


@pytest.mark.parametrize("index", range(len(FILE_IDS)), ids=FILE_IDS)
def test_misuse_files(index, tmp_path):
    run(_file_cases(tmp_path)[index])
