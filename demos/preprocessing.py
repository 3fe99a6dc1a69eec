"""Data preprocessing (figure 5.10) and data augmentation (seed 004, 5.7.1-5.7.2).

Run:  python demos/preprocessing.py [--out out/preprocessing] [--quick] [--seed 0] [--mnist DIR]
1. Preprocessing: y = tanh(w1 x1 + w2 x2 + b), x1 in [0, 10], x2 in [0, 1] (the seed's example);
   the loss over (w1, w2) raw, min-max, z-score and PCA-whitened, the Hessian's condition at the
   minimum (mg.hessian) and gradient-descent steps to a loss tolerance at the best stable rate.
2. Augmentation: the same small network trained with and without random small rotations, shifts
   and noise on a tiny training set: synthetic glyphs (always) and an MNIST subset (full run,
   when the files are found).
Writes preprocessing_contours.png, preprocessing_descent.png, augment_examples.png,
augment_curves.png, results.json and summary.md into the output folder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from minigrad.data import MnistError, load_mnist
from minigrad.lab import augment as au
from minigrad.lab import preprocessing as pp
from minigrad.lab.demo import demo_parser, write_results
from minigrad.lab.plots import pyplot, save_figure

SEED = "seeds/004_d8bb18cf261f0e4e.txt (Qiu, 5.7.1 data augmentation, 5.7.2 preprocessing)"
GLYPH_AUG = {"max_degrees": 10.0, "max_shift": 2, "noise": 0.05, "clip": (0.0, 1.0), "fill": 0.0}
MNIST_AUG = {"max_degrees": 10.0, "max_shift": 2, "noise": 0.05, "clip": (0.0, 1.0), "fill": 0.0}


def _box(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A square window (equal units on both axes) around the points, with a margin."""
    centre = (points.max(0) + points.min(0)) / 2
    half = 0.65 * max(np.ptp(points, axis=0).max(), 0.2)
    return np.linspace(centre[0] - half, centre[0] + half, 161), np.linspace(
        centre[1] - half, centre[1] + half, 161
    )


def contours(study: dict, out: Path) -> None:
    plt = pyplot()
    fig, axes = plt.subplots(1, 4, figsize=(15, 4.2))
    for ax, (name, r) in zip(axes, study.items(), strict=True):
        path, star = r["w"]["path"], r["theta_star"]
        w1, w2 = _box(np.vstack([path[:, :2], star[:2]]))
        loss = pp.surface(r["x"], r["y"], star[2], w1, w2)
        levels = np.geomspace(max(loss.min(), 1e-6), loss.max(), 14)
        ax.contour(w1, w2, loss, levels=levels, cmap="viridis", linewidths=0.8)
        ax.plot(path[:, 0], path[:, 1], ".-", color="C3", ms=3, lw=0.8)
        ax.plot(*star[:2], "k*", ms=10)
        steps = r["w"]["best_steps"]
        ax.set(
            xlabel="w1",
            ylabel="w2",
            aspect="equal",
            title=f"{name}: condition {r['w']['condition']:.3g}\n"
            f"{steps if steps is not None else '>max'} steps (lr {r['w']['best_lr']:.3g})",
        )
    fig.suptitle("loss over (w1, w2) at b = b*, gradient descent from w = 0 (red)", fontsize=10)
    save_figure(fig, out / "preprocessing_contours.png")


def descent(study: dict, out: Path, tol: float) -> None:
    plt = pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))
    for k, (name, r) in enumerate(study.items()):
        ax1.semilogy(r["wb"]["loss_curve"], color=f"C{k}", label=name)
        fraction = np.array(r["wb"]["lrs"]) * r["wb"]["lambda_max"] / 2
        steps = [np.nan if s is None else s for s in r["wb"]["steps_to_tol"]]
        ax2.loglog(fraction, steps, "o-", color=f"C{k}", label=name)
    ax1.axhline(tol, color="k", lw=0.6, ls="--")
    ax1.set_xscale("symlog", linthresh=10)
    ax1.set_xlim(0, None)
    ax1.set(
        xlabel="step",
        ylabel="loss",
        ylim=(tol / 100, 1),
        title="w1, w2, b trained from 0, best rate",
    )
    ax2.set(
        xlabel="learning rate x lambda_max / 2",
        ylabel=f"steps to loss < {tol:g}",
        title="every rate tried (missing: not within the step budget)",
    )
    ax1.legend(fontsize=8)
    ax2.legend(fontsize=8)
    save_figure(fig, out / "preprocessing_descent.png")


