"""Shapeset-3x2 (Glorot & Bengio, 2010): 32x32 grey images of 1 or 2 filled shapes, 9 classes.

`shapeset_3x2(n, rng)` returns `(images, labels)`; `sample_scenes` draws the shapes' parameters
and `render` rasterises them. Everything follows `shared/SHAPESET.md`; where it is silent:

- Coordinates: x is the column, y the row (y grows downwards), in pixels; the image spans
  [0, 32] x [0, 32] and pixel (i, j) has its centre at (x, y) = (j + 0.5, i + 0.5). Images are
  row-major (the original pygame surfaces were x-major, a transpose; with uniform rotations the
  distribution is the same).
- Rasterisation: a pixel is filled iff its centre lies in the closed polygon (all shapes are
  convex, so this is an intersection of half-planes). No anti-aliasing, as the spec says.
- Angles are quantised in steps of 2*pi/255 (the original's `rotation_resolution=255`):
  r1 = k * 2*pi/255 with k uniform over -m..m, m = floor(255 / (2n)) (85, 63 and 13 values for
  n = 3, 4, 20; |r1| < pi/n); r3 = k * 2*pi/255 with k uniform over 0..254. Rotations act on
  row vectors as in the original: p @ [[cos, sin], [-sin, cos]]. (The original's integer
  arithmetic made the r1 set slightly lopsided and never drew r3's last step; we use the
  symmetric set and all 255 steps, as the spec states.) The base edge, from the last vertex to
  the first, is at the bottom in image coordinates (largest y) before r3.
- Scales are continuous, s = uniform(0.2, 0.8, size=2) * 32, sorted descending.
- Translation: the centre (the origin of the base polygon) is uniform, per axis and continuous,
  over the positions that keep every vertex in [1, 31]; with pixel-centre sampling the outer
  ring of pixels is therefore always background.
- Overlap: the new shape is tested against the first one only (there are at most two), with
  the exact float centres (the original truncated stored centres to integers). A shape's centre
  is its translation, which is also the mean of its vertices. If the centres coincide (d = 0)
  the overlap factor is its limit, 1. A second shape is dropped when all of its first 50
  candidates are rejected; a dropped shape gets no grey level and the label then names the
  first shape alone. The estimate is a heuristic, not a bound on hidden pixels: on 10,000
  two-shape images the second shape hid at most about half of the first one.
- Random draws are vectorised over the batch, so the images depend on the Generator's state and
  on `n` (two calls of 10 are not the first 20 of a call of 20). Same state, same `n`: same data.
- Grey levels are drawn per shape independently, so the two shapes of an image may share a
  level (about 1% of two-shape images); the spec does not forbid it.
- Labels are int64 class indices 0..8 in the spec's order (`CLASS_NAMES`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields

import numpy as np

IMAGE_SIZE = 32
MARGIN = 1.0
SHAPE_NAMES = ("triangle", "parallelogram", "ellipse")
N_VERTICES = (3, 4, 20)
MAX_VERTICES = max(N_VERTICES)
CLASS_NAMES = (
    "triangle",
    "parallelogram",
    "ellipse",
    "triangle + parallelogram",
    "parallelogram + ellipse",
    "triangle + ellipse",
    "two triangles",
    "two parallelograms",
    "two ellipses",
)
N_CLASSES = len(CLASS_NAMES)
PRIOR = np.array([1 / 6] * 3 + [1 / 9] * 3 + [1 / 18] * 3)  # before overlap rejections
LIGHT_LEVELS = (140, 255)  # inclusive integer grey levels
DARK_LEVELS = (0, 114)
SCALE_RANGE = (0.2, 0.8)  # times IMAGE_SIZE: diameters 6.4..25.6 px
ROTATION_STEPS = 255
MAX_OVERLAP = 0.5
MAX_REJECTIONS = 50

# _LABEL[a + 1, b + 1]: class of a first shape of type a and a second of type b (-1: none).
_LABEL = np.array([[-1, -1, -1, -1], [0, 6, 3, 5], [1, 3, 7, 4], [2, 5, 4, 8]], dtype=np.int64)


def _base_polygon(n: int) -> np.ndarray:
    """Regular n-gon on the circle of radius 0.5, base edge horizontal, padded to MAX_VERTICES
    rows by repeating vertex 0 (harmless for extents, projections and the mean of the rest)."""
    angles = (np.arange(n) / n + 1 / (2 * n) + 1 / 4) * 2 * np.pi
    points = 0.5 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return np.concatenate([points, np.repeat(points[:1], MAX_VERTICES - n, axis=0)])


_BASE = np.stack([_base_polygon(n) for n in N_VERTICES])
_AREA_RATIO = np.array([n * np.sin(2 * np.pi / n) / (2 * np.pi) for n in N_VERTICES])
_R1_HALF_RANGE = np.array([ROTATION_STEPS // (2 * n) for n in N_VERTICES])


@dataclass(frozen=True)
class Scenes:
    """Parameters of n sampled images; slot 0 is drawn first, slot 1 (if any) over it.

    Absent slots hold -1 (`types`, `levels`) or NaN (float arrays). `vertices[i, k, :v]` are the
    v = N_VERTICES[types[i, k]] vertices (x, y) counter-clockwise; later rows repeat vertex 0.
    `rotations[..., 0]` is r1, `rotations[..., 1]` is r3. `dropped_types[i]` is the type of a
    second shape dropped after MAX_REJECTIONS rejections, else -1.
    """

    types: np.ndarray  # (n, 2) int64
    vertices: np.ndarray  # (n, 2, MAX_VERTICES, 2) float64
    centres: np.ndarray  # (n, 2, 2) float64
    scales: np.ndarray  # (n, 2, 2) float64, s0 >= s1
    rotations: np.ndarray  # (n, 2, 2) float64
    levels: np.ndarray  # (n, 2) int64
    background: np.ndarray  # (n,) int64
    light_shapes: np.ndarray  # (n,) bool
    rejections: np.ndarray  # (n,) int64
    dropped_types: np.ndarray  # (n,) int64

    @property
    def n_shapes(self) -> np.ndarray:
        return (self.types >= 0).sum(axis=1)

    @property
    def labels(self) -> np.ndarray:
        return labels_from_types(self.types)


@dataclass(frozen=True)
class _Placed:
    """Shapes of one slot: parameters and vertex offsets from the centre, shape (m, V, 2)."""

    types: np.ndarray
    rotations: np.ndarray
    scales: np.ndarray
    centres: np.ndarray
    offsets: np.ndarray


def labels_from_types(types: np.ndarray) -> np.ndarray:
    """Class index (0..8) of each row of shape types `(first, second)`, -1 meaning no shape."""
    types = np.asarray(types)
    if types.ndim != 2 or types.shape[1] != 2:
        raise ValueError(f"labels_from_types: expected shape (n, 2), got {types.shape}")
    if types.size and (types.min() < -1 or types.max() > 2 or (types[:, 0] < 0).any()):
        raise ValueError("labels_from_types: types must be 0..2 (first) and -1..2 (second)")
    return _LABEL[types[:, 0] + 1, types[:, 1] + 1]


def _rotation(theta: np.ndarray) -> np.ndarray:
    """Matrices (m, 2, 2) rotating row vectors counter-clockwise: p @ [[c, s], [-s, c]]."""
    c, s = np.cos(theta), np.sin(theta)
    return np.stack([np.stack([c, s], axis=-1), np.stack([-s, c], axis=-1)], axis=-2)


def _sample_rotations(types: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(m, 2) angles: r1 symmetric in (-pi/n, pi/n), r3 in [0, 2*pi), both on the 255-step grid."""
    half = _R1_HALF_RANGE[types]
    k1 = rng.integers(-half, half + 1)
    k3 = rng.integers(0, ROTATION_STEPS, size=types.size)
    return np.stack([k1, k3], axis=1) * (2 * np.pi / ROTATION_STEPS)


