"""Shapeset-3x2 generator against shared/SHAPESET.md: prior, colours, geometry, placement,
overlap rejection, rasterisation, occlusion order, determinism and argument checks."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from minigrad.data import shapeset as ss
from minigrad.data.shapeset import (
    CLASS_NAMES,
    IMAGE_SIZE,
    N_VERTICES,
    PRIOR,
    labels_from_types,
    render,
    sample_scenes,
    shape_masks,
    shapeset_3x2,
    shapeset_3x2_batches,
)

N = 10_000
CHI2_999 = {1: 10.828, 2: 13.816, 8: 26.124, 9: 27.877}  # chi-square quantiles at p = 0.999
STEP = 2 * np.pi / 255


@pytest.fixture(scope="module")
def scenes() -> ss.Scenes:
    return sample_scenes(N, np.random.default_rng(20100))


@pytest.fixture(scope="module")
def masks(scenes) -> np.ndarray:
    return shape_masks(scenes)


@pytest.fixture(scope="module")
def images(scenes) -> np.ndarray:
    return render(scenes, flatten=False)


def chi_square(counts: np.ndarray, probs: np.ndarray) -> float:
    expected = counts.sum() * np.asarray(probs)
    return float(((counts - expected) ** 2 / expected).sum())


def rotate(points: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Row vectors (m, v, 2) rotated counter-clockwise by theta (m,), as p @ [[c, s], [-s, c]]."""
    c, s = np.cos(theta)[:, None], np.sin(theta)[:, None]
    x, y = points[..., 0], points[..., 1]
    return np.stack([x * c - y * s, x * s + y * c], axis=-1)


def slot(scenes: ss.Scenes, k: int, t: int) -> tuple[np.ndarray, int]:
    return np.flatnonzero(scenes.types[:, k] == t), N_VERTICES[t]


# ---------------------------------------------------------------- outputs and arguments


@pytest.mark.parametrize("flatten, shape", [(True, (7, 1024)), (False, (7, 32, 32))])
def test_output_shapes_and_dtypes(flatten, shape):
    images, labels = shapeset_3x2(7, np.random.default_rng(0), flatten=flatten)
    assert images.shape == shape and images.dtype == np.float32
    assert labels.shape == (7,) and labels.dtype == np.int64


def test_flatten_and_signed_are_views_of_the_same_data():
    flat, labels = shapeset_3x2(50, np.random.default_rng(3))
    square, labels2 = shapeset_3x2(50, np.random.default_rng(3), flatten=False)
    unit, labels3 = shapeset_3x2(50, np.random.default_rng(3), signed=False)
    np.testing.assert_array_equal(flat, square.reshape(50, -1))
    np.testing.assert_allclose(flat, 2 * unit - 1, atol=1e-6)
    assert (labels == labels2).all() and (labels == labels3).all()


def test_zero_images():
    images, labels = shapeset_3x2(0, np.random.default_rng(0))
    assert images.shape == (0, IMAGE_SIZE * IMAGE_SIZE) and labels.shape == (0,)


@pytest.mark.parametrize("n", [-1, 2.5, "3", True])
def test_bad_n_is_a_value_error(n):
    with pytest.raises(ValueError, match=re.escape(f"n must be a non-negative integer, got {n!r}")):
        shapeset_3x2(n, np.random.default_rng(0))


@pytest.mark.parametrize("rng", [0, np.random.RandomState(0), None])
def test_rng_must_be_a_generator(rng):
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator.*got "):
        shapeset_3x2(3, rng)


def test_determinism():
    a = shapeset_3x2(200, np.random.default_rng(7))
    b = shapeset_3x2(200, np.random.default_rng(7))
    c = shapeset_3x2(200, np.random.default_rng(8))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0]) and not np.array_equal(a[1], c[1])
    rng = np.random.default_rng(7)
    first, second = shapeset_3x2(200, rng), shapeset_3x2(200, rng)
    np.testing.assert_array_equal(first[0], a[0])
    assert not np.array_equal(first[0], second[0])  # the Generator's state advances


