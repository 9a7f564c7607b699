"""Is the photo usable? Errors carry advice a shopper (or staff member) can act on.

For a top the garment spans shoulders to hips, so both shoulders must be in the frame and the torso visible
down to at least MIN_TORSO_VISIBLE of the shoulder-to-hip length. BlazePose still predicts landmarks that lie
outside the image, which is what lets us measure how much of the torso is cut off. Hips just below the frame
(a waist-up photo) are accepted with a warning.
"""
from __future__ import annotations

import numpy as np

from server.pipeline.errors import BadFraming, NoGarmentFound, NoPersonFound
from server.pipeline.preprocess.body import BodyObservation
from server.pipeline.vocabulary import BlazePose

MIN_VISIBILITY = 0.5
MIN_TORSO_VISIBLE = 0.7
# The shoulder-to-hip length must be at least this fraction of the image height.
MIN_TORSO_HEIGHT = 0.15
# A garment mask must cover between these fractions of the garment photo.
MIN_GARMENT_AREA = 0.02
MAX_GARMENT_AREA = 0.97


def check_person(body: BodyObservation | None, width: int, height: int) -> tuple[BodyObservation, list[str]]:
    """Raise NoPersonFound / BadFraming, or return the body and warnings for a usable photo."""
    if body is None:
        raise NoPersonFound(
            "No person found in the photo. Stand facing the camera, about two metres away, in good light."
        )
    lm = body.landmarks
    warnings: list[str] = []
    for index, side in ((BlazePose.RIGHT_SHOULDER, "right"), (BlazePose.LEFT_SHOULDER, "left")):
        x, y, visibility = lm[index]
        if not (0 <= x < width and 0 <= y < height) or visibility < MIN_VISIBILITY:
            raise BadFraming(
                f"Your {side} shoulder is not in the picture. Step back a little and stand in the middle."
            )
    if lm[BlazePose.RIGHT_SHOULDER, 0] > lm[BlazePose.LEFT_SHOULDER, 0]:
        raise BadFraming("You seem to be turned away from the camera. Please face the screen.")
    shoulder_y = (lm[BlazePose.LEFT_SHOULDER, 1] + lm[BlazePose.RIGHT_SHOULDER, 1]) / 2
    hip_y = (lm[BlazePose.LEFT_HIP, 1] + lm[BlazePose.RIGHT_HIP, 1]) / 2
    torso = hip_y - shoulder_y
    if torso < MIN_TORSO_HEIGHT * height:
        raise BadFraming("You are too far from the camera. Step closer so your body fills more of the picture.")
    visible = (min(float(height - 1), hip_y) - shoulder_y) / torso
    if visible < MIN_TORSO_VISIBLE:
        raise BadFraming(
            "Your hips are cut off. Step back a little so the picture shows you from the head to below the hips."
        )
    if hip_y > height - 1:
        warnings.append(
            f"The hips are just below the picture ({visible:.0%} of the torso visible): the garment's hem is guessed."
        )
    return body, warnings


def check_garment_mask(mask: np.ndarray) -> None:
    """Raise NoGarmentFound unless the mask looks like one garment on a background."""
    area = float(np.count_nonzero(mask)) / mask.size
    if area < MIN_GARMENT_AREA:
        raise NoGarmentFound(
            "No garment found in the photo. Photograph the whole garment laid flat on a plain background."
        )
    if area > MAX_GARMENT_AREA:
        raise NoGarmentFound(
            "The garment fills the whole photo. Photograph the whole garment with some plain background around it."
        )
