"""Synthetic sets, preprocessing and batching."""

from __future__ import annotations

import numpy as np
import pytest

from minigrad.data.loader import batches, num_batches
from minigrad.data.preprocess import MinMax, PCAWhitening, ZScore
from minigrad.data.synthetic import blobs, moons, spirals


@pytest.mark.parametrize("make", [moons, spirals, blobs])
def test_synthetic_sets_are_deterministic_and_balanced(make):
    x, y = make(300, np.random.default_rng(0))
    x2, y2 = make(300, np.random.default_rng(0))
    assert x.shape == (300, 2) and x.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    counts = np.bincount(y)
    assert counts.max() - counts.min() <= 1
    assert not np.array_equal(x, make(300, np.random.default_rng(1))[0])


def test_zscore_and_minmax_fit_on_train_and_apply_to_test():
    rng = np.random.default_rng(1)
    train, test = rng.normal(3, 2, (500, 4)), rng.normal(3, 2, (100, 4))
    train[:, 3] = 7.0  # a constant feature is only centred
    z = ZScore().fit(train)
    out = z.transform(train)
    np.testing.assert_allclose(out[:, :3].mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(out[:, :3].std(0), 1, atol=1e-12)
    np.testing.assert_allclose(out[:, 3], 0)
    np.testing.assert_allclose(z.transform(test), (test - train.mean(0)) / z.std)
    m = MinMax(-1, 1).fit(train[:, :3])
    scaled = m.transform(train[:, :3])
    np.testing.assert_allclose(scaled.min(0), -1)
    np.testing.assert_allclose(scaled.max(0), 1)
    with pytest.raises(ValueError, match=r"fitted on 3 features.*\(100, 4\)"):
        m.transform(test)
    with pytest.raises(RuntimeError, match="fit"):
        ZScore().transform(test)


def test_pca_whitening_gives_identity_covariance():
    rng = np.random.default_rng(2)
    mixing = rng.standard_normal((3, 3))
    train = rng.standard_normal((2000, 3)) @ mixing + 5
    white = PCAWhitening(eps=1e-12).fit_transform(train)
    np.testing.assert_allclose(white.mean(0), 0, atol=1e-10)
    np.testing.assert_allclose(np.cov(white, rowvar=False, bias=True), np.eye(3), atol=1e-4)
    assert PCAWhitening(components=2).fit(train).transform(train).shape == (2000, 2)


def test_batches_cover_every_row_once_in_a_seeded_order():
    x, y = np.arange(10)[:, None], np.arange(10)
    got = list(batches(x, y, batch_size=4, rng=np.random.default_rng(0)))
    assert [len(b[0]) for b in got] == [4, 4, 2] and num_batches(10, 4) == 3
    seen = np.concatenate([b[1] for b in got])
    assert sorted(seen) == list(range(10)) and list(seen) != list(range(10))
    np.testing.assert_array_equal(np.concatenate([b[0][:, 0] for b in got]), seen)
    again = np.concatenate(
        [b[1] for b in batches(x, y, batch_size=4, rng=np.random.default_rng(0))]
    )
    np.testing.assert_array_equal(seen, again)
    assert [len(b[0]) for b in batches(x, batch_size=4, drop_last=True)] == [4, 4]
    with pytest.raises(ValueError, match="different lengths"):
        list(batches(x, y[:5], batch_size=2))
