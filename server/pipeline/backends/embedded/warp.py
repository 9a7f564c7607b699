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
from server.pipeline.backends.embedded.landmarks import NECKLINE_JUMP, find_landmarks, has_sleeves, sleeve_outline
from server.pipeline.tps import fit_tps
from server.pipeline.vocabulary import GarmentCategory

# Spline smoothing (relative; 0 = exact). A little keeps noisy landmarks from folding the garment.
TORSO_REGULARIZATION = 0.002
SLEEVE_REGULARIZATION = 0.002
# Share of a piece that may fold over before the warp counts as broken, and the fallback smoothing.
MAX_FOLDED = 0.06
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


# The inside of the back, seen through the neck opening, is the garment in shadow: a connected region
# darker than the front (by at least NECKLINE_JUMP at the middle of the opening), bounded by the front
# collar's edge.


def inner_back(rgb: np.ndarray, mask: np.ndarray, landmarks: dict[str, np.ndarray]) -> np.ndarray:
    """Bool mask of the inside of the back shown through the neck opening: the shaded region grown from the
    middle of the opening, bounded by the front collar's edge, and in each column everything above it (the
    back's own binding). Empty when the opening shows no shaded inside (the mask dips to the front)."""
    left, right, front = landmarks["neck_l"], landmarks["neck_r"], landmarks["neck_front"]
    found = np.zeros(mask.shape, bool)
    top = float(min(left[1], right[1]))
    depth = float(front[1]) - top
    x0, x1 = int(np.floor(left[0])), int(np.ceil(right[0])) + 1
    y0, y1 = max(0, int(top - 0.1 * depth)), int(np.ceil(front[1])) + 1
    if depth < 4 or x1 - x0 < 4:
        return found
    seed = (int(round(front[0])) - x0, int(round(top + 0.5 * depth)) - y0)
    box = mask[y0:y1, x0:x1]
    if not (0 <= seed[0] < box.shape[1] and 0 <= seed[1] < box.shape[0]) or not box[seed[1], seed[0]]:
        return found
    lum = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    below = lum[int(front[1] + 0.05 * depth):int(front[1] + 0.2 * depth) + 1,
                max(0, int(front[0] - 0.1 * (x1 - x0))):int(front[0] + 0.1 * (x1 - x0)) + 1]
    below_mask = mask[int(front[1] + 0.05 * depth):int(front[1] + 0.2 * depth) + 1,
                      max(0, int(front[0] - 0.1 * (x1 - x0))):int(front[0] + 0.1 * (x1 - x0)) + 1]
    if not below_mask.any() or lum[seed[1] + y0, seed[0] + x0] * NECKLINE_JUMP > np.median(below[below_mask]):
        return found  # the middle of the opening is not a shaded inside: nothing shows through
    seed_lum, front_lum = float(lum[seed[1] + y0, seed[0] + x0]), float(np.median(below[below_mask]))
    # Shaded inside: as dark as the seed give or take its smooth shading, and darker than halfway
    # (geometrically) between the seed and the front.
    limit = min(seed_lum * NECKLINE_JUMP, np.sqrt(max(seed_lum, 1.0) * front_lum))
    dark = (cv2.GaussianBlur(lum[y0:y1, x0:x1], (0, 0), 2.5) < limit) & box
    _, components = cv2.connectedComponents(dark.astype(np.uint8), connectivity=4)
    filled = components == components[seed[1], seed[0]]
    side = np.abs(np.arange(filled.shape[1]) - seed[0]) > 0.25 * filled.shape[1]
    if filled[-1, side].any():
        return found  # reached the front beside the neckline's lowest point: the front is as dark (a print)
    rows = np.arange(filled.shape[0])[:, None]
    lowest = np.where(filled.any(0), filled.shape[0] - 1 - np.argmax(filled[::-1], axis=0), -1)
    found[y0:y1, x0:x1] = (rows <= lowest[None, :]) & box
    grow = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))  # the shaded rim of the collar's edge
    return cv2.dilate(found.astype(np.uint8), grow).astype(bool) & mask


