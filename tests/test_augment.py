"""minigrad.lab.augment: exact transformations, value ranges, determinism and input checks."""

from __future__ import annotations

import numpy as np
import pytest

from minigrad.lab import augment as au


def _images(n: int = 3, h: int = 6, w: int = 6, dtype=np.float64) -> np.ndarray:
    return np.random.default_rng(0).uniform(0, 1, (n, h, w)).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rotate_by_multiples_of_90_is_exact(dtype):
    x = _images(dtype=dtype)
    np.testing.assert_array_equal(au.rotate(x, 0.0), x)
    for k in (1, 2, 3):
        expected = np.rot90(x, k, axes=(1, 2))
        np.testing.assert_allclose(au.rotate(x, 90.0 * k, fill=-1.0), expected, atol=1e-6)
    assert au.rotate(x, 45.0).dtype == dtype


def test_rotate_interpolates_within_the_input_range_and_fills_corners():
    x = _images()
    y = au.rotate(x, [7.0, -13.0, 30.0])
    assert x.min() <= y.min() and y.max() <= x.max()
    z = au.rotate(np.ones((1, 9, 9)), 45.0, fill=0.0)
    assert z[0, 0, 0] == 0 and z[0, 4, 4] == 1  # corners come from outside, the centre stays


def test_rotate_matches_a_hand_computed_pixel():
    x = np.zeros((1, 3, 3))
    x[0, 1, 2] = 1.0  # right of the centre
    y = au.rotate(x, 90.0, fill=0.0)  # counter-clockwise: it moves above the centre
    assert y[0, 0, 1] == pytest.approx(1.0) and abs(y.sum() - 1) < 1e-12


def test_translate_is_exact_and_invertible_in_the_interior():
    x = _images(h=8, w=8)
    shifts = np.array([[1, 2], [-2, 0], [0, -1]])
    y = au.translate(x, shifts, fill=0.0)
    np.testing.assert_array_equal(y[0, 1:, 2:], x[0, :-1, :-2])
    np.testing.assert_array_equal(y[0, :1], 0)
    back = au.translate(y, -shifts)
    np.testing.assert_array_equal(back[:, 2:-2, 2:-2], x[:, 2:-2, 2:-2])
    np.testing.assert_array_equal(au.translate(x, np.zeros((3, 2))), x)
    edge = au.translate(x, np.array([[0, 3]] * 3))  # edge mode repeats column 0
    np.testing.assert_array_equal(edge[:, :, :3], np.repeat(x[:, :, :1], 3, axis=2))


def test_flip_and_noise():
    x = _images()
    which = np.array([True, False, True])
    y = au.flip(x, which)
    np.testing.assert_array_equal(y[0], x[0, :, ::-1])
    np.testing.assert_array_equal(y[1], x[1])
    np.testing.assert_array_equal(au.flip(y, which), x)
    rng = np.random.default_rng(1)
    np.testing.assert_array_equal(au.add_noise(x, 0.0, rng), x)
    big = np.zeros((10, 50, 50))
    assert np.std(au.add_noise(big, 0.3, rng)) == pytest.approx(0.3, rel=0.02)


def test_augment_keeps_shape_dtype_range_and_is_deterministic():
    x, labels = au.glyphs(20, np.random.default_rng(0))
    before = labels.copy()
    options = {"max_degrees": 15.0, "max_shift": 2, "noise": 0.1, "clip": (0.0, 1.0)}
    a = au.augment(x, np.random.default_rng(5), **options, flips=True)
    b = au.augment(x, np.random.default_rng(5), **options, flips=True)
    c = au.augment(x, np.random.default_rng(6), **options, flips=True)
    assert a.shape == x.shape and a.dtype == x.dtype == np.float32
    assert a.min() >= 0 and a.max() <= 1
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    np.testing.assert_array_equal(labels, before)
    same = au.augment(x, np.random.default_rng(0), max_degrees=0, max_shift=0)
    np.testing.assert_array_equal(same, x)


def test_augment_with_shifts_only_keeps_the_glyph():
    x, _ = au.glyphs(30, np.random.default_rng(2))
    y = au.augment(x, np.random.default_rng(3), max_degrees=0, max_shift=2, fill=0.0)
    # a pure shift with zero fill keeps every pixel of a glyph that stays inside the image
    inside = (x[:, :2].sum((1, 2)) == 0) & (x[:, -2:].sum((1, 2)) == 0)
    inside &= (x[:, :, :2].sum((1, 2)) == 0) & (x[:, :, -2:].sum((1, 2)) == 0)
    assert inside.any()
    np.testing.assert_array_equal(y[inside].sum((1, 2)), x[inside].sum((1, 2)))


def test_glyphs():
    x, y = au.glyphs(50, np.random.default_rng(0))
    assert x.shape == (50, 16, 16) and x.dtype == np.float32 and y.dtype == np.int64
    assert set(np.unique(x)) == {0.0, 1.0} and set(y) <= {0, 1, 2, 3}
    sums = {int(label): x[y == label].sum((1, 2))[0] for label in set(y)}
    assert sums[0] == 4 * 9  # "L": 9 cells, each drawn 2x2


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: au.augment([[[0.0]]], np.random.default_rng(0)), TypeError, "images"),
        (
            lambda: au.augment(np.zeros((2, 3, 3), int), np.random.default_rng(0)),
            TypeError,
            "dtype",
        ),
        (lambda: au.augment(np.zeros((2, 9)), np.random.default_rng(0)), ValueError, "shape"),
        (
            lambda: au.augment(np.zeros((0, 3, 3)), np.random.default_rng(0)),
            ValueError,
            "(0, 3, 3)",
        ),
        (
            lambda: au.augment(np.full((1, 3, 3), np.nan), np.random.default_rng(0)),
            ValueError,
            "NaN",
        ),
        (lambda: au.augment(np.zeros((1, 3, 3)), 0), TypeError, "Generator"),
        (
            lambda: au.augment(np.zeros((1, 3, 3)), np.random.default_rng(0), noise=-1),
            ValueError,
            "noise",
        ),
        (
            lambda: au.augment(np.zeros((1, 3, 3)), np.random.default_rng(0), clip=(1, 0)),
            ValueError,
            "clip",
        ),
        (lambda: au.rotate(np.zeros((2, 3, 3)), [1.0, 2.0, 3.0]), ValueError, "degrees"),
        (lambda: au.rotate(np.zeros((1, 3, 3)), np.nan), ValueError, "degrees"),
        (lambda: au.translate(np.zeros((1, 3, 3)), [[0.5, 0]]), ValueError, "whole"),
        (lambda: au.translate(np.zeros((1, 3, 3)), [1, 0]), ValueError, "shifts"),
        (lambda: au.flip(np.zeros((2, 3, 3)), [1, 0]), ValueError, "which"),
        (lambda: au.add_noise(np.zeros((1, 3, 3)), 0.1, None), TypeError, "Generator"),
        (lambda: au.glyphs(0, np.random.default_rng(0)), ValueError, "n"),
    ],
)
def test_bad_inputs_are_named(call, error, words):
    with pytest.raises(error) as info:
        call()
    assert words in str(info.value)