def preprocessing(out: Path, seed: int, quick: bool) -> dict:
    tol = 1e-6
    study = pp.study(
        200 if quick else 1000,
        np.random.default_rng(seed),
        steps=3000 if quick else 30000,
        tol=tol,
        n_lrs=8 if quick else 16,
    )
    contours(study, out)
    descent(study, out, tol)
    keep = ("condition", "lambda_max", "best_lr", "best_steps", "lrs", "steps_to_tol")
    return {
        "tol": tol,
        "n": len(study["raw"]["y"]),
        **{
            name: {
                "theta_star": r["theta_star"].tolist(),
                "input_condition": pp.condition(_moments(r["x"])),
                **{part: {k: r[part][k] for k in keep} for part in ("w", "wb")},
            }
            for name, r in study.items()
        },
    }


def _moments(x: np.ndarray) -> np.ndarray:
    """E[(x, 1)(x, 1)^T]: the Hessian of a linear neuron's squared error, up to a factor 2."""
    design = np.column_stack([x, np.ones(len(x))])
    return design.T @ design / len(x)


def examples(images: np.ndarray, out: Path, seed: int, options: dict, name: str) -> None:
    rng = np.random.default_rng(seed)
    plt = pyplot()
    fig, axes = plt.subplots(4, 7, figsize=(8.4, 5.0))
    for row, image in zip(axes, images[:4], strict=True):
        copies = au.augment(np.repeat(image[None], 6, axis=0), rng, **options)
        for k, (ax, shown) in enumerate(zip(row, [image, *copies], strict=True)):
            ax.imshow(shown, cmap="gray", vmin=0, vmax=1)
            ax.set(xticks=[], yticks=[], title="original" if k == 0 else "")
            if k == 0:
                ax.spines[:].set_color("C3")
    fig.suptitle(f"{name}: originals and random augmentations ({_describe(options)})", fontsize=9)
    save_figure(fig, out / "augment_examples.png")


def _describe(options: dict) -> str:
    return (
        f"rotation +-{options['max_degrees']:g} deg, shift +-{options['max_shift']} px, "
        f"noise sd {options['noise']:g}" + (", flips" if options.get("flips") else "")
    )


def compare(data: dict, seeds: list[int], epochs: int, options: dict) -> dict:
    """Plain and augmented training from the same initialisations, for each seed."""
    runs = {"plain": [], "augmented": []}
    for seed in seeds:
        for name, aug in (("plain", None), ("augmented", options)):
            rng = np.random.default_rng(1000 + seed)
            runs[name].append(au.train(data, rng, epochs=epochs, augmentation=aug))
    summary = {}
    for name, histories in runs.items():
        final = lambda key: [h[key][-1] for h in histories]  # noqa: E731,B023
        summary[name] = {
            "train_error": final("train_error"),
            "test_error": final("test_error"),
            "gap": [h["gap"] for h in histories],
            "mean_test_error": float(np.mean(final("test_error"))),
            "mean_gap": float(np.mean([h["gap"] for h in histories])),
            "curves": histories[0],
        }
    return summary


def glyph_task(seed: int, n_train: int) -> dict:
    rng = np.random.default_rng(seed)
    x_train, y_train = au.glyphs(n_train, rng)
    x_test, y_test = au.glyphs(1000, rng)
    return {
        "x_train": x_train,
        "y_train": y_train,
        "x_test": x_test,
        "y_test": y_test,
        "classes": 4,
    }


def mnist_task(folder: Path | None, n_train: int, seed: int) -> dict | None:
    try:
        m = load_mnist(folder, download=False)
    except MnistError:
        return None
    rows = np.random.default_rng(seed).permutation(len(m.train_labels))[:n_train]
    return {
        "x_train": m.train_images[rows].reshape(-1, 28, 28),
        "y_train": m.train_labels[rows],
        "x_test": m.test_images.reshape(-1, 28, 28),
        "y_test": m.test_labels,
        "classes": 10,
    }


