"""Pictures a person can check: the skeleton, the parsing in colour, the garment mask."""
from __future__ import annotations

import cv2
import numpy as np

from server.pipeline.vocabulary import Coco18

K = Coco18
# OpenPose COCO-18 limbs.
LIMBS = (
    (K.NECK, K.R_SHOULDER), (K.R_SHOULDER, K.R_ELBOW), (K.R_ELBOW, K.R_WRIST),
    (K.NECK, K.L_SHOULDER), (K.L_SHOULDER, K.L_ELBOW), (K.L_ELBOW, K.L_WRIST),
    (K.NECK, K.R_HIP), (K.R_HIP, K.R_KNEE), (K.R_KNEE, K.R_ANKLE),
    (K.NECK, K.L_HIP), (K.L_HIP, K.L_KNEE), (K.L_KNEE, K.L_ANKLE),
    (K.NECK, K.NOSE), (K.NOSE, K.R_EYE), (K.R_EYE, K.R_EAR), (K.NOSE, K.L_EYE), (K.L_EYE, K.L_EAR),
)

# The LIP palette SCHP and CP-VTON write (`Lip` label → RGB).
LIP_PALETTE = np.array(
    [
        (0, 0, 0), (128, 0, 0), (254, 0, 0), (0, 85, 0), (169, 0, 51), (254, 85, 0), (0, 0, 85), (0, 119, 221),
        (85, 85, 0), (0, 85, 85), (85, 51, 0), (52, 86, 128), (0, 128, 0), (0, 0, 254), (51, 169, 220),
        (0, 254, 254), (85, 254, 169), (169, 254, 85), (254, 254, 0), (254, 169, 0),
    ],
    np.uint8,
)


def draw_skeleton(rgb: np.ndarray, keypoints: np.ndarray) -> np.ndarray:
    out = rgb.copy()
    thickness = max(1, round(max(rgb.shape[:2]) / 250))
    for a, b in LIMBS:
        if keypoints[a, 2] > 0 and keypoints[b, 2] > 0:
            cv2.line(out, tuple(int(v) for v in keypoints[a, :2]), tuple(int(v) for v in keypoints[b, :2]),
                     (0, 255, 0), thickness, cv2.LINE_AA)
    for index, (x, y, confidence) in enumerate(keypoints):
        if confidence > 0:
            cv2.circle(out, (int(x), int(y)), thickness * 2, (255, 0, 0), -1, cv2.LINE_AA)
            cv2.putText(out, str(index), (int(x) + 3, int(y) - 3), cv2.FONT_HERSHEY_SIMPLEX, 0.3 * thickness,
                        (255, 255, 0), 1, cv2.LINE_AA)
    return out


def draw_parsing(rgb: np.ndarray, lip: np.ndarray, alpha: float = 0.55) -> np.ndarray:
    """The photo with LIP labels blended in their palette colours (background left as is)."""
    colours = LIP_PALETTE[lip].astype(np.float32)
    blended = rgb.astype(np.float32) * (1 - alpha) + colours * alpha
    return np.where(lip[..., None] > 0, blended, rgb).astype(np.uint8)


def draw_mask(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Background tinted magenta, the mask's outline in green."""
    out = rgb.astype(np.float32)
    outside = mask == 0
    out[outside] = out[outside] * 0.4 + np.array([255, 0, 255], np.float32) * 0.6
    out = out.astype(np.uint8)
    contours, _ = cv2.findContours((mask > 0).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    cv2.drawContours(out, contours, -1, (0, 255, 0), max(1, round(max(mask.shape) / 300)))
    return out
