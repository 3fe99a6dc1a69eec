"""nn: modules, layers, activations, initialisers, losses and optimisers."""

from __future__ import annotations

import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim

RNG = np.random.default_rng(0)


def _x(*shape, low=-2.0, high=2.0):
    return RNG.uniform(low, high, shape)


# -- activations -----------------------------------------------------------------------------
ACTIVATIONS = {
    "sigmoid": (nn.sigmoid, lambda x: 1 / (1 + np.exp(-x))),
    "tanh": (nn.tanh, np.tanh),
    "hard_sigmoid": (nn.hard_sigmoid, lambda x: np.clip(0.25 * x + 0.5, 0, 1)),
    "hard_tanh": (nn.hard_tanh, lambda x: np.clip(x, -1, 1)),
    "relu": (nn.relu, lambda x: np.maximum(x, 0)),
    "leaky_relu": (nn.leaky_relu, lambda x: np.where(x > 0, x, 0.01 * x)),
    "elu": (nn.elu, lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0)))),
    "softplus": (nn.softplus, lambda x: np.log1p(np.exp(x))),
    "softsign": (nn.softsign, lambda x: x / (1 + np.abs(x))),
    "silu": (nn.silu, lambda x: x / (1 + np.exp(-x))),
    "gelu": (
        nn.gelu,
        lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))),
    ),
    "maxout": (lambda x: nn.maxout(x, 2), lambda x: x.reshape(-1, 3, 2).max(axis=-1)),
}


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_values_and_gradcheck(name):
    f, ref = ACTIVATIONS[name]
    x = _x(4, 6)
    x[np.abs(x) < 0.05] = 0.3  # stay off the kinks at 0
    x[np.abs(np.abs(x) - 2) < 0.05] = 1.5  # and off hard_sigmoid's at +-2
    np.testing.assert_allclose(f(mg.Tensor(x)).data, ref(x), rtol=1e-12, atol=1e-12)
    assert mg.gradcheck(f, x)
    assert mg.gradgradcheck(lambda t: f(t).sum(), x[:1])


def test_softplus_is_stable_and_has_derivative_one_half_at_zero():
    x = mg.tensor([-1000.0, 0.0, 1000.0], dtype=np.float64, requires_grad=True)
    y = nn.softplus(x)
    np.testing.assert_allclose(y.data, [0.0, math.log(2), 1000.0])
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [0.0, 0.5, 1.0])


def test_elu_gradient_has_no_nan_for_large_inputs():
    x = mg.tensor([1000.0, -1.0], dtype=np.float64, requires_grad=True)
    nn.elu(x).sum().backward()
    np.testing.assert_allclose(x.grad.data, [1.0, math.exp(-1.0)])


def test_activation_modules_and_prelu():
    x = _x(3, 4)
    for module, f in [
        (nn.Sigmoid(), nn.sigmoid),
        (nn.Tanh(), nn.tanh),
        (nn.ReLU(), nn.relu),
        (nn.Softsign(), nn.softsign),
        (nn.ELU(0.5), lambda t: nn.elu(t, 0.5)),
        (nn.LeakyReLU(0.2), lambda t: nn.leaky_relu(t, 0.2)),
        (nn.HardTanh(), nn.hard_tanh),
        (nn.HardSigmoid(), nn.hard_sigmoid),
        (nn.SiLU(), nn.silu),
        (nn.GELU(), nn.gelu),
        (nn.Softplus(), nn.softplus),
    ]:
        np.testing.assert_array_equal(module(mg.Tensor(x)).data, f(mg.Tensor(x)).data)
    shared, per_channel = nn.PReLU(), nn.PReLU(4, init=0.1)
    np.testing.assert_allclose(shared(mg.Tensor(x)).data, np.where(x > 0, x, 0.25 * x), rtol=1e-6)
    assert mg.gradcheck(lambda t, w: nn.prelu(t, w), x, np.array([0.1, 0.2, 0.3, 0.4]))
    assert [n for n, _ in per_channel.named_parameters()] == ["weight"]


