"""The data that flows between pipeline stages.

Images are numpy arrays, RGB uint8 (H, W, 3); label maps are uint8 (H, W); keypoints are float32 (18, 3)
in OpenPose COCO-18 order as (x, y, confidence) in pixels of the image they belong to, with a missing
point written as (0, 0, 0).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# OpenPose COCO-18 keypoint order.
COCO18 = (
    "nose", "neck", "r_shoulder", "r_elbow", "r_wrist", "l_shoulder", "l_elbow", "l_wrist",
    "r_hip", "r_knee", "r_ankle", "l_hip", "l_knee", "l_ankle", "r_eye", "l_eye", "r_ear", "l_ear",
)

# LIP-20 labels (what a human parser emits).
LIP = (
    "background", "hat", "hair", "glove", "sunglasses", "upper_clothes", "dress", "coat", "socks", "pants",
    "jumpsuits", "scarf", "skirt", "face", "left_arm", "right_arm", "left_leg", "right_leg", "left_shoe",
    "right_shoe",
)

# ACGPN's 14 labels (2 and 3 unused).
ACGPN = {
    0: "background", 1: "hair", 4: "upper_clothes", 5: "left_shoe", 6: "right_shoe", 7: "noise", 8: "pants",
    9: "left_leg", 10: "right_leg", 11: "left_arm", 12: "face", 13: "right_arm",
}

GARMENT_CATEGORIES = ("tshirt", "long_sleeve", "tank_top")


@dataclass
class PersonAnalysis:
    """Everything the preprocessing stage knows about the shopper's photo."""

    image: np.ndarray  # (H, W, 3) uint8 RGB, EXIF-upright, the photo as sent (labels etc. match its size)
    keypoints: np.ndarray  # (18, 3) float32 COCO-18 (x, y, conf) in `image` pixels
    lip: np.ndarray  # (H, W) uint8 LIP-20 labels
    labels: np.ndarray  # (H, W) uint8 ACGPN-14 labels
    person_mask: np.ndarray  # (H, W) float32 in [0, 1]
    warnings: list[str] = field(default_factory=list)


@dataclass
class GarmentAnalysis:
    """A garment product photo and its mask."""

    image: np.ndarray  # (H, W, 3) uint8 RGB
    mask: np.ndarray  # (H, W) uint8, 255 = garment
    category: str = "tshirt"  # one of GARMENT_CATEGORIES


@dataclass
class TryOnResult:
    image: np.ndarray  # (H, W, 3) uint8 RGB, same size as the person image
    timings_ms: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