def curves(tasks: dict, out: Path) -> None:
    plt = pyplot()
    fig, axes = plt.subplots(1, len(tasks), figsize=(5.5 * len(tasks), 3.8), squeeze=False)
    for ax, (name, r) in zip(axes[0], tasks.items(), strict=True):
        for k, run in enumerate(("plain", "augmented")):
            c = r[run]["curves"]
            epochs = np.arange(1, len(c["test_error"]) + 1)
            ax.plot(epochs, c["test_error"], "-", color=f"C{k}", label=f"{run}: test")
            ax.plot(epochs, c["train_error"], "--", color=f"C{k}", label=f"{run}: train")
        ax.set(xlabel="epoch", ylabel="error", title=f"{name} ({r['n_train']} training images)")
        ax.legend(fontsize=8)
    save_figure(fig, out / "augment_curves.png")


def augmentation(out: Path, seed: int, quick: bool, mnist: Path | None) -> dict:
    seeds = [seed] if quick else [seed + k for k in range(5)]
    glyphs = glyph_task(seed, 40)
    tasks = {"glyphs": {"n_train": 40, **compare(glyphs, seeds, 30, GLYPH_AUG)}}
    shown, options = glyphs["x_train"], GLYPH_AUG
    if not quick:
        for n_train in (300, 1000, 3000):
            data = mnist_task(mnist, n_train, seed)
            if data is None:
                break
            epochs = 40 if n_train < 3000 else 25
            runs = compare(data, seeds[:3], epochs, MNIST_AUG)
            tasks[f"MNIST {n_train}"] = {"n_train": n_train, **runs}
            shown, options = data["x_train"], MNIST_AUG
    examples(shown, out, seed, options, "MNIST" if shown is not glyphs["x_train"] else "glyphs")
    curves({k: v for k, v in tasks.items() if k in ("glyphs", "MNIST 1000")}, out)
    for r in tasks.values():
        for run in ("plain", "augmented"):
            r[run]["curves"] = {k: v for k, v in r[run]["curves"].items() if k != "gap"}
    return tasks


def summary(r: dict) -> str:
    p, tasks = r["preprocessing"], r["augmentation"]
    rows = "\n".join(
        f"| {name} | {p[name]['input_condition']:.3g} | {p[name]['w']['condition']:.3g} | "
        f"{_steps(p[name]['w'])} | {p[name]['wb']['condition']:.3g} | {_steps(p[name]['wb'])} |"
        for name in pp.SCALINGS
    )
    aug = "\n".join(
        f"| {name} | {t['n_train']} | {len(t['plain']['gap'])} | "
        f"{t['plain']['mean_test_error']:.3f} | {t['plain']['mean_gap']:.3f} | "
        f"{t['augmented']['mean_test_error']:.3f} | {t['augmented']['mean_gap']:.3f} |"
        for name, t in tasks.items()
    )
    return f"""# Data preprocessing and augmentation

Source: {SEED}. y = tanh(w1 x1 + w2 x2 + b), x1 in [0, 10], x2 in [0, 1], {p["n"]} inputs,
noise-free teacher (w1, w2, b) = {pp.TEACHER}; loss = mean squared error; steps from w = 0 to
loss < {p["tol"]:g} at the best of a log grid of learning rates below 2 / lambda_max.

| inputs | condition of E[(x,1)(x,1)^T] | condition, (w1, w2) | steps (lr) | \
condition, (w1, w2, b) | steps (lr) |
|---|---|---|---|---|---|
{rows}

![contours](preprocessing_contours.png)
![descent](preprocessing_descent.png)

Augmentation ({_describe(GLYPH_AUG)}): test error and test - train gap after training, mean
over seeds; train error on the unaugmented training images.

| task | training images | seeds | plain: test error | plain: gap | augmented: test error | \
augmented: gap |
|---|---|---|---|---|---|---|
{aug}

![examples](augment_examples.png)
![curves](augment_curves.png)
"""


def _steps(r: dict) -> str:
    steps = r["best_steps"] if r["best_steps"] is not None else "not reached"
    return f"{steps} ({r['best_lr']:.3g})"


def main(argv: list[str] | None = None) -> dict:
    parser = demo_parser("preprocessing", __doc__.splitlines()[0])
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    results = {
        "preprocessing": preprocessing(args.out, args.seed, args.quick),
        "augmentation": augmentation(args.out, args.seed, args.quick, args.mnist),
    }
    return write_results(args.out, results, summary(results))


if __name__ == "__main__":
    main()
