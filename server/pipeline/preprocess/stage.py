"""The preprocessing stage: a shopper's photo → PersonAnalysis, a garment photo → GarmentAnalysis.

Models are loaded once per Preprocessor. The person is analysed at ≤ WORK_SIZE px on the long side (MediaPipe
resizes to 256 px internally anyway) and the label maps and mask are upsampled to the photo's resolution.
"""
from __future__ import annotations

import cv2
import numpy as np

from common.config.server import PreprocessConfig
from server.pipeline.errors import NoPersonFound, PipelineError
from server.pipeline.preprocess.body import BodyModel
from server.pipeline.preprocess.checks import check_garment_mask, check_person
from server.pipeline.preprocess.garment_mask import GarmentMasker
from server.pipeline.preprocess.labels import lip_to_acgpn, upsample_labels
from server.pipeline.preprocess.parsing import make_parser
from server.pipeline.preprocess.people import PeopleFinder
from server.pipeline.preprocess.pose import OpenPoseCoco, coco18_from_blazepose, scale_keypoints
from server.pipeline.timing import timed
from server.pipeline.types import GarmentAnalysis, PersonAnalysis
from server.pipeline.vocabulary import GarmentCategory, garment_category

WORK_SIZE = 512
MIN_SIDE = 64


def _check_image(rgb: np.ndarray, what: str) -> None:
    if not isinstance(rgb, np.ndarray) or rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise PipelineError(f"The {what} must be an RGB image.")
    if min(rgb.shape[:2]) < MIN_SIDE:
        raise PipelineError(f"The {what} is too small ({rgb.shape[1]}×{rgb.shape[0]} px); send at least {MIN_SIDE} px.",
                            code="image_too_small")


class Preprocessor:
    """Pose, human parsing, input checks and garment masks, on the packaged models (CPU, offline)."""

    def __init__(self, config: PreprocessConfig | None = None) -> None:
        self.config = config or PreprocessConfig()
        self._parser = make_parser(self.config)
        self._openpose = OpenPoseCoco(self.config.openpose_model) if self.config.pose == "openpose" else None
        self._body = BodyModel(hands=self._parser.name == "heuristic")
        self._people = PeopleFinder()
        self._garments = GarmentMasker()

    @property
    def parser_name(self) -> str:
        return self._parser.name

    def warmup(self) -> None:
        """Run every graph once: MediaPipe's first call costs several hundred ms."""
        grey = np.full((256, 192, 3), 200, np.uint8)
        self._people.select(grey)
        self._body.observe(grey)
        self._garments.saliency(grey)

    def analyze_person(
        self, rgb: np.ndarray, *, category: GarmentCategory = GarmentCategory.TSHIRT,
        timings: dict[str, float] | None = None
    ) -> PersonAnalysis:
        """Raises NoPersonFound, BadFraming, UnsupportedCategory or PipelineError (unusable image).
        `timings` (ms) gets "people", "pose", "parsing" and "upsample"."""
        category = garment_category(category)
        _check_image(rgb, "photo")
        timings = {} if timings is None else timings
        height, width = rgb.shape[:2]
        scale = min(1.0, WORK_SIZE / max(height, width))
        small_size = (max(1, round(width * scale)), max(1, round(height * scale)))
        small = cv2.resize(rgb, small_size, interpolation=cv2.INTER_AREA) if scale < 1 else rgb

        with timed(timings, "people"):
            selection = self._people.select(small)
            region = selection.region(small)
            x0, y0, x1, y1 = selection.box
        with timed(timings, "pose"):
            body, body_warnings = check_person(self._body.observe(region), region.shape[1], region.shape[0])
            warnings = selection.warnings + body_warnings
            if self._openpose is not None:
                keypoints = self._openpose.estimate(region)
            else:
                keypoints = coco18_from_blazepose(body.landmarks, region.shape[1], region.shape[0])
        with timed(timings, "parsing"):
            lip_region = self._parser.parse(region, body)
        with timed(timings, "upsample"):
            lip_small = np.zeros(small.shape[:2], np.uint8)
            mask_small = np.zeros(small.shape[:2], np.float32)
            lip_small[y0:y1, x0:x1] = lip_region
            mask_small[y0:y1, x0:x1] = body.person_mask
            lip = upsample_labels(lip_small, width, height)
            person_mask = np.clip(cv2.resize(mask_small, (width, height), interpolation=cv2.INTER_LINEAR), 0, 1)
            keypoints = scale_keypoints(keypoints, width / small.shape[1], height / small.shape[0],
                                        x0 * width / small.shape[1], y0 * height / small.shape[0])
            labels = lip_to_acgpn(lip)
        if not lip.any():
            raise NoPersonFound("No person found in the photo. Stand facing the camera, in good light.")
        return PersonAnalysis(rgb, keypoints, lip, labels, person_mask, warnings)

    def analyze_garment(
        self, rgb: np.ndarray, *, category: GarmentCategory = GarmentCategory.TSHIRT,
        timings: dict[str, float] | None = None
    ) -> GarmentAnalysis:
        """Raises NoGarmentFound, UnsupportedCategory or PipelineError. `timings` (ms) gets "garment_mask"."""
        category = garment_category(category)
        _check_image(rgb, "garment photo")
        timings = {} if timings is None else timings
        with timed(timings, "garment_mask"):
            mask = self._garments.mask(rgb)
        check_garment_mask(mask)
        return GarmentAnalysis(rgb, mask, category)

    def close(self) -> None:
        self._body.close()
        self._people.close()
