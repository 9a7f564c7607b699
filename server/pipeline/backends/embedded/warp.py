"""Warp the garment onto the person piecewise: one thin-plate spline for the body of the garment, one per
sleeve along its arm, all from the shared `server.pipeline.tps`.

Each piece is cut out of the garment photo first (the sleeves are what lies beyond the shoulder-armpit
seam), warped on its own, and only kept near its own control points, so a sleeve's spline cannot smear
garment pixels over the torso and a raised or bent arm takes its sleeve with it.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from server.pipeline.backends.embedded.body_targets import Targets
from server.pipeline.backends.embedded.landmarks import has_sleeves
from server.pipeline.tps import fit_tps

# Spline smoothing (relative; 0 = exact). A little keeps noisy landmarks from folding the garment.
TORSO_REGULARIZATION = 0.002
SLEEVE_REGULARIZATION = 0.002


@dataclass
class WarpedLayer:
    rgb: np.ndarray  # (H, W, 3) float32, 0..255
    alpha: np.ndarray  # (H, W) float32, 0..1


def split_sleeves(mask: np.ndarray, landmarks: dict[str, np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Garment mask (bool) → body part and one mask per sleeve (beyond the shoulder-armpit seam line)."""
    h, w = mask.shape
    if not has_sleeves(landmarks):
        return mask, []
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    body = mask.copy()
    sleeves = []
    for side, sign in (("l", -1.0), ("r", 1.0)):
        a, b = landmarks[f"shoulder_{side}"], landmarks[f"armpit_{side}"]
        # Signed side of the seam line a→b, oriented so positive is away from the garment's centre.
        normal = np.array([b[1] - a[1], a[0] - b[0]], np.float32)
        if normal[0] * sign < 0:
            normal = -normal
        beyond = ((xx - a[0]) * normal[0] + (yy - a[1]) * normal[1]) > 0
        # Only the part that hangs from the seam: below the shoulder line's extension stays body.
        sleeve = mask & beyond & (yy < max(a[1], b[1]) + 2.5 * abs(b[1] - a[1]) + 0.1 * h)
        sleeves.append(sleeve)
        body &= ~sleeve
    return body, sleeves


def _region(points: np.ndarray, shape: tuple[int, int], margin: float) -> np.ndarray:
    """Convex hull of `points`, grown by `margin` pixels, as a float mask."""
    region = np.zeros(shape, np.uint8)
    hull = cv2.convexHull(points.astype(np.float32)).astype(np.int32)
    cv2.fillConvexPoly(region, hull, 1)
    k = max(1, int(margin)) * 2 + 1
    region = cv2.dilate(region, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    return region.astype(np.float32)


def _warp_piece(rgba: np.ndarray, piece: np.ndarray, src: np.ndarray, dst: np.ndarray, shape: tuple[int, int],
                regularization: float, margin: float) -> WarpedLayer:
    h, w = shape
    tps = fit_tps(src, dst, regularization=regularization)
    grid = tps.grid(h, w)
    layer = rgba.copy()
    layer[..., 3] = piece.astype(np.float32)
    out = cv2.remap(layer, grid[..., 0], grid[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                    borderValue=0)
    alpha = out[..., 3] * _region(dst, shape, margin)
    return WarpedLayer(out[..., :3], alpha)


def warp_garment(rgb: np.ndarray, mask: np.ndarray, landmarks: dict[str, np.ndarray], targets: Targets,
                 shape: tuple[int, int]) -> tuple[WarpedLayer, list[WarpedLayer]]:
    """Torso layer and sleeve layers of the garment on a canvas of `shape` (H, W)."""
    clean = cv2.erode((mask > 127).astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    body, sleeves = split_sleeves(clean, landmarks)
    rgba = np.dstack([rgb.astype(np.float32), np.zeros(rgb.shape[:2], np.float32)])
    reach = 0.35 * float(np.linalg.norm(targets.placed["shoulder_r"] - targets.placed["shoulder_l"]))
    torso = _warp_piece(rgba, body, targets.torso_src, targets.torso_dst, shape, TORSO_REGULARIZATION, reach)
    layers = [_warp_piece(rgba, piece, src, dst, shape, SLEEVE_REGULARIZATION, 0.5 * reach)
              for piece, (src, dst) in zip(sleeves, targets.sleeves)]
    return torso, layers
