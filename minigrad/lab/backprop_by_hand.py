"""Algorithm 5.1 of seed 004 (Qiu, 5.3): per-example backpropagation with explicit error terms
delta^(l), in plain NumPy, next to minigrad's autodiff of the same network and loss."""

from __future__ import annotations

import numpy as np

from minigrad import nn, optim
from minigrad.tensor import Tensor
from minigrad.validate import generator, integer, number

# The seed's notation: layer l = 1..L has W^(l) of shape (n_l, n_{l-1}) and b^(l) of shape
# (n_l,); params[l - 1] = (W^(l), b^(l)). In the code the layer index is `k` (ruff's E741
# forbids a variable `l`, which reads as 1). Hidden layers are logistic, f_l = sigmoid; the output
# layer is softmax (eq. 5.34) with the cross-entropy loss L = -y^T log y_hat (eq. 5.35).
Params = list[tuple[np.ndarray, np.ndarray]]


def init_params(sizes: list[int], rng: np.random.Generator) -> Params:
    """W^(l) ~ N(0, 1/n_{l-1}) and b^(l) ~ N(0, 0.1^2) (non-zero, so that dL/db is tested)."""
    if len(sizes) < 2:
        raise ValueError(f"init_params: sizes needs at least 2 layer sizes, got {sizes}")
    sizes = [integer(n, "init_params", "sizes[i]", low=1) for n in sizes]
    generator(rng, "init_params")
    return [
        (rng.normal(0, 1 / np.sqrt(n_in), (n_out, n_in)), rng.normal(0, 0.1, n_out))
        for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)
    ]


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())  # NOTE: shifted by the max, which softmax ignores, against overflow
    return e / e.sum()