# -- modules ---------------------------------------------------------------------------------
class MLP(nn.Module):
    def __init__(self, rng):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(4, 8, rng=rng),
            nn.Tanh(),
            nn.Linear(8, 8, rng=rng),
            nn.BatchNorm1d(8),
            nn.Linear(8, 3, rng=rng),
        )
        self.extra = [nn.Linear(3, 2, rng=rng)]
        self.scale = nn.Parameter(np.ones(1, dtype=np.float32))

    def forward(self, x):
        return self.extra[0](self.layers(x)) * self.scale


def test_parameters_are_found_by_reflection_with_dotted_names():
    model = MLP(np.random.default_rng(1))
    names = [n for n, _ in model.named_parameters()]
    assert names == [
        "scale",
        "layers.0.weight",
        "layers.0.bias",
        "layers.2.weight",
        "layers.2.bias",
        "layers.3.weight",
        "layers.3.bias",
        "layers.4.weight",
        "layers.4.bias",
        "extra.0.weight",
        "extra.0.bias",
    ]
    assert [n for n, _ in model.named_buffers()] == [
        "layers.3.running_mean",
        "layers.3.running_var",
    ]
    model.eval()
    assert all(not m.training for _, m in model.named_modules())
    model.train()
    assert model.layers[3].training
    out = model(mg.Tensor(_x(5, 4).astype(np.float32)))
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    assert "Linear(4, 8, bias=True)" in repr(model)


def test_state_dict_round_trips_exactly(tmp_path):
    a, b = MLP(np.random.default_rng(1)), MLP(np.random.default_rng(2))
    a(mg.Tensor(_x(5, 4).astype(np.float32)))  # move the running averages
    b.load_state_dict(a.state_dict())
    for (name, p), (_, q) in zip(a.named_parameters(), b.named_parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data, err_msg=name)
    a.save(tmp_path / "model.npz")
    c = MLP(np.random.default_rng(3))
    c.load(tmp_path / "model.npz")
    for key, value in a.state_dict().items():
        np.testing.assert_array_equal(c.state_dict()[key], value)
    with pytest.raises(KeyError, match="missing.*layers.0.weight"):
        c.load_state_dict({})
    bad = a.state_dict()
    bad["scale"] = np.ones(2)
    with pytest.raises(ValueError, match=r"scale has shape \(2,\)"):
        c.load_state_dict(bad)


def test_linear_and_maxout_gradcheck():
    rng = np.random.default_rng(4)
    layer = nn.Linear(3, 2, rng=rng, dtype=np.float64)
    assert mg.gradcheck(
        lambda x, w, b: mg.matmul(x, w.T) + b, _x(4, 3), layer.weight.data, layer.bias.data
    )
    np.testing.assert_allclose(layer(mg.Tensor(_x(4, 3))).shape, (4, 2))
    bound = 1 / math.sqrt(3)
    assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.bias.data).max() <= bound
    maxout = nn.Maxout(3, 2, pieces=3, rng=rng)
    assert maxout(mg.Tensor(_x(5, 3).astype(np.float32))).shape == (5, 2)
    assert nn.Flatten()(mg.zeros(2, 3, 4)).shape == (2, 12)


# -- BatchNorm and Dropout -------------------------------------------------------------------
def test_batchnorm_matches_numpy_in_train_and_eval():
    bn = nn.BatchNorm1d(3, momentum=0.2, dtype=np.float64)
    with mg.no_grad():
        bn.weight.copy_(np.array([1.0, 2.0, 0.5]))
        bn.bias.copy_(np.array([0.0, -1.0, 1.0]))
    x = _x(6, 3)
    y = bn(mg.Tensor(x))
    mu, var = x.mean(0), x.var(0)
    expected = (x - mu) / np.sqrt(var + 1e-5) * [1.0, 2.0, 0.5] + [0.0, -1.0, 1.0]
    np.testing.assert_allclose(y.data, expected, rtol=1e-12)
    np.testing.assert_allclose(bn.running_mean.data, 0.2 * mu)
    np.testing.assert_allclose(bn.running_var.data, 0.8 + 0.2 * var * 6 / 5)
    bn.eval()
    z = _x(2, 3)
    np.testing.assert_allclose(
        bn(mg.Tensor(z)).data,
        (z - 0.2 * mu) / np.sqrt(0.8 + 0.2 * var * 6 / 5 + 1e-5) * [1.0, 2.0, 0.5]
        + [0.0, -1.0, 1.0],
        rtol=1e-12,
    )
    bn.train()
    assert mg.gradcheck(lambda t: nn.BatchNorm1d(3, dtype=np.float64)(t), x)
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 3\)"):
        bn(mg.zeros(4, 2))


