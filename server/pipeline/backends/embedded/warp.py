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
from server.pipeline.backends.embedded.landmarks import has_sleeves, sleeve_outline
from server.pipeline.tps import fit_tps

# Spline smoothing (relative; 0 = exact). A little keeps noisy landmarks from folding the garment.
TORSO_REGULARIZATION = 0.002
SLEEVE_REGULARIZATION = 0.002
# Share of a piece that may fold over before the warp counts as broken, and the fallback smoothing.
MAX_FOLDED = 0.03
STIFF_REGULARIZATION = 1.0
# The spline is evaluated exactly every GRID_STEP pixels and interpolated in between (sub-pixel error).
GRID_STEP = 8


@dataclass
class WarpedLayer:
    rgb: np.ndarray  # (H, W, 3) float32, 0..255
    alpha: np.ndarray  # (H, W) float32, 0..1


def split_sleeves(mask: np.ndarray, landmarks: dict[str, np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Garment mask (bool) → body part and one mask per sleeve (the polygon of the sleeve's outline closed
    by the shoulder-armpit seam). The sleeves reach a little over the seam so the pieces overlap."""
    if not has_sleeves(landmarks):
        return mask, []
    h, w = mask.shape
    overlap = max(3, int(0.012 * max(h, w))) * 2 + 1
    grow = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (overlap, overlap))
    body = mask.copy()
    sleeves = []
    for side in ("l", "r"):
        outline = sleeve_outline(mask, landmarks[f"shoulder_{side}"], landmarks[f"armpit_{side}"])
        poly = np.zeros((h, w), np.uint8)
        cv2.fillPoly(poly, [np.round(outline).astype(np.int32)], 1)
        body &= ~poly.astype(bool)
        sleeves.append(mask & cv2.dilate(poly, grow).astype(bool))
    return body, sleeves


def cut_neck_opening(mask: np.ndarray, landmarks: dict[str, np.ndarray]) -> np.ndarray:
    """Remove the inside of the back that a flat-lay photo shows through the neckline (on a person the
    neck is there): the ellipse through neck_l, neck_front and neck_r."""
    left, right, front = landmarks["neck_l"], landmarks["neck_r"], landmarks["neck_front"]
    centre = (left + right) / 2
    axes = (int(abs(right[0] - left[0]) / 2), int(max(front[1] - centre[1], 1)))
    if axes[0] < 2:
        return mask
    hole = np.zeros(mask.shape, np.uint8)
    cv2.ellipse(hole, (int(round(centre[0])), int(round(centre[1]))), axes, 0, 0, 360, 1, -1)
    return mask & ~hole.astype(bool)


def _region(points: np.ndarray, shape: tuple[int, int], margin: float) -> np.ndarray:
    """Convex hull of `points`, grown by `margin` pixels (a thick outline round it), as a float mask."""
    region = np.zeros(shape, np.uint8)
    hull = np.round(cv2.convexHull(points.astype(np.float32))).astype(np.int32)
    cv2.fillConvexPoly(region, hull, 1)
    cv2.polylines(region, [hull], True, 1, thickness=max(1, int(2 * margin)))
    return region.astype(np.float32)


def _folded_share(grid: np.ndarray, where: np.ndarray) -> float:
    """Share of the pixels in `where` at which the sampling map turns the garment over (negative
    Jacobian): the sign of a spline pulled through crossing control points."""
    if not where.any():
        return 0.0
    dx = np.gradient(grid, axis=1)
    dy = np.gradient(grid, axis=0)
    det = dx[..., 0] * dy[..., 1] - dx[..., 1] * dy[..., 0]
    return float((det[where] <= 0).mean())


def _warp_piece(rgba: np.ndarray, piece: np.ndarray, src: np.ndarray, dst: np.ndarray, shape: tuple[int, int],
                regularization: float, margin: float) -> tuple[WarpedLayer, float]:
    """The piece warped onto the canvas, and the share of it that the warp folds over."""
    h, w = shape
    tps = fit_tps(src, dst, regularization=regularization)
    grid = tps.grid(h, w, step=GRID_STEP)
    layer = rgba.copy()
    layer[..., 3] = piece.astype(np.float32)
    out = cv2.remap(layer, grid[..., 0], grid[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                    borderValue=0)
    alpha = out[..., 3] * _region(dst, shape, margin)
    return WarpedLayer(out[..., :3], alpha), _folded_share(grid[::4, ::4], alpha[::4, ::4] > 0.5)


def warp_garment(rgb: np.ndarray, mask: np.ndarray, landmarks: dict[str, np.ndarray], targets: Targets,
                 shape: tuple[int, int]) -> tuple[WarpedLayer, list[WarpedLayer]]:
    """Torso layer and sleeve layers of the garment on a canvas of `shape` (H, W)."""
    clean = cv2.erode((mask > 127).astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    body, sleeves = split_sleeves(cut_neck_opening(clean, landmarks), landmarks)
    rgba = np.dstack([rgb.astype(np.float32), np.zeros(rgb.shape[:2], np.float32)])
    reach = 0.35 * float(np.linalg.norm(targets.placed["shoulder_r"] - targets.placed["shoulder_l"]))
    torso, folded = _warp_piece(rgba, body, targets.torso_src, targets.torso_dst, shape, TORSO_REGULARIZATION,
                                reach)
    if folded > MAX_FOLDED:  # misread landmarks: a stiffer, nearly affine spline still fits the body
        torso, _ = _warp_piece(rgba, body, targets.torso_src, targets.torso_dst, shape, STIFF_REGULARIZATION,
                               reach)
    layers = []
    for piece, (src, dst) in zip(sleeves, targets.sleeves):
        layer, folded = _warp_piece(rgba, piece, src, dst, shape, SLEEVE_REGULARIZATION, 0.5 * reach)
        # A sleeve whose landmarks were misread folds or balloons; leave it out rather than draw a slab
        # (the arm then shows, and the old sleeve becomes skin).
        expected = float(piece.sum()) * targets.scale ** 2
        if folded <= MAX_FOLDED and 0.3 * expected <= float(layer.alpha.sum()) <= 2.0 * expected:
            layers.append(layer)
    return torso, layers
