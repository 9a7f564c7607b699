"""LIP-20 → ACGPN-14 labels with the levindabhi table (the mapping the ACGPN community results used;
../shared/acgpn/SPEC.md §4.2): hat/hair → hair, upper/dress/coat → upper clothes, pants/skirt → pants,
sunglasses/face → face, and everything without an ACGPN class (glove, socks, jumpsuit, scarf) → 7 "noise"."""
from __future__ import annotations

import cv2
import numpy as np

LIP_TO_ACGPN = np.array(
    [
        0,  # 0 background
        1,  # 1 hat
        1,  # 2 hair
        7,  # 3 glove
        12,  # 4 sunglasses
        4,  # 5 upper clothes
        4,  # 6 dress
        4,  # 7 coat
        7,  # 8 socks
        8,  # 9 pants
        7,  # 10 jumpsuits
        7,  # 11 scarf
        8,  # 12 skirt
        12,  # 13 face
        11,  # 14 left arm
        13,  # 15 right arm
        9,  # 16 left leg
        10,  # 17 right leg
        5,  # 18 left shoe
        6,  # 19 right shoe
    ],
    np.uint8,
)

ACGPN_VALUES = frozenset(int(v) for v in LIP_TO_ACGPN)


def lip_to_acgpn(lip: np.ndarray) -> np.ndarray:
    """(H, W) uint8 LIP-20 → (H, W) uint8 ACGPN-14."""
    if lip.max(initial=0) >= len(LIP_TO_ACGPN):
        raise ValueError(f"LIP labels must be 0..19, got {int(lip.max())}")
    return LIP_TO_ACGPN[lip]


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