def test_dropout_keeps_the_expectation_and_is_identity_in_eval():
    drop = nn.Dropout(0.3, rng=np.random.default_rng(5))
    x = mg.ones(200, 500)
    y = drop(x).data
    assert abs((y == 0).mean() - 0.3) < 0.01
    assert abs(y.mean() - 1.0) < 0.01
    np.testing.assert_allclose(np.unique(y), [0.0, 1 / 0.7], rtol=1e-6)
    drop.eval()
    assert drop(x) is x
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\)"):
        nn.Dropout(1.0, rng=RNG)


# -- initialisers ----------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(300, 200), (100, 400), (1000, 50)])
def test_initialiser_variances_match_their_formulas(shape):
    rng = np.random.default_rng(6)
    fan_out, fan_in = shape
    w = mg.zeros(shape, dtype=np.float64)
    expected = {
        "standard_": 1 / (3 * fan_in),
        "xavier_uniform_": 2 / (fan_in + fan_out),
        "xavier_normal_": 2 / (fan_in + fan_out),
        "kaiming_uniform_": 2 / fan_in,
        "kaiming_normal_": 2 / fan_in,
        "lecun_uniform_": 1 / fan_in,
        "lecun_normal_": 1 / fan_in,
        "orthogonal_": 1 / max(fan_in, fan_out),
    }
    n = w.size
    for name, var in expected.items():
        getattr(nn.init, name)(w, rng)
        # the sample variance of n draws has a relative standard error of about sqrt(2 / n)
        assert abs(w.data.var() / var - 1) < 5 * math.sqrt(2 / n), name
        assert abs(w.data.mean()) < 5 * math.sqrt(var / n), name
    nn.init.xavier_uniform_(w, rng, gain=nn.init.calculate_gain("logistic"))
    assert abs(w.data.var() / (16 * 2 / (fan_in + fan_out)) - 1) < 5 * math.sqrt(2 / n)
    nn.init.kaiming_normal_(w, rng, mode="fan_out")
    assert abs(w.data.var() / (2 / fan_out) - 1) < 5 * math.sqrt(2 / n)


def test_other_initialisers():
    rng = np.random.default_rng(7)
    w = mg.zeros(30, 40, dtype=np.float64)
    nn.init.orthogonal_(w, rng, gain=2.0)
    np.testing.assert_allclose(w.data @ w.data.T, 4 * np.eye(30), atol=1e-12)
    b = mg.zeros(30, dtype=np.float64)
    nn.init.nielsen_(w, b, rng)
    assert abs(w.data.std() - 1 / math.sqrt(40)) < 0.02 and abs(b.data.std() - 1) < 0.4
    assert nn.init.constant_(b, 3.0).data.tolist() == [3.0] * 30
    assert nn.init.zeros_(b).data.sum() == 0
    assert nn.init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert nn.init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    with pytest.raises(ValueError, match="unknown nonlinearity"):
        nn.init.calculate_gain("swishy")


