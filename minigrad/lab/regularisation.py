"""Seed 004's regularisers measured (5.7.5-5.7.6): l2 and l1 penalties against overfitting and
l1's sparse weights; dropout's keep rates swept, and the entropy of its subnetworks."""

from __future__ import annotations

import math

import numpy as np

from minigrad import nn, optim
from minigrad.rng import generator_or_default
from minigrad.tensor import Tensor
from minigrad.validate import integer, number

Data = dict[str, tuple[np.ndarray, np.ndarray]]
SPARSE = 1e-3  # a weight counts as zero below this magnitude


def mlp(
    widths: tuple[int, ...],
    rng: np.random.Generator,
    *,
    keep_input: float = 1.0,
    keep_hidden: float = 1.0,
    drop_rng: np.random.Generator | None = None,
) -> nn.Sequential:
    """A tanh network; units are kept with the seed's probabilities p (nn.Dropout takes the drop
    probability 1 - p, as PyTorch). The weights depend only on `rng`."""
    if len(widths) < 2:
        raise ValueError(f"mlp: widths needs at least 2 sizes, got {widths}")
    keep_input = number(keep_input, "mlp", "keep_input", low=0, low_open=True, high=1)
    keep_hidden = number(keep_hidden, "mlp", "keep_hidden", low=0, low_open=True, high=1)
    layers: list[nn.Module] = []
    if keep_input < 1:
        layers.append(nn.Dropout(1 - keep_input, rng=drop_rng))
    for k, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
        layers.append(nn.Linear(n_in, n_out, rng=rng))
        if k < len(widths) - 2:
            layers.append(nn.Tanh())
            if keep_hidden < 1:
                layers.append(nn.Dropout(1 - keep_hidden, rng=drop_rng))
    return nn.Sequential(*layers)