def cut_neck_opening(mask: np.ndarray, landmarks: dict[str, np.ndarray], rgb: np.ndarray) -> np.ndarray:
    """Remove the inside of the back that a flat-lay photo shows through the neckline (on a person the
    neck is there): the ellipse through neck_l, neck_front and neck_r, and the shaded inside found in the
    photo (a deep neckline, a tank top's U, is fuller than the ellipse)."""
    left, right, front = landmarks["neck_l"], landmarks["neck_r"], landmarks["neck_front"]
    centre = (left + right) / 2
    axes = (int(abs(right[0] - left[0]) / 2), int(max(front[1] - centre[1], 1)))
    if axes[0] < 2:
        return mask
    hole = np.zeros(mask.shape, np.uint8)
    cv2.ellipse(hole, (int(round(centre[0])), int(round(centre[1]))), axes, 0, 0, 360, 1, -1)
    return mask & ~hole.astype(bool) & ~inner_back(rgb, mask, landmarks)


def _hull_box(points: np.ndarray, margin: float, shape: tuple[int, ...]) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) of the points' box grown by margin, clipped to the canvas; None when empty."""
    h, w = shape
    x0, y0 = np.floor(points.min(0) - margin).astype(int)
    x1, y1 = np.ceil(points.max(0) + margin).astype(int) + 1
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    return (x0, y0, x1, y1) if x1 - x0 >= 2 and y1 - y0 >= 2 else None


def _region(points: np.ndarray, shape: tuple[int, int], margin: float) -> np.ndarray:
    """Convex hull of `points`, grown by `margin` pixels (a thick outline round it), as a float mask."""
    region = np.zeros(shape, np.uint8)
    hull = np.round(cv2.convexHull(points.astype(np.float32))).astype(np.int32)
    cv2.fillConvexPoly(region, hull, 1)
    cv2.polylines(region, [hull], True, 1, thickness=max(1, int(2 * margin)))
    return region.astype(np.float32)


def _hull_area(points: np.ndarray) -> float:
    return float(cv2.contourArea(cv2.convexHull(points.astype(np.float32))))


def _folded_share(grid: np.ndarray, where: np.ndarray) -> float:
    """Share of the pixels in `where` at which the sampling map turns the garment over (negative
    Jacobian): the sign of a spline pulled through crossing control points."""
    if not where.any():
        return 0.0
    dx = np.gradient(grid, axis=1)
    dy = np.gradient(grid, axis=0)
    det = dx[..., 0] * dy[..., 1] - dx[..., 1] * dy[..., 0]
    return float((det[where] <= 0).mean())


@dataclass
class PreparedGarment:
    """What the warp needs from a garment photo, computed once per garment (the catalog reuses them)."""

    landmarks: dict[str, np.ndarray]
    pieces: list[np.ndarray]  # (H, W, 4) uint8 RGBA: the body first, then one per sleeve
    areas: list[int]  # garment pixels per piece
    whole: np.ndarray  # (H, W, 4) uint8 RGBA: all pieces together


