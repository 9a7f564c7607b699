"""The data that flows between pipeline stages.

Images are numpy arrays, RGB uint8 (H, W, 3); label maps are uint8 (H, W); keypoints are float32 (18, 3)
in OpenPose COCO-18 order (`vocabulary.Coco18`) as (x, y, confidence) in pixels of the image they belong to,
with a missing point written as (0, 0, 0).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from server.pipeline.vocabulary import GarmentCategory, garment_category


@dataclass
class PersonAnalysis:
    """Everything the preprocessing stage knows about the shopper's photo."""

    image: np.ndarray  # (H, W, 3) uint8 RGB, EXIF-upright, the photo as sent (labels etc. match its size)
    keypoints: np.ndarray  # (18, 3) float32 COCO-18 (x, y, conf) in `image` pixels
    lip: np.ndarray  # (H, W) uint8 LIP-20 labels (vocabulary.Lip)
    labels: np.ndarray  # (H, W) uint8 ACGPN-14 labels (vocabulary.Acgpn)
    person_mask: np.ndarray  # (H, W) float32 in [0, 1]
    warnings: list[str] = field(default_factory=list)


@dataclass
class GarmentAnalysis:
    """A garment product photo and its mask."""

    image: np.ndarray  # (H, W, 3) uint8 RGB
    mask: np.ndarray  # (H, W) uint8, 255 = garment
    category: GarmentCategory = GarmentCategory.TSHIRT

    def __post_init__(self) -> None:
        self.category = garment_category(self.category)  # a caller's plain string is checked here


@dataclass
class TryOnResult:
    image: np.ndarray  # (H, W, 3) uint8 RGB, same size as the person image
    timings_ms: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
