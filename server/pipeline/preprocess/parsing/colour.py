"""Robust Gaussian colour models: fit to a sample of pixels, score pixels by Mahalanobis distance."""
from __future__ import annotations

from typing import Optional

import numpy as np


class ColourModel:
    """A Gaussian in some colour space, fitted to the inner 80 % of its samples so that stray pixels (eyes,
    a print, a shadow) do not widen it."""

    def __init__(self, mean: np.ndarray, cov: np.ndarray) -> None:
        self.mean = mean
        self.inverse = np.linalg.inv(cov)
        self.log_det = float(np.linalg.slogdet(cov)[1])

    @classmethod
    def fit(cls, samples: np.ndarray, min_samples: int = 30, floor: float = 4.0) -> Optional["ColourModel"]:
        """`samples` (N, C) float; `floor` is the least variance per channel (sensor noise, JPEG)."""
        if len(samples) < min_samples:
            return None
        median = np.median(samples, axis=0)
        spread = np.linalg.norm(samples - median, axis=1)
        inner = samples[spread <= np.quantile(spread, 0.8)]
        mean = inner.mean(axis=0)
        cov = np.cov(inner, rowvar=False) + floor * np.eye(samples.shape[1])
        return cls(mean, cov)

    def distance(self, pixels: np.ndarray) -> np.ndarray:
        """Mahalanobis distance of (..., C) pixels, shape (...)."""
        diff = pixels - self.mean
        return np.sqrt(np.maximum(np.einsum("...i,ij,...j->...", diff, self.inverse, diff), 0))

    def neg_log_likelihood(self, pixels: np.ndarray) -> np.ndarray:
        """−log p up to a constant: compares pixels fairly between a narrow and a wide model."""
        return 0.5 * self.distance(pixels) ** 2 + 0.5 * self.log_det
