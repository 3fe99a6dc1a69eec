"""Seed 004, 5.7.2 (figure 5.10): the neuron y = tanh(w1 x1 + w2 x2 + b) with x1 in [0, 10] and
x2 in [0, 1], its loss surface over (w1, w2) before and after normalisation, the Hessian's
condition at the minimum and the gradient-descent steps it costs."""

from __future__ import annotations

import numpy as np

import minigrad as mg
from minigrad.data.preprocess import MinMax, PCAWhitening, ZScore
from minigrad.validate import generator, integer, number

RANGES = ((0.0, 10.0), (0.0, 1.0))  # the seed's x1 in [0, 10], x2 in [0, 1]
TEACHER = (
    0.1,
    1.0,
    -1.0,
)  # raw w1, w2, b: w1 x1 + w2 x2 + b in [-1, 1], mean 0 (seed: |w1| <= 0.1)
SCALINGS = ("raw", "min-max", "z-score", "PCA whitening")


def neuron_data(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n inputs uniform over the seed's ranges and the teacher's outputs tanh(w.x + b)."""
    integer(n, "neuron_data", "n", low=2)
    generator(rng, "neuron_data")
    low, high = np.array(RANGES).T
    x = rng.uniform(low, high, size=(n, 2))
    return x, np.tanh(x @ np.array(TEACHER[:2]) + TEACHER[2])


def scaled(x: np.ndarray, scaling: str) -> np.ndarray:
    """The inputs as the network sees them under one of SCALINGS (fitted on x itself)."""
    if scaling not in SCALINGS:
        raise ValueError(f"scaled: unknown scaling {scaling!r}, expected one of {SCALINGS}")
    if scaling == "raw":
        return np.asarray(x, dtype=np.float64)
    fitted = {"min-max": MinMax(), "z-score": ZScore(), "PCA whitening": PCAWhitening()}[scaling]
    return fitted.fit_transform(np.asarray(x, dtype=np.float64)).astype(np.float64)


def losses(theta: mg.Tensor, x: np.ndarray, y: np.ndarray) -> mg.Tensor:
    """Mean squared error of tanh(w1 x1 + w2 x2 + b) for each row (w1, w2, b) of theta (k, 3):
    k independent problems in one graph, so one backward sweep gives every row's gradient."""
    z = mg.matmul(theta[:, :2], mg.tensor(x.T)) + theta[:, 2:3]
    return ((mg.tanh(z) - mg.tensor(y)) ** 2).mean(axis=1)


def minimum(x: np.ndarray, y: np.ndarray, steps: int = 200) -> np.ndarray:
    """(w1, w2, b) at the loss minimum, by Newton's method with mg.hessian from least squares on
    artanh(y) (exact here: the teacher's outputs are noise-free)."""
    design = np.column_stack([x, np.ones(len(x))])
    theta = np.linalg.lstsq(design, np.arctanh(np.clip(y, -0.999999, 0.999999)), rcond=None)[0]
    loss = lambda t: losses(t.reshape(1, 3), x, y).sum()  # noqa: E731
    for _ in range(steps):
        g = mg.grad(loss)(mg.tensor(theta)).numpy()
        if np.abs(g).max() < 1e-15:
            break
        theta = theta - np.linalg.solve(mg.hessian(loss)(mg.tensor(theta)).numpy(), g)
    return theta


def hessian_at(theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The 3x3 Hessian of the loss over (w1, w2, b) at theta, by mg.hessian."""
    loss = lambda t: losses(t.reshape(1, 3), x, y).sum()  # noqa: E731
    return mg.hessian(loss)(mg.tensor(np.asarray(theta, dtype=np.float64))).numpy()


def condition(h: np.ndarray) -> float:
    """Largest over smallest eigenvalue of a symmetric positive definite matrix."""
    values = np.linalg.eigvalsh(h)
    return float(values[-1] / values[0])


def descend(
    x: np.ndarray,
    y: np.ndarray,
    theta_star: np.ndarray,
    lrs: np.ndarray,
    *,
    train_bias: bool,
    steps: int,
    tol: float,
) -> dict:
    """Gradient descent from w = 0 (b = 0, or b = b* when it is not trained) with every learning
    rate of `lrs` at once; for each, the first step whose loss is below `tol` (None: not within
    `steps`, or diverged), and the path of the fastest rate."""
    integer(steps, "descend", "steps", low=1)
    number(tol, "descend", "tol", low=0, low_open=True)
    lrs = np.asarray(lrs, dtype=np.float64)
    theta = np.zeros((len(lrs), 3))
    theta[:, 2] = 0.0 if train_bias else theta_star[2]
    mask = np.array([1.0, 1.0, 1.0 if train_bias else 0.0])
    value_and_grad = mg.value_and_grad(lambda t: _total(t, x, y), has_aux=True)
    reached = [None] * len(lrs)
    paths, curves = [theta.copy()], []
    for step in range(steps + 1):
        (_, per_row), g = value_and_grad(mg.tensor(theta))
        curves.append(per_row.numpy().astype(np.float64))
        for k, loss in enumerate(curves[-1]):
            if reached[k] is None and loss < tol:
                reached[k] = step
        pending = [r is None and np.isfinite(c) for r, c in zip(reached, curves[-1], strict=True)]
        if not any(pending):
            break
        theta = theta - lrs[:, None] * mask * np.nan_to_num(g.numpy(), nan=0.0)
        paths.append(theta.copy())
    return _fastest(lrs, reached, np.array(paths), np.array(curves))


def _total(theta: mg.Tensor, x: np.ndarray, y: np.ndarray) -> tuple[mg.Tensor, mg.Tensor]:
    per_row = losses(theta, x, y)
    return per_row.sum(), per_row


def _fastest(lrs: np.ndarray, reached: list, paths: np.ndarray, curves: np.ndarray) -> dict:
    done = [k for k, r in enumerate(reached) if r is not None]
    best = min(done, key=lambda k: reached[k]) if done else int(np.nanargmin(curves[-1]))
    return {
        "lrs": lrs.tolist(),
        "steps_to_tol": reached,
        "best_lr": float(lrs[best]),
        "best_steps": reached[best],
        "path": paths[:, best, :],
        "loss_curve": curves[:, best],
    }


def surface(x: np.ndarray, y: np.ndarray, b: float, w1: np.ndarray, w2: np.ndarray) -> np.ndarray:
    """The loss over the grid w1 x w2 (shape (len(w2), len(w1)), for contour) at bias b."""
    grid = np.stack(np.meshgrid(w1, w2), axis=-1).reshape(-1, 2)
    theta = np.column_stack([grid, np.full(len(grid), b)])
    with mg.no_grad():
        return losses(mg.tensor(theta), x, y).numpy().reshape(len(w2), len(w1))


def study(
    n: int, rng: np.random.Generator, *, steps: int, tol: float, n_lrs: int
) -> dict[str, dict]:
    """For each scaling: the minimum, the Hessian's condition over (w1, w2) and over
    (w1, w2, b), and the fastest gradient descent to `tol` over a log grid of learning rates
    up to 2 / lambda_max (beyond it descent diverges near the minimum)."""
    x_raw, y = neuron_data(n, rng)
    out = {}
    for scaling in SCALINGS:
        x = scaled(x_raw, scaling)
        theta = minimum(x, y)
        h = hessian_at(theta, x, y)
        row = {"x": x, "y": y, "theta_star": theta, "hessian": h}
        for name, block, bias in (("w", h[:2, :2], False), ("wb", h, True)):
            top = float(np.linalg.eigvalsh(block)[-1])
            lrs = np.geomspace(0.02, 0.99, n_lrs) * 2 / top
            row[name] = {"condition": condition(block), "lambda_max": top}
            row[name].update(descend(x, y, theta, lrs, train_bias=bias, steps=steps, tol=tol))
        out[scaling] = row
    return out
