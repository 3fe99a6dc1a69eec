"""Preprocessing that is fitted on training data and applied unchanged to test data
(seed 004, 5.7.2): z-score, min-max and PCA whitening."""

from __future__ import annotations

import numpy as np

from minigrad.validate import integer, number


class _Fitted:
    def fit_transform(self, x: np.ndarray) -> np.ndarray:
        return self.fit(x).transform(x)

    def _training(self, x) -> np.ndarray:
        """Training data as float64 rows of features: 2-D, with at least one row."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or len(x) == 0:
            raise ValueError(
                f"{type(self).__name__}.fit: expected training data of shape (n, features) "
                f"with n >= 1, got shape {x.shape}"
            )
        return x

    def _check(self, x: np.ndarray) -> np.ndarray:
        if not hasattr(self, "dim"):
            raise RuntimeError(f"{type(self).__name__}: call fit() on the training data first")
        x = np.asarray(x)
        if x.ndim != 2 or x.shape[1] != self.dim:
            raise ValueError(
                f"{type(self).__name__}: fitted on {self.dim} features, got an "
                f"array of shape {x.shape}"
            )
        return x


class ZScore(_Fitted):
    """(x - mean) / std per feature. A feature is constant, and only centred, when its std is
    at most `eps` times its largest |value| (relative, so features in small units are scaled)."""

    def __init__(self, eps: float = 1e-12) -> None:
        self.eps = number(eps, "ZScore", "eps", low=0)

    def fit(self, x: np.ndarray) -> ZScore:
        x = self._training(x)
        self.dim, self.mean, std = x.shape[1], x.mean(0), x.std(0)
        self.std = np.where(std <= self.eps * np.abs(x).max(0), 1.0, std)
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        x = self._check(x)
        return ((x - self.mean) / self.std).astype(x.dtype if x.dtype.kind == "f" else np.float32)


class MinMax(_Fitted):
    """Scale each feature linearly so that the training range maps to [low, high]."""

    def __init__(self, low: float = 0.0, high: float = 1.0) -> None:
        self.low, self.high = number(low, "MinMax", "low"), number(high, "MinMax", "high")

    def fit(self, x: np.ndarray) -> MinMax:
        x = self._training(x)
        self.dim, self.min = x.shape[1], x.min(0)
        span = x.max(0) - self.min
        self.span = np.where(span == 0, 1.0, span)
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        x = self._check(x)
        scaled = (x - self.min) / self.span * (self.high - self.low) + self.low
        return scaled.astype(x.dtype if x.dtype.kind == "f" else np.float32)


class PCAWhitening(_Fitted):
    """Rotate onto the principal components and divide by their standard deviations, so the
    training data have zero mean and identity covariance; keep `components` of them."""

    def __init__(self, components: int | None = None, eps: float = 1e-5) -> None:
        if components is not None:
            integer(components, "PCAWhitening", "components", low=1)
        self.components = components
        self.eps = number(eps, "PCAWhitening", "eps", low=0)

    def fit(self, x: np.ndarray) -> PCAWhitening:
        x = self._training(x)
        if self.components is not None and self.components > x.shape[1]:
            raise ValueError(
                f"PCAWhitening: {self.components} components asked of {x.shape[1]} features"
            )
        self.dim, self.mean = x.shape[1], x.mean(0)
        cov = np.cov(x - self.mean, rowvar=False, bias=True).reshape(self.dim, self.dim)
        values, vectors = np.linalg.eigh(cov)
        order = np.argsort(values)[::-1][: self.components or self.dim]
        self.basis = vectors[:, order] / np.sqrt(values[order] + self.eps)
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        x = self._check(x)
        out = (x - self.mean) @ self.basis
        return out.astype(x.dtype if x.dtype.kind == "f" else np.float32)