def _sample_scales(m: int, rng: np.random.Generator) -> np.ndarray:
    s = rng.uniform(*SCALE_RANGE, size=(m, 2)) * IMAGE_SIZE
    return -np.sort(-s, axis=1)  # s0 >= s1 keeps the base edge along x


def _offsets(types: np.ndarray, rotations: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """Vertices relative to the centre: ((P r1) * s) r2 r3, r2 = -atan(s1/s0 tan r1)."""
    r1, r3 = rotations[:, 0], rotations[:, 1]
    r2 = -np.arctan(scales[:, 1] / scales[:, 0] * np.tan(r1))
    points = (_BASE[types] @ _rotation(r1)) * scales[:, None, :]
    return points @ _rotation(r2) @ _rotation(r3)


def _sample_centres(offsets: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Centres uniform over the positions keeping every vertex in [MARGIN, SIZE - MARGIN]."""
    low = MARGIN - offsets.min(axis=1)
    high = IMAGE_SIZE - MARGIN - offsets.max(axis=1)
    return low + (high - low) * rng.random(low.shape)


def _area(types: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """The spec's area proxy s0 * s1 * n sin(2 pi / n) / (2 pi)."""
    return scales[:, 0] * scales[:, 1] * _AREA_RATIO[types]


def _place(types: np.ndarray, rng: np.random.Generator) -> _Placed:
    """One shape of each given type, with no overlap test (first slot)."""
    rotations = _sample_rotations(types, rng)
    scales = _sample_scales(types.size, rng)
    offsets = _offsets(types, rotations, scales)
    return _Placed(types, rotations, scales, _sample_centres(offsets, rng), offsets)


def overlap_estimate(
    old_offsets: np.ndarray,
    old_centres: np.ndarray,
    old_areas: np.ndarray,
    new_offsets: np.ndarray,
    new_centres: np.ndarray,
    new_areas: np.ndarray,
) -> np.ndarray:
    """The spec's estimated overlap of a new shape on an old one, for m pairs.

    Offsets are vertices relative to the centres, shape (m, V, 2). Both polygons are projected
    on the line joining the centres; proj is the sum of their extents towards each other and d
    the distance: factor = 1 - exp(-(proj - d) ln 2 / d) if proj >= d else 0 (1 when d = 0).
    """
    gap = new_centres - old_centres
    d = np.hypot(gap[:, 0], gap[:, 1])
    unit = np.where(d[:, None] > 0, gap / np.where(d > 0, d, 1.0)[:, None], [1.0, 0.0])
    proj = np.einsum("mvk,mk->mv", old_offsets, unit).max(axis=1)
    proj = proj + np.einsum("mvk,mk->mv", new_offsets, -unit).max(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(d > 0, 1 - np.exp(-(proj - d) * np.log(2) / d), 1.0)
    factor = np.where(proj >= d, factor, 0.0)
    return new_areas * factor / old_areas


def _place_second(
    first: _Placed, types: np.ndarray, rng: np.random.Generator
) -> tuple[_Placed, np.ndarray]:
    """Second shapes with overlap rejection (rotations kept, scale and centre resampled).

    Returns the placed shapes (rows of dropped shapes are NaN) and the rejection counts; a
    shape is dropped when its count reaches MAX_REJECTIONS.
    """
    m = types.size
    rotations = _sample_rotations(types, rng)
    scales, centres = np.full((m, 2), np.nan), np.full((m, 2), np.nan)
    offsets = np.full((m, MAX_VERTICES, 2), np.nan)
    rejections = np.zeros(m, dtype=np.int64)
    old_areas = _area(first.types, first.scales)
    pending = np.arange(m)
    while pending.size:
        s = _sample_scales(pending.size, rng)
        off = _offsets(types[pending], rotations[pending], s)
        c = _sample_centres(off, rng)
        args = (first.offsets[pending], first.centres[pending], old_areas[pending])
        ok = overlap_estimate(*args, off, c, _area(types[pending], s)) <= MAX_OVERLAP
        done = pending[ok]
        scales[done], centres[done], offsets[done] = s[ok], c[ok], off[ok]
        rejections[pending[~ok]] += 1
        pending = pending[~ok]
        pending = pending[rejections[pending] < MAX_REJECTIONS]
    return _Placed(types, rotations, scales, centres, offsets), rejections


def _sample_colours(n: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Light-shapes flag, background level and two candidate shape levels per image."""
    light = rng.random(n) < 0.5
    dark_lo, dark_hi = DARK_LEVELS
    light_lo, light_hi = LIGHT_LEVELS
    bg_lo, bg_hi = np.where(light, dark_lo, light_lo), np.where(light, dark_hi, light_hi)
    fg_lo, fg_hi = np.where(light, light_lo, dark_lo), np.where(light, light_hi, dark_hi)
    background = rng.integers(bg_lo, bg_hi + 1)
    levels = rng.integers(fg_lo[:, None], fg_hi[:, None] + 1, size=(n, 2))
    return light, background, levels


def _check_n(n: int, name: str) -> None:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {n!r}")


def _check_rng(rng: np.random.Generator) -> None:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator (e.g. np.random.default_rng(0)), "
            f"got {type(rng).__name__}"
        )


def _subset(placed: _Placed, rows: np.ndarray) -> _Placed:
    return _Placed(*(getattr(placed, f.name)[rows] for f in fields(_Placed)))


def _stack_slots(
    first: _Placed, second: _Placed, kept: np.ndarray, rows: np.ndarray
) -> dict[str, np.ndarray]:
    """Scenes' float fields: slot 0 from `first`, slot 1 from the `kept` rows of `second`
    (image indices `rows`), NaN where a slot is empty."""
    out = {}
    for name in ("centres", "scales", "rotations", "offsets"):
        a = getattr(first, name)
        both = np.full((a.shape[0], 2, *a.shape[1:]), np.nan)
        both[:, 0], both[rows, 1] = a, getattr(second, name)[kept]
        out[name] = both
    out["vertices"] = out.pop("offsets") + out["centres"][:, :, None, :]
    return out


def sample_scenes(n: int, rng: np.random.Generator) -> Scenes:
    """Draw the parameters of `n` Shapeset-3x2 images (colours, shapes, placement)."""
    _check_n(n, "n")
    _check_rng(rng)
    light, background, levels = _sample_colours(n, rng)
    requested = rng.integers(0, len(N_VERTICES), size=(n, 2))
    two = np.flatnonzero(rng.integers(1, 3, size=n) == 2)
    first = _place(requested[:, 0], rng)
    second, rejections_two = _place_second(_subset(first, two), requested[two, 1], rng)
    kept = rejections_two < MAX_REJECTIONS
    rows = two[kept]
    types = np.full((n, 2), -1, dtype=np.int64)
    types[:, 0], types[rows, 1] = requested[:, 0], requested[rows, 1]
    dropped_types = np.full(n, -1, dtype=np.int64)
    dropped_types[two[~kept]] = requested[two[~kept], 1]
    rejections = np.zeros(n, dtype=np.int64)
    rejections[two] = rejections_two
    levels[:, 1] = np.where(types[:, 1] >= 0, levels[:, 1], -1)
    return Scenes(
        types=types,
        **_stack_slots(first, second, kept, rows),
        levels=levels,
        background=background,
        light_shapes=light,
        rejections=rejections,
        dropped_types=dropped_types,
    )


def _convex_masks(vertices: np.ndarray) -> np.ndarray:
    """(m, 32, 32) pixels whose centres lie in the convex CCW polygons `vertices` (m, v, 2)."""
    grid = np.arange(IMAGE_SIZE) + 0.5
    x0, y0 = vertices[..., 0], vertices[..., 1]
    ex = np.roll(x0, -1, axis=1) - x0
    ey = np.roll(y0, -1, axis=1) - y0
    # Inside iff ex * (y - y0) - ey * (x - x0) >= 0 for every edge: a row term plus a column term.
    row = ex[:, :, None] * grid - (ex * y0)[:, :, None]
    col = (ey * x0)[:, :, None] - ey[:, :, None] * grid
    mask = np.ones((vertices.shape[0], IMAGE_SIZE, IMAGE_SIZE), dtype=bool)
    for k in range(vertices.shape[1]):
        mask &= row[:, k, :, None] + col[:, k, None, :] >= 0
    return mask


def shape_masks(scenes: Scenes, chunk: int = 2048) -> np.ndarray:
    """Silhouette of every shape before occlusion, bool (n, 2, 32, 32); absent slots empty."""
    n = scenes.types.shape[0]
    masks = np.zeros((n, 2, IMAGE_SIZE, IMAGE_SIZE), dtype=bool)
    for slot in range(2):
        for t, v in enumerate(N_VERTICES):
            rows = np.flatnonzero(scenes.types[:, slot] == t)
            for start in range(0, rows.size, chunk):
                part = rows[start : start + chunk]
                masks[part, slot] = _convex_masks(scenes.vertices[part, slot, :v])
    return masks


def render(scenes: Scenes, *, signed: bool = True, flatten: bool = True) -> np.ndarray:
    """Draw the scenes: background, then slot 0, then slot 1 over it; no anti-aliasing.

    Returns float32 images, level / 255 mapped to 2v - 1 in [-1, 1] (`signed=False`: v in
    [0, 1]), of shape (n, 1024) or, with `flatten=False`, (n, 32, 32).
    """
    masks = shape_masks(scenes)
    image = np.empty((scenes.types.shape[0], IMAGE_SIZE, IMAGE_SIZE), dtype=np.uint8)
    image[...] = scenes.background[:, None, None]
    for slot in range(2):
        level = np.maximum(scenes.levels[:, slot], 0).astype(np.uint8)
        np.copyto(image, level[:, None, None], where=masks[:, slot])
    values = np.arange(256, dtype=np.float64) / 255
    lut = (2 * values - 1 if signed else values).astype(np.float32)
    images = lut[image]
    return images.reshape(len(images), IMAGE_SIZE * IMAGE_SIZE) if flatten else images


def shapeset_3x2(
    n: int, rng: np.random.Generator, *, signed: bool = True, flatten: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """`n` Shapeset-3x2 images and their class labels.

    Args:
        n: number of images.
        rng: the only source of randomness; the same state and `n` give the same data.
        signed: pixel values in [-1, 1] (the paper's) if True, else in [0, 1].
        flatten: images of shape (n, 1024) if True, else (n, 32, 32).

    Returns:
        `(images, labels)`: float32 images and int64 labels in 0..8 (see `CLASS_NAMES`).

    >>> images, labels = shapeset_3x2(5, np.random.default_rng(0))
    >>> images.shape, images.dtype, labels.shape, labels.dtype
    ((5, 1024), dtype('float32'), (5,), dtype('int64'))
    >>> bool(images.min() >= -1 and images.max() <= 1 and set(labels) <= set(range(9)))
    True
    """
    scenes = sample_scenes(n, rng)
    return render(scenes, signed=signed, flatten=flatten), scenes.labels


def shapeset_3x2_batches(
    batch_size: int, rng: np.random.Generator, *, signed: bool = True, flatten: bool = True
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The paper's infinite stream: fresh `(images, labels)` batches from `rng`, forever."""
    _check_n(batch_size, "batch_size")
    _check_rng(rng)
    while True:
        yield shapeset_3x2(batch_size, rng, signed=signed, flatten=flatten)