def forward(params: Params, x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Step (1): z^(l) and a^(l) of every layer for one example x = a^(0); a^(L) = y_hat."""
    zs, activations = [], [x]
    for k, (w, b) in enumerate(params, start=1):
        zs.append(w @ activations[-1] + b)  # z^(l) = W^(l) a^(l-1) + b^(l)        (5.26)
        f = softmax if k == len(params) else sigmoid
        activations.append(f(zs[-1]))  # a^(l) = f_l(z^(l))                  (5.27), (5.34)
    return zs, activations


def backward(params: Params, zs: list, activations: list, y: int) -> Params:
    """Steps (2) and (3): the error terms delta^(l) = dL/dz^(l) (5.45), from the last layer
    down (5.49), and from them dL/dW^(l) (5.56) and dL/db^(l) (5.57)."""
    delta = activations[-1].copy()
    delta[y] -= 1  # delta^(L) = y_hat - y for softmax + cross-entropy (5.34, 5.35)
    grads: Params = []
    for k in range(len(params), 0, -1):  # l = L, ..., 1
        grads.insert(0, (np.outer(delta, activations[k - 1]), delta))  # (5.56), (5.57)
        if k > 1:
            s = sigmoid(zs[k - 2])  # f'_{l-1}(z^(l-1)) = s (1 - s) for the logistic f
            delta = s * (1 - s) * (params[k - 1][0].T @ delta)  # delta^(l-1)        (5.49)
    return grads


def loss(params: Params, x: np.ndarray, y: np.ndarray) -> float:
    """The mean of L = -log y_hat_y (5.35) over the examples (rows of x)."""
    return float(
        np.mean([-np.log(forward(params, xi)[1][-1][yi]) for xi, yi in zip(x, y, strict=True)])
    )


def algorithm_5_1(
    params: Params, x: np.ndarray, y: np.ndarray, alpha: float, lam: float, orders: list
) -> tuple[Params, list[float]]:
    """Algorithm 5.1: for t = 1..T (one `orders` entry each), for each example i in that order:
    forward, backward, and update W^(l) <- W^(l) - alpha dL/dW^(l) - alpha lambda W^(l),
    b^(l) <- b^(l) - alpha dL/db^(l). Returns new parameters and the mean loss after each epoch.

    NOTE: the seed's line 9 writes sum_{i=1}^N inside the loop over i; we update with the one
    example i, which is what the loop over i means (stochastic gradient descent)."""
    x, y, params = _checked(x, y, params, "algorithm_5_1")
    alpha = number(alpha, "algorithm_5_1", "alpha", low=0, low_open=True)
    lam = number(lam, "algorithm_5_1", "lam", low=0)
    params, losses = [(w.copy(), b.copy()) for w, b in params], []
    for order in orders:  # line 2
        for i in order:  # line 3
            zs, activations = forward(params, x[i])  # line 4, step (1)
            grads = backward(params, zs, activations, int(y[i]))  # lines 5-7, (2) and (3)
            params = [
                (w - alpha * dw - alpha * lam * w, b - alpha * db)  # line 9, step (4)
                for (w, b), (dw, db) in zip(params, grads, strict=True)
            ]
        losses.append(loss(params, x, y))
    return params, losses


def to_model(params: Params) -> nn.Sequential:
    """The same network as minigrad modules: Linear (weight = W^(l), bias = b^(l)) and Sigmoid,
    returning the logits z^(L) (nn.cross_entropy applies the softmax)."""
    layers = []
    for w, b in params:
        linear = nn.Linear(w.shape[1], w.shape[0], rng=np.random.default_rng(0), dtype=w.dtype)
        linear.weight.data[...] = w
        linear.bias.data[...] = b
        layers += [linear, nn.Sigmoid()]
    return nn.Sequential(*layers[:-1])


def params_of(model: nn.Sequential) -> Params:
    linears = [m for m in model if isinstance(m, nn.Linear)]
    return [(m.weight.data.copy(), m.bias.data.copy()) for m in linears]


def grads_of(model: nn.Sequential) -> Params:
    linears = [m for m in model if isinstance(m, nn.Linear)]
    return [(m.weight.grad.data.copy(), m.bias.grad.data.copy()) for m in linears]


def autodiff_step(model: nn.Sequential, xi: np.ndarray, yi: int, lam: float) -> Tensor:
    """L + (lam / 2) ||W||_F^2 (5.36, 5.38) for one example, and its backward pass."""
    model.zero_grad()
    cost = nn.cross_entropy(model(Tensor(xi[None])), np.array([yi]))
    (cost + nn.l2_penalty(model) * lam).backward()
    return cost


def sgd_autodiff(
    params: Params, x: np.ndarray, y: np.ndarray, alpha: float, lam: float, orders: list
) -> tuple[Params, list[float]]:
    """The same training with minigrad: autodiff gradients and optim.SGD, one example a step."""
    x, y, params = _checked(x, y, params, "sgd_autodiff")
    model = to_model(params)
    opt = optim.SGD(model.parameters(), lr=number(alpha, "sgd_autodiff", "alpha", low=0))
    lam, losses = number(lam, "sgd_autodiff", "lam", low=0), []
    for order in orders:
        for i in order:
            autodiff_step(model, x[i], int(y[i]), lam)
            opt.step()
        losses.append(float(nn.cross_entropy(model(Tensor(x)), y).item()))
    return params_of(model), losses


def gradient_gaps(params: Params, x: np.ndarray, y: np.ndarray) -> dict:
    """For every example: dL/dW^(l), dL/db^(l) by explicit deltas and by minigrad's backward;
    the largest absolute difference per layer and the largest gradient entry."""
    x, y, params = _checked(x, y, params, "gradient_gaps")
    model = to_model(params)
    gaps = np.zeros((len(params), 2))
    scale = 0.0
    for xi, yi in zip(x, y, strict=True):
        by_hand = backward(params, *forward(params, xi), int(yi))
        autodiff_step(model, xi, int(yi), 0.0)
        for k, (hand, auto) in enumerate(zip(by_hand, grads_of(model), strict=True)):
            gaps[k] = np.maximum(gaps[k], [np.abs(hand[j] - auto[j]).max() for j in (0, 1)])
            scale = max(scale, *(np.abs(h).max() for h in hand))
    return {"max_abs_diff": gaps.tolist(), "max_abs_grad": scale}


def max_param_diff(a: Params, b: Params) -> float:
    """The largest |difference| between two sets of parameters of the same network."""
    pairs = zip(a, b, strict=True)
    return max(float(np.abs(pa[j] - pb[j]).max()) for pa, pb in pairs for j in (0, 1))


def side_by_side(
    params: Params, x: np.ndarray, y: np.ndarray, alpha: float, lam: float, epochs: int
) -> dict:
    """Algorithm 5.1 and minigrad's SGD from the same parameters, examples in the seed's order
    i = 1..N each epoch: the mean loss of both and their largest parameter gap after each epoch."""
    integer(epochs, "side_by_side", "epochs", low=1)
    by_hand, autodiff = params, params
    run = {"loss_by_hand": [], "loss_autodiff": [], "max_param_diff": []}
    for _ in range(epochs):
        order = [np.arange(len(x))]
        by_hand, hand_loss = algorithm_5_1(by_hand, x, y, alpha, lam, order)
        autodiff, auto_loss = sgd_autodiff(autodiff, x, y, alpha, lam, order)
        run["loss_by_hand"] += hand_loss
        run["loss_autodiff"] += auto_loss
        run["max_param_diff"].append(max_param_diff(by_hand, autodiff))
    return {**run, "params": by_hand, "accuracy": accuracy(by_hand, x, y)}


def accuracy(params: Params, x: np.ndarray, y: np.ndarray) -> float:
    """The fraction of examples whose largest output is their label."""
    hits = [np.argmax(forward(params, xi)[1][-1]) == yi for xi, yi in zip(x, y, strict=True)]
    return float(np.mean(hits))


def _checked(x, y, params, where: str) -> tuple[np.ndarray, np.ndarray, Params]:
    """x (N, n_0) finite floats, y (N,) integer labels in [0, n_L), N >= 1, params chained."""
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"{where}: x must be a float np.ndarray, got {_kind(x)}")
    if not isinstance(y, np.ndarray) or not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"{where}: y must be an integer np.ndarray, got {_kind(y)}")
    if x.ndim != 2 or x.shape[0] == 0 or y.shape != (x.shape[0],):
        raise ValueError(
            f"{where}: x must be (N, n_0) and y (N,), N >= 1; got {x.shape}, {y.shape}"
        )
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{where}: x holds NaN or inf values")
    n_in = x.shape[1]
    for k, (w, b) in enumerate(params, start=1):
        if w.ndim != 2 or w.shape[1] != n_in or b.shape != (w.shape[0],):
            raise ValueError(
                f"{where}: params[{k - 1}] = (W^({k}), b^({k})) must be (n_{k}, {n_in}) and "
                f"(n_{k},), got {w.shape} and {b.shape}"
            )
        n_in = w.shape[0]
    if y.min() < 0 or y.max() >= n_in:
        raise ValueError(f"{where}: y must be labels in [0, {n_in}), got {y.min()}..{y.max()}")
    return (
        x.astype(np.float64),
        y,
        [(w.astype(np.float64), b.astype(np.float64)) for w, b in params],
    )


def _kind(a) -> str:
    return f"{a.dtype} array" if isinstance(a, np.ndarray) else type(a).__name__
