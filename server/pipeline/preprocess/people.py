"""Pick one shopper when the photo shows several people.

BlazePose follows one person of its own choosing, not necessarily the one in front. So before it runs,
MediaPipe's selfie segmentation (which segments everybody) is split into connected components; when there
are several people, the analysis is restricted to the largest one.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

import cv2
import numpy as np

# A component counts as a person when it is at least this fraction of the largest one and of the image.
MIN_FRACTION_OF_LARGEST = 0.12
MIN_FRACTION_OF_IMAGE = 0.01


@dataclass
class Selection:
    """The region to analyse: `box` = (x0, y0, x1, y1) in the photo, `others` = mask of the other people."""

    box: tuple[int, int, int, int]
    others: np.ndarray | None
    people: int
    warnings: list[str] = field(default_factory=list)

    def region(self, image: np.ndarray) -> np.ndarray:
        """The part of `image` to analyse, with the other people painted in the background's median colour."""
        x0, y0, x1, y1 = self.box
        region = np.ascontiguousarray(image[y0:y1, x0:x1])
        if self.others is not None:
            region = region.copy()
            region[self.others[y0:y1, x0:x1]] = np.median(image[~self.others], axis=0).astype(np.uint8)
        return region


class PeopleFinder:
    def __init__(self) -> None:
        import mediapipe as mp

        self._segmenter = mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0)
        self._lock = threading.Lock()

    def select(self, rgb: np.ndarray) -> Selection:
        height, width = rgb.shape[:2]
        with self._lock:
            mask = self._segmenter.process(np.ascontiguousarray(rgb)).segmentation_mask
        binary = (np.asarray(mask) > 0.5).astype(np.uint8)
        count, components, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
        areas = stats[1:, cv2.CC_STAT_AREA]
        if len(areas) == 0:
            return Selection((0, 0, width, height), None, 0)
        largest = int(np.argmax(areas))
        keep = [
            i for i, a in enumerate(areas)
            if a >= MIN_FRACTION_OF_LARGEST * areas[largest] and a >= MIN_FRACTION_OF_IMAGE * height * width
        ]
        if len(keep) <= 1:
            return Selection((0, 0, width, height), None, len(keep))
        x, y, w, h = (int(v) for v in stats[largest + 1, :4])
        margin_x, margin_y = int(0.15 * w), int(0.1 * h)
        box = (max(0, x - margin_x), max(0, y - margin_y), min(width, x + w + margin_x), min(height, y + h + margin_y))
        others = np.isin(components, [i + 1 for i in keep if i != largest])
        warning = f"{len(keep)} people in the photo: used the largest one. Please stand alone in the booth."
        return Selection(box, others, len(keep), [warning])

    def close(self) -> None:
        with self._lock:
            self._segmenter.close()
