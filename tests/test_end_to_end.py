"""End to end: Nielsen's 784-30-10 sigmoid network on MNIST (chapter 3 settings)."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from minigrad import nn, optim
from minigrad.data.mnist import FILES, load_mnist
from minigrad.training import evaluate, fit
from tests.test_mnist import SHARED


class Nielsen(nn.Module):
    """784-30-10, sigmoid hidden and output units, N(0, 1/n_in) weights, N(0, 1) biases."""

    def __init__(self, rng):
        super().__init__()
        self.hidden = nn.Linear(784, 30, rng=rng)
        self.out = nn.Linear(30, 10, rng=rng)
        for layer in (self.hidden, self.out):
            nn.init.nielsen_(layer.weight, layer.bias, rng)

    def forward(self, x):
        return self.out(nn.sigmoid(self.hidden(x)))  # logits of the sigmoid outputs


def test_nielsen_network_reaches_93_5_percent_in_3_epochs():
    if not all((SHARED / name).is_file() for name in FILES):
        (pytest.fail if os.environ.get("CI") else pytest.skip)(f"no MNIST files in {SHARED}")
    data = load_mnist(SHARED, split="nielsen")
    rng = np.random.default_rng(0)
    model = Nielsen(rng)
    targets = nn.one_hot(data.train_labels, 10)
    n, lam = len(targets), 5.0
    start = time.perf_counter()
    fit(
        model,
        optim.SGD(model.parameters(), lr=0.1),
        data.train_images,
        targets,
        epochs=3,
        batch_size=10,
        rng=rng,
        loss_fn=nn.sigmoid_cross_entropy,
        penalty=lambda m: nn.l2_penalty(m) * (lam / n),
        progress=False,
    )
    seconds = time.perf_counter() - start
    accuracy = evaluate(
        model, data.test_images, nn.one_hot(data.test_labels, 10), loss_fn=nn.sigmoid_cross_entropy
    )["accuracy"]
    print(f"Nielsen 784-30-10, 3 epochs: test accuracy {accuracy:.4f} in {seconds:.1f} s")
    assert accuracy >= 0.935