# -- losses ----------------------------------------------------------------------------------
def test_losses_match_numpy_and_are_stable():
    logits, labels = _x(5, 4), np.array([0, 3, 1, 1, 2])
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    assert nn.cross_entropy(mg.Tensor(logits), labels).item() == pytest.approx(
        -logp[np.arange(5), labels].mean()
    )
    assert nn.nll_loss(mg.Tensor(logp), labels, reduction="sum").item() == pytest.approx(
        -logp[np.arange(5), labels].sum()
    )
    huge = nn.cross_entropy(mg.Tensor(np.array([[1e4, 0.0]])), np.array([1]))
    assert huge.item() == pytest.approx(1e4)
    y = (_x(5, 4) > 0).astype(np.float64)
    a = 1 / (1 + np.exp(-logits))
    nielsen = -(y * np.log(a) + (1 - y) * np.log(1 - a)).sum(1).mean()
    assert nn.sigmoid_cross_entropy(mg.Tensor(logits), y).item() == pytest.approx(nielsen)
    assert nn.binary_cross_entropy(mg.Tensor(a), y, reduction="sum").item() == pytest.approx(
        nielsen * 5
    )
    big = mg.Tensor(np.array([800.0]))
    assert nn.binary_cross_entropy_with_logits(big, np.zeros(1)).item() == 800
    assert nn.mse_loss(mg.Tensor(logits), y).item() == pytest.approx(((logits - y) ** 2).mean())
    assert mg.gradcheck(lambda z: nn.cross_entropy(z, labels), logits)
    assert mg.gradcheck(lambda z: nn.sigmoid_cross_entropy(z, y), logits)
    with pytest.raises(ValueError, match="class labels must be in"):
        nn.cross_entropy(mg.Tensor(logits), np.array([0, 4, 1, 1, 2]))
    np.testing.assert_array_equal(nn.one_hot([2, 0], 3), [[0, 0, 1], [1, 0, 0]])


def test_penalties_count_weights_only():
    model = nn.Sequential(nn.Linear(2, 2, rng=RNG), nn.Linear(2, 1, rng=RNG))
    weights = [model[0].weight.data, model[1].weight.data]
    assert nn.l2_penalty(model).item() == pytest.approx(0.5 * sum((w**2).sum() for w in weights))
    assert nn.l1_penalty(model).item() == pytest.approx(sum(np.abs(w).sum() for w in weights))


# -- optimisers ------------------------------------------------------------------------------
def _quadratic_steps(make, steps=3):
    w = mg.tensor([1.0, -2.0], dtype=np.float64, requires_grad=True)
    opt = make([w])
    history = []
    for _ in range(steps):
        opt.zero_grad()
        (w * w * np.array([1.0, 3.0])).sum().backward()  # gradient (2 w0, 6 w1)
        opt.step()
        history.append(w.data.copy())
    return history, w


def test_sgd_matches_hand_computed_steps():
    history, w = _quadratic_steps(lambda p: optim.SGD(p, lr=0.1))
    np.testing.assert_allclose(history[0], [1 - 0.1 * 2, -2 + 0.1 * 12])
    assert w._version == 3 and w.is_leaf
    history, _ = _quadratic_steps(lambda p: optim.SGD(p, lr=0.1, momentum=0.9), steps=2)
    g0 = np.array([2.0, -12.0])
    w1 = np.array([1.0, -2.0]) - 0.1 * g0
    g1 = np.array([2.0, 6.0]) * w1
    np.testing.assert_allclose(history[1], w1 - 0.1 * (0.9 * g0 + g1))
    history, _ = _quadratic_steps(
        lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True), steps=2
    )
    w1 = np.array([1.0, -2.0]) - 0.1 * (g0 + 0.9 * g0)
    g1 = np.array([2.0, 6.0]) * w1
    v1 = 0.9 * g0 + g1
    np.testing.assert_allclose(history[1], w1 - 0.1 * (g1 + 0.9 * v1))
    history, _ = _quadratic_steps(lambda p: optim.SGD(p, lr=0.1, weight_decay=0.5), steps=1)
    np.testing.assert_allclose(history[0], [1.0, -2.0] - 0.1 * (g0 + 0.5 * np.array([1, -2])))


def test_adam_matches_hand_computed_steps():
    history, _ = _quadratic_steps(lambda p: optim.Adam(p, lr=0.01), steps=2)
    g0 = np.array([2.0, -12.0])
    w1 = np.array([1.0, -2.0]) - 0.01 * g0 / (np.abs(g0) + 1e-8)  # first step: lr * sign
    np.testing.assert_allclose(history[0], w1)
    g1 = np.array([2.0, 6.0]) * w1
    m = 0.9 * 0.1 * g0 + 0.1 * g1
    v = 0.999 * 0.001 * g0**2 + 0.001 * g1**2
    step = 0.01 * (m / (1 - 0.9**2)) / (np.sqrt(v / (1 - 0.999**2)) + 1e-8)
    np.testing.assert_allclose(history[1], w1 - step)