def test_batches_are_a_fresh_stream():
    stream = shapeset_3x2_batches(16, np.random.default_rng(5), flatten=False)
    batches = [next(stream) for _ in range(3)]
    expected = shapeset_3x2(16, np.random.default_rng(5), flatten=False)
    np.testing.assert_array_equal(batches[0][0], expected[0])
    assert all(b[0].shape == (16, 32, 32) and b[1].shape == (16,) for b in batches)
    assert not np.array_equal(batches[0][0], batches[1][0])
    with pytest.raises(ValueError, match="batch_size must be a non-negative integer, got -2"):
        next(shapeset_3x2_batches(-2, np.random.default_rng(0)))


# ---------------------------------------------------------------- classes and prior


def test_label_table_is_the_specs():
    spec = {(0,): 0, (1,): 1, (2,): 2, (0, 1): 3, (1, 2): 4, (0, 2): 5}
    spec |= {(0, 0): 6, (1, 1): 7, (2, 2): 8}
    for key, label in spec.items():
        pairs = [(key[0], -1)] if len(key) == 1 else [key, key[::-1]]
        for a, b in pairs:
            assert labels_from_types(np.array([[a, b]]))[0] == label, (a, b)
    assert CLASS_NAMES[3] == "triangle + parallelogram" and CLASS_NAMES[8] == "two ellipses"
    np.testing.assert_allclose(PRIOR.sum(), 1.0)
    with pytest.raises(ValueError, match=r"expected shape \(n, 2\), got \(3,\)"):
        labels_from_types(np.array([0, 1, 2]))


def test_class_frequencies_match_the_prior(scenes):
    counts = np.bincount(scenes.labels, minlength=9)
    assert chi_square(counts, PRIOR) < CHI2_999[8], counts
    z = (counts - N * PRIOR) / np.sqrt(N * PRIOR * (1 - PRIOR))
    assert np.abs(z).max() < 4, z
    assert (scenes.dropped_types >= 0).sum() <= N // 1000  # so rejections barely move the prior


def test_prior_fails_on_a_skewed_sample(scenes):
    """The frequency test has power: dropping a third of the single ellipses is detected."""
    labels = scenes.labels
    keep = ~((labels == 2) & (np.arange(N) % 3 == 0))
    assert chi_square(np.bincount(labels[keep], minlength=9), PRIOR) > CHI2_999[8]


def test_number_and_types_of_shapes(scenes):
    n_shapes = np.bincount(scenes.n_shapes, minlength=3)[1:]
    assert chi_square(n_shapes, [0.5, 0.5]) < CHI2_999[1]
    drawn = scenes.types[scenes.types >= 0]
    assert chi_square(np.bincount(drawn, minlength=3), [1 / 3] * 3) < CHI2_999[2]
    np.testing.assert_array_equal(scenes.labels, labels_from_types(scenes.types))


# ---------------------------------------------------------------- colours and pixels


def test_colour_ranges(scenes):
    light, bg, levels = scenes.light_shapes, scenes.background, scenes.levels
    assert chi_square(np.bincount(light.astype(int)), [0.5, 0.5]) < CHI2_999[1]
    assert set(bg[light]) == set(range(0, 115)) and set(bg[~light]) == set(range(140, 256))
    drawn = scenes.types >= 0
    assert set(levels[drawn & light[:, None]]) == set(range(140, 256))
    assert set(levels[drawn & ~light[:, None]]) == set(range(0, 115))
    assert (levels[~drawn] == -1).all()
    two = scenes.n_shapes == 2
    assert (levels[two, 0] != levels[two, 1]).mean() > 0.9  # one level per shape, independent