def error(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    """Classification error in evaluation mode (no unit dropped)."""
    model.eval()
    wrong = float(np.mean(model(Tensor(x)).data.argmax(1) != y))
    model.train()
    return wrong


def sparsity(model: nn.Module, below: float = SPARSE) -> float:
    """Fraction of the weights (biases excluded) whose magnitude is below `below`."""
    w = np.concatenate([p.data.ravel() for n, p in model.named_parameters() if "weight" in n])
    return float(np.mean(np.abs(w) < below))


def train(
    model: nn.Module,
    data: Data,
    rng: np.random.Generator,
    *,
    steps: int,
    lr: float = 0.1,
    batch: int = 50,
    l2: float = 0.0,
    l1: float = 0.0,
) -> dict:
    """SGD (momentum 0.9) on mean cross-entropy + l2 (1/2) sum w^2 + l1 sum |w| (weights only,
    seed 004 eq. 5.36); returns final train and test error, their gap and the sparsity."""
    steps = integer(steps, "train", "steps", low=1)
    batch = integer(batch, "train", "batch", low=1)
    l2 = number(l2, "train", "l2", low=0)
    l1 = number(l1, "train", "l1", low=0)
    for split in ("train", "test"):
        if split not in data:
            raise ValueError(f"train: data needs a {split!r} pair (x, y), got keys {list(data)}")
    x, y = data["train"]
    opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    model.train()
    for _ in range(steps):
        i = rng.integers(0, len(x), batch)
        loss = nn.cross_entropy(model(Tensor(x[i])), y[i])
        if l2:
            loss = loss + l2 * nn.l2_penalty(model)
        if l1:
            loss = loss + l1 * nn.l1_penalty(model)
        opt.zero_grad()
        loss.backward()
        opt.step()
    train_error, test_error = error(model, *data["train"]), error(model, *data["test"])
    return {
        "train_error": train_error,
        "test_error": test_error,
        "gap": test_error - train_error,
        "sparsity": sparsity(model),
    }


def penalty_runs(
    data: Data, widths: tuple[int, ...], penalties: dict[str, dict], seeds: list[int], **kw
) -> dict[str, list[dict]]:
    """For each named penalty ({'none': {}, 'l2 1e-3': {'l2': 1e-3}, ...}) one run per seed; the
    same initial weights and mini-batches for every penalty of a seed."""
    if not seeds:
        raise ValueError("penalty_runs: seeds is empty")
    return {
        name: [
            train(
                mlp(widths, np.random.default_rng(s)),
                data,
                np.random.default_rng(s + 1000),
                **kw,
                **pen,
            )
            for s in seeds
        ]
        for name, pen in penalties.items()
    }


def dropout_sweep(
    data: Data,
    widths: tuple[int, ...],
    keep_hidden: list[float],
    keep_input: list[float],
    seeds: list[int],
    **kw,
) -> list[dict]:
    """One row per (keep_input, keep_hidden): test and train error over `seeds` (mean, std)."""
    if not keep_hidden or not keep_input or not seeds:
        raise ValueError("dropout_sweep: keep_hidden, keep_input and seeds must be non-empty")
    rows = []
    for pi in keep_input:
        for ph in keep_hidden:
            runs = [
                train(
                    mlp(
                        widths,
                        np.random.default_rng(s),
                        keep_input=pi,
                        keep_hidden=ph,
                        drop_rng=np.random.default_rng(s + 2000),
                    ),
                    data,
                    np.random.default_rng(s + 1000),
                    **kw,
                )
                for s in seeds
            ]
            test = [r["test_error"] for r in runs]
            rows.append(
                {
                    "keep_input": pi,
                    "keep_hidden": ph,
                    "test_error": float(np.mean(test)),
                    "test_std": float(np.std(test)),
                    "train_error": float(np.mean([r["train_error"] for r in runs])),
                    "runs": test,
                }
            )
    return rows


def mask_entropy(n: int, p: float) -> float:
    """Entropy in bits of a dropout mask over n units kept with probability p: log2 of the
    effective number of subnetworks, n H(p), at most n (all 2^n equally likely) at p = 0.5.

    >>> mask_entropy(100, 0.5), round(mask_entropy(100, 0.8), 1)
    (100.0, 72.2)
    """
    n = integer(n, "mask_entropy", "n", low=1)
    p = number(p, "mask_entropy", "p", low=0, high=1)
    return 0.0 if p in (0.0, 1.0) else -n * (p * math.log2(p) + (1 - p) * math.log2(1 - p))


def count_entropy(n: int, p: float) -> float:
    """Entropy in bits of the number of kept units, Binomial(n, p); also largest at p = 0.5."""
    n = integer(n, "count_entropy", "n", low=1)
    p = number(p, "count_entropy", "p", low=0, high=1)
    k = np.arange(n + 1)
    log_pmf = np.array(
        [math.lgamma(n + 1) - math.lgamma(j + 1) - math.lgamma(n - j + 1) for j in k]
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        log_pmf = log_pmf + k * np.log(p) + (n - k) * np.log1p(-p)
        pmf = np.exp(log_pmf)
        h = -np.nansum(pmf * log_pmf) / math.log(2)
    return float(max(h, 0.0))


def synthetic_task(rng: np.random.Generator, n_train: int = 100, dim: int = 40) -> Data:
    """A task a 40-100-4 net overfits: Gaussian inputs, labels from a random linear teacher with
    20% of the training labels replaced at random; the test labels are clean."""
    rng = generator_or_default(rng, "synthetic_task")
    n_train = integer(n_train, "synthetic_task", "n_train", low=10)
    teacher = rng.normal(0, 1, (dim, 4))
    x = rng.normal(0, 1, (n_train + 2000, dim)).astype(np.float32)
    y = (x @ teacher).argmax(1)
    noisy = rng.random(n_train) < 0.2
    y[:n_train][noisy] = rng.integers(0, 4, int(noisy.sum()))
    return {"train": (x[:n_train], y[:n_train]), "test": (x[n_train:], y[n_train:])}
