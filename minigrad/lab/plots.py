"""Plots of the instruments' records (matplotlib, imported when used)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def pyplot():
    """matplotlib.pyplot with the file-writing Agg backend (no screen needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def activation_stats(records: dict, path, title: str = "") -> Path:
    """Glorot and Bengio's figures 2 and 3: per layer, the mean (line) and standard deviation
    (band) of the activations over training, and their 98th percentile."""
    plt = pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
    for k, (name, r) in enumerate(records.items()):
        a = r.arrays()
        ax1.plot(a["steps"], a["mean"], color=f"C{k}", label=name)
        ax1.fill_between(
            a["steps"], a["mean"] - a["std"], a["mean"] + a["std"], color=f"C{k}", alpha=0.15
        )
        ax2.plot(a["steps"], a["percentiles"][:, -1], color=f"C{k}", label=name)
    ax1.set(title="mean and std of activations", xlabel="step")
    ax2.set(title="98th percentile of activations", xlabel="step")
    ax1.legend(fontsize=7)
    fig.suptitle(title)
    return save_figure(fig, path)


def histograms(
    values: dict[str, np.ndarray], path, title: str = "", bins: int = 60, log: bool = False
) -> Path:
    """One histogram per layer on shared axes (figures 4, 6, 7 and 8 of the paper)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for k, (name, v) in enumerate(values.items()):
        ax.hist(v, bins=bins, histtype="step", color=f"C{k}", label=name, density=True)
    if log:
        ax.set_yscale("log")
    ax.set(title=title)
    ax.legend(fontsize=7)
    return save_figure(fig, path)


def curves(
    series: dict[str, np.ndarray],
    path,
    title: str = "",
    xlabel: str = "epoch",
    ylabel: str = "",
    logy: bool = False,
    x=None,
) -> Path:
    """Several named curves on one axis (learning speed per layer, error curves), against
    `x` (default 1, 2, ...)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for name, y in series.items():
        ax.plot(np.arange(1, len(y) + 1) if x is None else x, y, label=name)
    if logy:
        ax.set_yscale("log")
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.legend(fontsize=7)
    return save_figure(fig, path)


def save_figure(fig, path, dpi: int = 110) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path