def test_pixel_values_and_range(scenes, images):
    """Pixels are grey levels 0..255 mapped to 2 * level / 255 - 1, and both ends occur."""
    assert images.min() == -1.0 and images.max() == 1.0
    levels = np.round((images[:1000] + 1) / 2 * 255).astype(int)
    np.testing.assert_allclose(images[:1000], 2 * levels / 255 - 1, atol=1e-6)
    allowed = np.concatenate([scenes.background[:, None], scenes.levels], axis=1)
    for lv, a in zip(levels, allowed[:1000], strict=True):
        assert set(np.unique(lv)) <= set(a)


def test_occlusion_order(scenes, masks, images):
    """Later shapes are drawn over earlier ones; elsewhere the background shows."""
    value = 2 * np.concatenate([scenes.background[:, None], scenes.levels], axis=1) / 255 - 1
    expected = np.broadcast_to(value[:, 0, None, None], images.shape).copy()
    for k in range(2):
        expected = np.where(masks[:, k], value[:, k + 1, None, None], expected)
    np.testing.assert_allclose(images, expected, atol=1e-6)
    both = masks[:, 0] & masks[:, 1]
    assert both.any()
    np.testing.assert_allclose(
        images[both], np.broadcast_to(value[:, 2, None, None], both.shape)[both], atol=1e-6
    )


# ---------------------------------------------------------------- geometry


def test_every_shape_lies_inside_with_a_one_pixel_margin(scenes, masks, images):
    drawn = scenes.types >= 0
    vertices = scenes.vertices[drawn]
    assert vertices.min() >= 1 - 1e-9 and vertices.max() <= IMAGE_SIZE - 1 + 1e-9
    ring = np.ones((IMAGE_SIZE, IMAGE_SIZE), dtype=bool)
    ring[1:-1, 1:-1] = False
    assert not masks[:, :, ring].any()
    background = 2 * scenes.background / 255 - 1
    np.testing.assert_allclose(images[:, ring], np.repeat(background[:, None], ring.sum(), 1))
    assert (masks[drawn.nonzero()].sum(axis=(1, 2)) > 0).all()  # no shape vanishes
    assert vertices[..., 0].min() < 1.05 and vertices[..., 0].max() > IMAGE_SIZE - 1.05


def test_scales(scenes):
    s = scenes.scales[scenes.types >= 0]
    assert (s[:, 0] >= s[:, 1]).all()
    assert s.min() >= 0.2 * 32 and s.max() <= 0.8 * 32
    assert s.min() < 6.5 and s.max() > 25.5


