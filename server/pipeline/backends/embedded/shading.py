"""Carry the light and folds of the shopper's photo onto the new garment.

The old clothes are a record of how light falls on this body: their luminance, divided by its own mean and
low-pass filtered (so prints and seams of the old garment do not come along), is a shading map. Arms get
their own map the same way (a sleeve drawn over an arm takes the arm's light). Elsewhere the map fades to
1. Filtering runs at a quarter of the resolution: the map is smooth by construction.
"""
from __future__ import annotations

import cv2
import numpy as np

from server.pipeline.preprocess.labels import resize_labels
from server.pipeline.vocabulary import LIP_ARMS, LIP_CLOTHES

# Low-pass width as a fraction of the image height: keeps folds (a few % of the height), drops prints.
SIGMA_FRACTION = 0.02
# The map is clipped so a black shirt's noise or a white shirt's blown highlights stay plausible.
RANGE = (0.6, 1.25)
STRENGTH = 0.7  # exponent: 1 = the photo's full contrast


def luminance(rgb: np.ndarray) -> np.ndarray:
    return (rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114).astype(np.float32)


def shading_map(image: np.ndarray, lip: np.ndarray) -> np.ndarray:
    """(H, W) float32 multiplicative shading, mean 1 over the old clothes."""
    h, w = lip.shape
    f = 4 if min(h, w) >= 256 else 1
    small_size = (max(1, w // f), max(1, h // f))
    lum = luminance(cv2.resize(image, small_size, interpolation=cv2.INTER_AREA).astype(np.float32))
    lip_small = resize_labels(lip, small_size)
    sigma = max(0.8, SIGMA_FRACTION * h / f)
    ratio = np.zeros_like(lum)
    weight = np.zeros_like(lum)
    for labels in (LIP_CLOTHES, LIP_ARMS):
        region = np.isin(lip_small, labels).astype(np.float32)
        if region.sum() < 16:
            continue
        mean = float((lum * region).sum() / region.sum())
        if mean < 1.0:
            continue
        ratio += region * lum / mean
        weight += region
    num = cv2.GaussianBlur(ratio, (0, 0), sigma)
    den = cv2.GaussianBlur(weight, (0, 0), sigma)
    # Far from both regions the map is 1; near them, the normalised (masked) blur.
    far_num = cv2.GaussianBlur(ratio, (0, 0), 4 * sigma)
    far_den = cv2.GaussianBlur(weight, (0, 0), 4 * sigma)
    local = num / np.maximum(den, 1e-6)
    wide = far_num / np.maximum(far_den, 1e-6)
    trust = np.clip(den * 2, 0, 1)
    trust_wide = np.clip(far_den * 2, 0, 1)
    smap = trust * local + (1 - trust) * (trust_wide * wide + (1 - trust_wide))
    smap = np.clip(smap, *RANGE) ** STRENGTH
    return cv2.resize(smap, (w, h), interpolation=cv2.INTER_LINEAR)
