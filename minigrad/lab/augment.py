"""Data augmentation for small grey images (seed 004, 5.7.1): rotations, translations, flips and
noise, each with its parameters explicit, and a random mixture drawn from an explicit Generator;
plus training the same small network with and without it."""

from __future__ import annotations

import numpy as np

from minigrad import nn
from minigrad.optim import SGD
from minigrad.training import evaluate, fit
from minigrad.validate import generator, integer, number

GLYPHS = {
    "L": ["x....", "x....", "x....", "x....", "xxxxx"],
    "T": ["xxxxx", "..x..", "..x..", "..x..", "..x.."],
    "X": ["x...x", ".x.x.", "..x..", ".x.x.", "x...x"],
    "O": ["xxxxx", "x...x", "x...x", "x...x", "xxxxx"],
}


def glyphs(n: int, rng: np.random.Generator, size: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """A synthetic image task for when MNIST is absent: n float32 images (n, size, size) in
    [0, 1], each one of four 5x5 glyphs (GLYPHS) drawn twice as large at a random place, and
    int64 labels 0..3."""
    integer(n, "glyphs", "n", low=1)
    integer(size, "glyphs", "size", low=10)
    generator(rng, "glyphs")
    masks = np.array([[[c == "x" for c in row] for row in g] for g in GLYPHS.values()])
    masks = masks.repeat(2, axis=1).repeat(2, axis=2)
    labels = rng.integers(0, len(GLYPHS), n)
    corners = rng.integers(0, size - 10 + 1, (n, 2))
    images = np.zeros((n, size, size), dtype=np.float32)
    for k, (r, c) in enumerate(corners):
        images[k, r : r + 10, c : c + 10] = masks[labels[k]]
    return images, labels.astype(np.int64)


def check_images(images, where: str, name: str = "images") -> np.ndarray:
    """A float array of shape (n, height, width), n >= 1, with finite values."""
    if not isinstance(images, np.ndarray):
        raise TypeError(f"{where}: {name} must be a NumPy array, got {type(images).__name__}")
    if images.dtype.kind != "f":
        raise TypeError(f"{where}: {name} must have a float dtype, got {images.dtype}")
    if images.ndim != 3 or 0 in images.shape:
        raise ValueError(
            f"{where}: {name} must have shape (n, height, width) with every size >= 1, "
            f"got shape {images.shape}"
        )
    if not np.isfinite(images).all():
        raise ValueError(f"{where}: {name} contain NaN or infinite values")
    return images


def _per_image(values, n: int, where: str, name: str, width: int = 0) -> np.ndarray:
    """A scalar broadcast to n images, or one value (width 0) or row (width k) per image."""
    array = np.asarray(values, dtype=np.float64)
    shape = (n, width) if width else (n,)
    if array.ndim == 0 and not width:
        array = np.full(n, float(array))
    if array.shape != shape:
        raise ValueError(f"{where}: {name} must have shape {shape}, got {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{where}: {name} contain NaN or infinite values")
    return array


def _fill(value, where: str) -> float | None:
    return None if value is None else number(value, where, "fill")


def rotate(images: np.ndarray, degrees, fill: float | None = None) -> np.ndarray:
    """Rotate each image by its angle (counter-clockwise, degrees) about its centre, by bilinear
    interpolation; pixels that come from outside the image take the value `fill`, or with
    `fill=None` the nearest edge pixel's value.

    >>> x = np.arange(9.0).reshape(1, 3, 3)
    >>> bool(np.allclose(rotate(x, 90.0), np.rot90(x, axes=(1, 2))))
    True
    """
    images = check_images(images, "rotate")
    fill = _fill(fill, "rotate")
    n, h, w = images.shape
    angles = np.deg2rad(_per_image(degrees, n, "rotate", "degrees"))
    rows, cols = np.mgrid[0:h, 0:w].astype(np.float64)
    cy, cx = (h - 1) / 2, (w - 1) / 2
    cos, sin = np.cos(angles)[:, None, None], np.sin(angles)[:, None, None]
    # NOTE: inverse mapping: output pixel (r, c) reads the input at the point rotated back.
    src_r = cy + (rows - cy) * cos + (cols - cx) * sin
    src_c = cx - (rows - cy) * sin + (cols - cx) * cos
    eps = 1e-9  # NOTE: exact rotations (90 degrees) land on the border up to rounding
    outside = (src_r < -eps) | (src_r > h - 1 + eps) | (src_c < -eps) | (src_c > w - 1 + eps)
    src_r, src_c = np.clip(src_r, 0, h - 1), np.clip(src_c, 0, w - 1)
    r0 = np.minimum(np.floor(src_r).astype(np.int64), h - 2 if h > 1 else 0)
    c0 = np.minimum(np.floor(src_c).astype(np.int64), w - 2 if w > 1 else 0)
    fr, fc = src_r - r0, src_c - c0
    r1, c1 = np.minimum(r0 + 1, h - 1), np.minimum(c0 + 1, w - 1)
    k = np.arange(n)[:, None, None]
    top = images[k, r0, c0] * (1 - fc) + images[k, r0, c1] * fc
    bottom = images[k, r1, c0] * (1 - fc) + images[k, r1, c1] * fc
    out = top * (1 - fr) + bottom * fr
    if fill is not None:
        out[outside] = fill
    return out.astype(images.dtype)


def translate(images: np.ndarray, shifts, fill: float | None = None) -> np.ndarray:
    """Shift each image by whole pixels (rows down, columns right), one (dy, dx) per image;
    the uncovered border takes the value `fill`, or with `fill=None` repeats the nearest edge
    pixel. Exact: no interpolation."""
    images = check_images(images, "translate")
    fill = _fill(fill, "translate")
    n, h, w = images.shape
    shifts = _per_image(shifts, n, "translate", "shifts", width=2)
    if not np.array_equal(shifts, np.round(shifts)):
        raise ValueError("translate: shifts must be whole numbers of pixels")
    rows = np.arange(h)[None, :] - shifts[:, :1].astype(np.int64)
    cols = np.arange(w)[None, :] - shifts[:, 1:].astype(np.int64)
    k = np.arange(n)[:, None, None]
    out = images[k, np.clip(rows, 0, h - 1)[:, :, None], np.clip(cols, 0, w - 1)[:, None, :]]
    if fill is not None:
        outside = ((rows < 0) | (rows >= h))[:, :, None] | ((cols < 0) | (cols >= w))[:, None, :]
        out[outside] = fill
    return out


def flip(images: np.ndarray, which) -> np.ndarray:
    """Mirror left-right the images where `which` (one bool per image) is true."""
    images = check_images(images, "flip")
    which = np.asarray(which)
    if which.dtype != bool or which.shape != (len(images),):
        raise ValueError(
            f"flip: which must be {len(images)} booleans, got {which.dtype} of shape {which.shape}"
        )
    return np.where(which[:, None, None], images[:, :, ::-1], images)


def add_noise(images: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Add independent N(0, sigma^2) noise to every pixel."""
    images = check_images(images, "add_noise")
    number(sigma, "add_noise", "sigma", low=0)
    generator(rng, "add_noise")
    return (images + rng.normal(0.0, sigma, images.shape)).astype(images.dtype)


def augment(
    images: np.ndarray,
    rng: np.random.Generator,
    *,
    max_degrees: float = 10.0,
    max_shift: int = 2,
    flips: bool = False,
    noise: float = 0.0,
    clip: tuple[float, float] | None = None,
    fill: float | None = None,
) -> np.ndarray:
    """A random small transformation of each image: rotation uniform in +-max_degrees, shift
    uniform over -max_shift..max_shift per axis, a left-right flip with probability 1/2 if
    `flips` (not for digits), N(0, noise^2) pixel noise, then values clipped to `clip`; pixels
    brought in from outside take `fill` (None: the nearest edge pixel)."""
    images = check_images(images, "augment")
    generator(rng, "augment")
    number(max_degrees, "augment", "max_degrees", low=0, high=180)
    integer(max_shift, "augment", "max_shift", low=0)
    number(noise, "augment", "noise", low=0)
    if clip is not None and (len(clip) != 2 or not clip[0] < clip[1]):
        raise ValueError(f"augment: clip must be a pair (low, high) with low < high, got {clip}")
    n = len(images)
    out = rotate(images, rng.uniform(-max_degrees, max_degrees, n), fill)
    out = translate(out, rng.integers(-max_shift, max_shift + 1, (n, 2)), fill)
    if flips:
        out = flip(out, rng.random(n) < 0.5)
    if noise:
        out = add_noise(out, noise, rng)
    return out if clip is None else np.clip(out, *clip).astype(images.dtype)


def train(
    data: dict,
    rng: np.random.Generator,
    *,
    epochs: int,
    hidden: int = 100,
    lr: float = 0.05,
    augmentation: dict | None = None,
) -> dict:
    """A [pixels, hidden, classes] tanh network trained by SGD (momentum 0.9, batches of 20) on
    data["x_train"] (n, h, w), fresh augmentations each epoch if `augmentation` (augment's
    options); the train error on the unaugmented images and the test error after each epoch."""
    integer(epochs, "train", "epochs", low=1)
    x, y = data["x_train"], data["y_train"]
    flat = x.reshape(len(x), -1)
    model = nn.Sequential(
        nn.Linear(flat.shape[1], hidden, rng=rng),
        nn.Tanh(),
        nn.Linear(hidden, int(data["classes"]), rng=rng),
    )
    optimizer = SGD(model.parameters(), lr=lr, momentum=0.9)
    test = data["x_test"].reshape(len(data["x_test"]), -1)
    history: dict[str, list] = {"train_error": [], "test_error": []}
    for _ in range(epochs):
        seen = flat if augmentation is None else augment(x, rng, **augmentation).reshape(flat.shape)
        fit(model, optimizer, seen, y, epochs=1, batch_size=20, rng=rng, progress=False)
        history["train_error"].append(1 - evaluate(model, flat, y)["accuracy"])
        history["test_error"].append(1 - evaluate(model, test, data["y_test"])["accuracy"])
    history["gap"] = history["test_error"][-1] - history["train_error"][-1]
    return history