@pytest.mark.parametrize("t", [0, 1, 2])
def test_rotations_are_quantised(scenes, t):
    rows, n = slot(scenes, 0, t)
    r1, r3 = scenes.rotations[rows, 0, 0], scenes.rotations[rows, 0, 1]
    k1, k3 = r1 / STEP, r3 / STEP
    np.testing.assert_allclose(k1, np.round(k1), atol=1e-9)
    np.testing.assert_allclose(k3, np.round(k3), atol=1e-9)
    assert np.abs(r1).max() < np.pi / n
    assert set(np.round(k1).astype(int)) == set(range(-(255 // (2 * n)), 255 // (2 * n) + 1))
    assert np.round(k3).min() == 0 and np.round(k3).max() == 254


@pytest.mark.parametrize("k", [0, 1])
@pytest.mark.parametrize("t", [0, 1, 2])
def test_vertices_follow_the_construction(scenes, t, k):
    """Undoing r3 then r2 puts every vertex on the ellipse with semi-axes s0/2, s1/2, and after
    undoing r3 alone the base edge (last vertex -> first) is horizontal at the bottom."""
    rows, n = slot(scenes, k, t)
    verts = scenes.vertices[rows, k, :n]
    centres, s = scenes.centres[rows, k], scenes.scales[rows, k]
    r1, r3 = scenes.rotations[rows, k, 0], scenes.rotations[rows, k, 1]
    np.testing.assert_allclose(verts.mean(axis=1), centres, atol=1e-9)
    q = rotate(verts - centres[:, None], -r3)
    np.testing.assert_allclose(q[:, 0, 1], q[:, -1, 1], atol=1e-9)
    np.testing.assert_allclose(q[:, 0, 1], q[..., 1].max(axis=1), atol=1e-9)
    p = rotate(q, np.arctan(s[:, 1] / s[:, 0] * np.tan(r1)))
    radius = (p[..., 0] / s[:, :1]) ** 2 + (p[..., 1] / s[:, 1:]) ** 2
    np.testing.assert_allclose(radius, 0.25, rtol=1e-9)
    if t == 1:  # a parallelogram: opposite sides are equal vectors
        np.testing.assert_allclose(verts[:, 1] - verts[:, 0], verts[:, 2] - verts[:, 3], atol=1e-9)


def test_centres_are_uniform_over_the_allowed_positions(scenes):
    offsets = scenes.vertices[:, 0] - scenes.centres[:, 0, None, :]
    low = 1 - offsets.min(axis=1)
    high = IMAGE_SIZE - 1 - offsets.max(axis=1)
    u = (scenes.centres[:, 0] - low) / (high - low)
    assert u.min() >= 0 and u.max() <= 1
    for axis in range(2):
        counts = np.bincount((u[:, axis] * 10).astype(int), minlength=10)
        assert chi_square(counts, [0.1] * 10) < CHI2_999[9], counts


# ---------------------------------------------------------------- rasterisation


def even_odd_mask(vertices: np.ndarray) -> np.ndarray:
    """Reference rasteriser: a ray from each pixel centre towards +x crosses the boundary an
    odd number of times."""
    y, x = np.mgrid[:IMAGE_SIZE, :IMAGE_SIZE] + 0.5
    inside = np.zeros(x.shape, dtype=bool)
    for (xa, ya), (xb, yb) in zip(vertices, np.roll(vertices, -1, axis=0), strict=True):
        if ya == yb:
            continue
        spans = (ya > y) != (yb > y)
        x_cross = xa + (y - ya) * (xb - xa) / (yb - ya)
        inside ^= spans & (x < x_cross)
    return inside


def test_rasteriser_matches_an_even_odd_reference(scenes, masks):
    for i in range(150):
        for k in range(scenes.n_shapes[i]):
            n = N_VERTICES[scenes.types[i, k]]
            expected = even_odd_mask(scenes.vertices[i, k, :n])
            assert (masks[i, k] == expected).all(), (i, k)


def test_pixel_area_is_close_to_the_polygon_area(scenes, masks):
    rows = np.flatnonzero(scenes.types[:, 0] == 1)[:500]
    v = scenes.vertices[rows, 0, :4]
    x, y = v[..., 0], v[..., 1]
    area = 0.5 * (x * np.roll(y, -1, 1) - np.roll(x, -1, 1) * y).sum(axis=1)
    assert (area > 0).all()  # counter-clockwise
    pixels = masks[rows, 0].sum(axis=(1, 2))
    assert np.abs(pixels - area).mean() < 0.05 * area.mean()


# ---------------------------------------------------------------- overlap rejection


def spec_overlap(old: np.ndarray, new: np.ndarray, old_s, new_s, old_t: int, new_t: int):
    """The spec's overlap estimate for one pair, written out from SHAPESET.md step 8."""
    c_old, c_new = old.mean(axis=0), new.mean(axis=0)
    d = math.dist(c_old, c_new)
    u = (c_new - c_old) / d
    proj = ((old - c_old) @ u).max() + ((new - c_new) @ -u).max()
    factor = 1 - math.exp(-(proj - d) * math.log(2) / d) if proj >= d else 0.0

    def area(s, t):
        n = N_VERTICES[t]
        return s[0] * s[1] * n * math.sin(2 * math.pi / n) / (2 * math.pi)

    return area(new_s, new_t) * factor / area(old_s, old_t)


def test_second_shapes_pass_the_overlap_rule(scenes):
    rows = np.flatnonzero(scenes.n_shapes == 2)[:1500]
    estimates = []
    for i in rows:
        t0, t1 = scenes.types[i]
        old = scenes.vertices[i, 0, : N_VERTICES[t0]]
        new = scenes.vertices[i, 1, : N_VERTICES[t1]]
        estimates.append(spec_overlap(old, new, scenes.scales[i, 0], scenes.scales[i, 1], t0, t1))
    assert max(estimates) <= 0.5
    assert (scenes.rejections[rows] > 0).mean() > 0.1  # the rule is active
    # Unconstrained pairs (first shapes of two different images) often break it.
    pairs = [
        spec_overlap(
            scenes.vertices[i, 0, : N_VERTICES[scenes.types[i, 0]]],
            scenes.vertices[i + 1, 0, : N_VERTICES[scenes.types[i + 1, 0]]],
            scenes.scales[i, 0],
            scenes.scales[i + 1, 0],
            scenes.types[i, 0],
            scenes.types[i + 1, 0],
        )
        for i in range(500)
    ]
    assert np.mean(np.array(pairs) > 0.5) > 0.1


def test_first_shape_stays_visible(scenes, masks):
    two = scenes.n_shapes == 2
    area = masks[two, 0].sum(axis=(1, 2))
    visible = (masks[two, 0] & ~masks[two, 1]).sum(axis=(1, 2))
    hidden = 1 - visible / area
    assert visible.min() > 0 and np.quantile(hidden, 0.99) < 0.5


def test_dropped_shapes_are_not_drawn_or_labelled(monkeypatch):
    monkeypatch.setattr(ss, "MAX_REJECTIONS", 1)  # drop at the first rejection
    scenes = sample_scenes(3000, np.random.default_rng(11))
    dropped = scenes.dropped_types >= 0
    assert 100 < dropped.sum() < 1500
    np.testing.assert_array_equal(dropped, scenes.rejections == 1)
    assert (scenes.types[dropped, 1] == -1).all() and (scenes.levels[dropped, 1] == -1).all()
    assert np.isnan(scenes.vertices[dropped, 1]).all()
    np.testing.assert_array_equal(scenes.labels[dropped], scenes.types[dropped, 0])
    assert not shape_masks(scenes)[dropped, 1].any()
    requested = scenes.types.copy()
    requested[dropped, 1] = scenes.dropped_types[dropped]
    counts = np.bincount(labels_from_types(requested), minlength=9)
    assert chi_square(counts, PRIOR) < CHI2_999[8]
    # Dropping the second shape moves mass from pair classes to single-shape classes.
    assert np.bincount(scenes.labels, minlength=9)[:3].sum() > counts[:3].sum()


def test_overlap_estimate_is_the_specs_formula(scenes):
    """The vectorised estimate equals the spec's formula on unconstrained pairs, on both sides of
    proj = d, and takes its limit 1 (times the area ratio) for coincident centres."""
    i = np.arange(400)
    first, second = scenes.vertices[i, 0], scenes.vertices[i + 1, 0]
    c_old, c_new = scenes.centres[i, 0], scenes.centres[i + 1, 0]
    s_old, s_new = scenes.scales[i, 0], scenes.scales[i + 1, 0]
    t_old, t_new = scenes.types[i, 0], scenes.types[i + 1, 0]
    area_old = s_old.prod(axis=1) * ss._AREA_RATIO[t_old]
    area_new = s_new.prod(axis=1) * ss._AREA_RATIO[t_new]
    got = ss.overlap_estimate(
        first - c_old[:, None], c_old, area_old, second - c_new[:, None], c_new, area_new
    )
    expected = [
        spec_overlap(
            first[j, : N_VERTICES[t_old[j]]],
            second[j, : N_VERTICES[t_new[j]]],
            s_old[j],
            s_new[j],
            t_old[j],
            t_new[j],
        )
        for j in i
    ]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    assert (got == 0).any() and (got > 0.5).any()
    same = ss.overlap_estimate(
        first[:5] - c_old[:5, None],
        c_old[:5],
        area_old[:5],
        first[:5] - c_old[:5, None],
        c_old[:5],
        area_old[:5],
    )
    np.testing.assert_allclose(same, 1.0)
