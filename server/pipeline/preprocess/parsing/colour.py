"""Robust Gaussian colour models: fit to a sample of pixels, score pixels by Mahalanobis distance."""
from __future__ import annotations

import cv2
import numpy as np


class ColourModel:
    """A Gaussian in some colour space, fitted to the inner 80 % of its samples so that stray pixels (eyes,
    a print, a shadow) do not widen it."""

    def __init__(self, mean: np.ndarray, cov: np.ndarray) -> None:
        self.mean = mean.astype(np.float32)
        # OpenCV and einsum rather than LAPACK/BLAS: on a busy 2-core box OpenBLAS's thread hand-off costs
        # milliseconds per call for these 3×3 matrices.
        self.inverse = cv2.invert(cov.astype(np.float64), flags=cv2.DECOMP_CHOLESKY)[1]
        # Whitening: |W (x - mean)|² is the squared Mahalanobis distance (W = Cholesky factor of cov⁻¹, transposed).
        self._whiten = np.linalg.cholesky(self.inverse).astype(np.float32)
        self.log_det = float(np.linalg.slogdet(cov)[1])

    @classmethod
    def fit(cls, samples: np.ndarray, min_samples: int = 30, floor: float = 4.0) -> ColourModel | None:
        """`samples` (N, C) float; `floor` is the least variance per channel (sensor noise, JPEG)."""
        if len(samples) < min_samples:
            return None
        median = np.median(samples, axis=0)
        spread = np.linalg.norm(samples - median, axis=1)
        inner = samples[spread <= np.quantile(spread, 0.8)]
        mean = inner.mean(axis=0)
        centred = inner - mean
        cov = np.einsum("ni,nj->ij", centred, centred) / max(len(inner) - 1, 1) + floor * np.eye(samples.shape[1])
        return cls(mean, cov)

    def distance(self, pixels: np.ndarray) -> np.ndarray:
        """Mahalanobis distance of (..., C) pixels, shape (...)."""
        flat = np.asarray(pixels, np.float32).reshape(-1, len(self.mean)) - self.mean
        white = np.einsum("ij,jk->ik", flat, self._whiten)  # no BLAS call: threads cost more than 3×3 saves
        return np.sqrt(np.einsum("ij,ij->i", white, white)).reshape(np.shape(pixels)[:-1])

    def neg_log_likelihood(self, pixels: np.ndarray) -> np.ndarray:
        """−log p up to a constant: compares pixels fairly between a narrow and a wide model."""
        return 0.5 * self.distance(pixels) ** 2 + 0.5 * self.log_det