def prepare_garment(rgb: np.ndarray, mask: np.ndarray, category: GarmentCategory) -> PreparedGarment:
    landmarks = find_landmarks(mask, category, rgb)
    clean = cv2.erode((mask > 127).astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    body, sleeves = split_sleeves(cut_neck_opening(clean, landmarks, rgb), landmarks)
    pieces = [np.dstack([rgb, piece.astype(np.uint8) * 255]) for piece in [body, *sleeves]]
    whole = np.dstack([rgb, np.logical_or.reduce([body, *sleeves]).astype(np.uint8) * 255])
    return PreparedGarment(landmarks, pieces, [int(p.sum()) for p in [body, *sleeves]], whole)


def _warp_piece(rgba: np.ndarray, src: np.ndarray, dst: np.ndarray, shape: tuple[int, ...],
                regularization: float, margin: float,
                fill: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[WarpedLayer, float, float]:
    """The piece warped onto the canvas, and the share of it that the warp folds over. Only the box
    round the piece's control points is sampled. `fill` = (the whole garment as RGBA, the torso layer's
    alpha): the whole garment is sampled through the same spline inside the control points' hull where
    neither the piece nor the torso is (see `warp_garment`). Also returns the piece's own area (pixels);
    the folded share is the piece's."""
    h, w = shape
    rgb = np.zeros((h, w, 3), np.float32)
    alpha = np.zeros((h, w), np.float32)
    box = _hull_box(dst, margin, shape)
    if box is None:
        return WarpedLayer(rgb, alpha), 0.0, 0.0
    x0, y0, x1, y1 = box
    origin = np.array([x0, y0], np.float64)
    tps = fit_tps(src, dst - origin, regularization=regularization)
    grid = tps.grid(y1 - y0, x1 - x0, step=GRID_STEP)
    out = cv2.remap(rgba, grid[..., 0], grid[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                    borderValue=0)
    a = out[..., 3].astype(np.float32) * (1 / 255) * _region(dst - origin, (y1 - y0, x1 - x0), margin)
    folded, own = _folded_share(grid[::4, ::4], a[::4, ::4] > 0.5), float(a.sum())
    if fill is not None:
        whole = cv2.remap(fill[0], grid[..., 0], grid[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                          borderValue=0)
        extra = whole[..., 3].astype(np.float32) * (1 / 255) * _region(dst - origin, (y1 - y0, x1 - x0), 0) \
            * (1 - a) * (1 - fill[1][y0:y1, x0:x1])
        total = np.maximum(a + extra, 1e-6)[..., None]
        out = (out[..., :3] * a[..., None] + whole[..., :3] * extra[..., None]) / total
        a = a + extra
    rgb[y0:y1, x0:x1] = out[..., :3]
    alpha[y0:y1, x0:x1] = a
    return WarpedLayer(rgb, alpha), folded, own


def warp_garment(garment: PreparedGarment, targets: Targets,
                 shape: tuple[int, ...]) -> tuple[WarpedLayer, list[WarpedLayer]]:
    """Torso layer and sleeve layers of the garment on a canvas of `shape` (H, W)."""
    reach = 0.35 * float(np.linalg.norm(targets.placed["shoulder_r"] - targets.placed["shoulder_l"]))
    body = garment.pieces[0]
    torso, folded, _ = _warp_piece(body, targets.torso_src, targets.torso_dst, shape, TORSO_REGULARIZATION, reach)
    if folded > MAX_FOLDED:  # misread landmarks: a stiffer, nearly affine spline still fits the body
        torso, _, _ = _warp_piece(body, targets.torso_src, targets.torso_dst, shape, STIFF_REGULARIZATION, reach)
    # Between the torso's side and a sleeve, inside the sleeve's control points, a sleeve spline can map
    # to the garment's body instead of the sleeve (a wide seam on the person, a thin sleeve top in the
    # flat photo, e.g. when the photo's shadow fills the armpit notch): the upper arm would show through a
    # hole. There the same spline samples the whole garment (the same fabric), never over the torso layer.
    # Only long sleeves: their control points run along the whole arm; a short sleeve's hull (seam and
    # cuff) would fill out into a cape where its arm hangs away from the body.
    fill = (garment.whole, torso.alpha) if targets.long_sleeves else None
    layers = []
    for piece, area, (src, dst) in zip(garment.pieces[1:], garment.areas[1:], targets.sleeves):
        layer, folded, own = _warp_piece(piece, src, dst, shape, SLEEVE_REGULARIZATION, 0.5 * reach, fill)
        if folded > MAX_FOLDED:  # an arm bent sharply (or a forearm pointing at the camera): stiffer
            layer, folded, own = _warp_piece(piece, src, dst, shape, STIFF_REGULARIZATION, 0.5 * reach, fill)
        # A sleeve whose landmarks were misread folds or balloons; leave it out rather than draw a slab
        # (the arm then shows, and the old sleeve becomes skin). Its expected area is the garment's, scaled
        # as its control points are: an arm foreshortened towards the camera rightly gets a short sleeve.
        expected = area * _hull_area(dst) / max(_hull_area(src), 1.0)
        if folded <= MAX_FOLDED and 0.3 * expected <= own <= 3.0 * expected:
            layers.append(layer)
    return torso, layers