def test_schedules_and_optimizer_errors():
    w = mg.tensor([1.0], requires_grad=True)
    opt = optim.SGD([w], lr=1.0)
    sched = optim.StepLR(opt, step_size=2, gamma=0.5)
    lrs = []
    for _ in range(4):
        sched.step()
        lrs.append(opt.lr)
    assert lrs == [1.0, 0.5, 0.5, 0.25]
    cos = optim.CosineAnnealingLR(optim.SGD([w], lr=1.0), t_max=4)
    for _ in range(4):
        cos.step()
    assert cos.optimizer.lr == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="no parameters"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match=r"learning rate lr must be in \[0, inf\), got -1"):
        optim.Adam([w], lr=-1)


def _s(x):
    return 1 / (1 + np.exp(-x))


TABLE_5_1 = {  # seed 004, table 5.1 and section 5.1: each activation's derivative in closed form
    "logistic": (nn.sigmoid, lambda x: _s(x) * (1 - _s(x))),
    "tanh": (nn.tanh, lambda x: 1 - np.tanh(x) ** 2),
    "hard_logistic": (nn.hard_sigmoid, lambda x: np.where(np.abs(x) < 2, 0.25, 0.0)),
    "hard_tanh": (nn.hard_tanh, lambda x: np.where(np.abs(x) < 1, 1.0, 0.0)),
    "relu": (nn.relu, lambda x: (x > 0).astype(float)),
    "leaky_relu": (nn.leaky_relu, lambda x: np.where(x > 0, 1.0, 0.01)),
    "elu": (nn.elu, lambda x: np.where(x > 0, 1.0, np.exp(x))),
    "softplus": (nn.softplus, _s),
    "softsign": (nn.softsign, lambda x: 1 / (1 + np.abs(x)) ** 2),
    "swish": (nn.silu, lambda x: _s(x) + x * _s(x) * (1 - _s(x))),
}


@pytest.mark.parametrize("name", TABLE_5_1)
def test_table_5_1_derivatives(name):
    f, derivative = TABLE_5_1[name]
    x = np.linspace(-4, 4, 81)
    x = x[np.abs(np.abs(x) - np.round(np.abs(x))) > 1e-9] if "hard" in name else x[x != 0]
    grad = mg.grad(lambda t: f(t).sum())(x)
    np.testing.assert_allclose(grad.data, derivative(x), rtol=1e-12, atol=1e-12)


def test_a_whole_model_differentiates_in_both_modes_and_twice():
    rng = np.random.default_rng(8)
    model = nn.Sequential(
        nn.Linear(3, 4, rng=rng, dtype=np.float64),
        nn.BatchNorm1d(4, dtype=np.float64),
        nn.ELU(),
        nn.Linear(4, 2, rng=rng, dtype=np.float64),
    )
    labels = np.array([0, 1, 1, 0, 1])
    loss = lambda x: nn.cross_entropy(model(x), labels) + 1e-2 * nn.l2_penalty(model)
    x = _x(5, 3)
    assert mg.gradcheck(loss, x)
    assert mg.gradgradcheck(loss, x)
    hessian = mg.hessian(loss)(x)
    assert hessian.shape == (5, 3, 5, 3)
    np.testing.assert_allclose(
        hessian.data.reshape(15, 15), hessian.data.reshape(15, 15).T, atol=1e-10
    )


def test_sigmoid_is_accurate_in_both_tails_and_elu_has_slope_one_at_zero():
    x = np.array([-700.0, -38.0, -20.0, 0.0, 20.0])
    expected = np.exp(-np.logaddexp(0, -x))
    np.testing.assert_allclose(nn.sigmoid(mg.Tensor(x)).data, expected, rtol=1e-15, atol=0)
    assert mg.grad(lambda t: nn.elu(t).sum())(np.array([0.0])).item() == 1.0
