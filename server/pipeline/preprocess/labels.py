"""Label maps: LIP-20 → ACGPN-14 (the table is `vocabulary.LIP_TO_ACGPN`), and resizing: nearest, centred, or
with smooth edges."""
from __future__ import annotations

import cv2
import numpy as np

from server.pipeline.vocabulary import LIP_TO_ACGPN, Lip

LIP_TO_ACGPN_TABLE = np.array([LIP_TO_ACGPN[label] for label in Lip], np.uint8)  # indexed by LIP label

ACGPN_VALUES = frozenset(int(v) for v in LIP_TO_ACGPN.values())


def lip_to_acgpn(lip: np.ndarray) -> np.ndarray:
    """(H, W) uint8 LIP-20 → (H, W) uint8 ACGPN-14."""
    if lip.max(initial=0) >= len(Lip):
        raise ValueError(f"LIP labels must be 0..{len(Lip) - 1}, got {int(lip.max())}")
    return LIP_TO_ACGPN_TABLE[lip]


def resize_labels(labels: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A label map resized to `size` (width, height), each output pixel taking the label under its centre.

    OpenCV's INTER_NEAREST takes the label under each output pixel's top-left corner instead: the labels land half
    an output pixel down and right of an image resized beside them, and a parser trained on such targets learned
    the shift (its labels sat about a pixel low on VITON's photos: docs/training.md, "Labels on their pixels")."""
    return cv2.resize(labels, size, interpolation=cv2.INTER_NEAREST_EXACT)


def upsample_labels(labels: np.ndarray, width: int, height: int) -> np.ndarray:
    """A label map resized to (width, height) with smooth edges: each label's indicator is resized linearly
    and every pixel takes the label that covers it most (nearest-neighbour resizing leaves steps as large as
    the scale factor)."""
    out = np.zeros((height, width), np.uint8)
    best = np.zeros((height, width), np.uint8)
    for label in np.unique(labels):
        score = cv2.resize(np.where(labels == label, 255, 0).astype(np.uint8), (width, height),
                           interpolation=cv2.INTER_LINEAR)
        out[score > best] = label
        np.maximum(best, score, out=best)
    return out
