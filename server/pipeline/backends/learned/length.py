"""How far down the new top reaches, and what stays below it.

The classical warp sizes a garment by its flat proportions and stops its hem a little below the hips, so on a
shopper in a longer top a strip of the old top is left to be repainted, and the renderer, trained paired (where
the old clothes are always covered again), paints it as a garment-coloured haze. As in VITON-style try-on, the
new top takes the length of the one worn: the torso's rows below the armpits are stretched until its hem meets
the bottom of the worn top, within limits (a top ends at most LOWEST_HEM_BELOW_HIPS shoulder widths below the
hips, and is never made more than HEM_STRETCH_MAX times longer). What a longer garment leaves below that limit (a
dress, a coat, a space suit) stays the shopper's own pixels.
"""
from __future__ import annotations

import cv2
import numpy as np

from server.pipeline.backends.embedded.body_targets import Targets
from server.pipeline.backends.embedded.warp import WarpedLayer
from server.pipeline.vocabulary import LIP_CLOTHES

LOWEST_HEM_BELOW_HIPS = 0.7  # the lowest hem, below the hip keypoints, in shoulder widths
HEM_STRETCH_MAX = 2.0  # armpit-to-hem length, at most this many times the classical warp's
HEM_INSET = 0.2  # the worn top's bottom is measured on the middle of the hem's width, this share in from each side
MIN_COLUMNS = 3


def longest_hem(targets: Targets) -> float | None:
    """The lowest row a top's hem may reach (the targets' coordinates); None when no hips are seen."""
    frame = targets.frame
    if frame.hip_depth is None:
        return None
    return float(frame.neck[1] + (frame.hip_depth + LOWEST_HEM_BELOW_HIPS * frame.shoulder_width) * frame.down[1])


def _columns(x0: float, x1: float, width: int) -> slice:
    """The whole columns from x0 to x1 (in either order), within an image `width` wide."""
    low, high = sorted((x0, x1))
    return slice(max(0, int(np.ceil(low))), min(width, int(np.floor(high)) + 1))


def _armpits_and_hem(targets: Targets) -> tuple[float, float]:
    """Rows of the armpits' and the hem corners' midpoints on the person."""
    top = (targets.placed["armpit_l"][1] + targets.placed["armpit_r"][1]) / 2
    return float(top), float((targets.hem_line[0][1] + targets.hem_line[1][1]) / 2)


def hem_goal(targets: Targets, lip: np.ndarray) -> float | None:
    """The row the torso's hem should reach in `lip`'s image (the targets' coordinates), or None to leave the
    classical length: no hips seen, no worn top under the middle of the hem, or a worn top that ends above it."""
    limit = longest_hem(targets)
    top, hem = _armpits_and_hem(targets)
    if limit is None or hem - top < 4:
        return None
    x0, x1 = sorted((targets.hem_line[0][0], targets.hem_line[1][0]))
    inset = HEM_INSET * (x1 - x0)
    worn = np.isin(lip[:, _columns(x0 + inset, x1 - inset, lip.shape[1])], LIP_CLOTHES)
    seen = worn.any(0)
    if seen.sum() < MIN_COLUMNS:
        return None
    bottom = float(np.median(lip.shape[0] - 1 - worn[::-1, seen].argmax(0)))
    goal = min(bottom, limit, top + HEM_STRETCH_MAX * (hem - top))
    return goal if goal > hem + 1 else None


def lengthen_torso(torso: WarpedLayer, targets: Targets, lip: np.ndarray) -> WarpedLayer:
    """The torso layer (in `lip`'s image, as the targets) with its rows between the armpits and the hem stretched
    down to `hem_goal` (unchanged when there is none)."""
    goal = hem_goal(targets, lip)
    if goal is None:
        return torso
    top, hem = _armpits_and_hem(targets)
    height, width = torso.alpha.shape
    ys = np.arange(height, dtype=np.float32)
    # Output row y shows source row: y above the armpits, [top, goal] squeezed linearly onto [top, hem], and
    # below the new hem the (empty) rows below the old one.
    source = np.where(ys <= top, ys, np.where(ys <= goal, top + (ys - top) * (hem - top) / (goal - top),
                                              ys - (goal - hem))).astype(np.float32)
    map_y = np.repeat(source[:, None], width, 1)
    map_x = np.repeat(np.arange(width, dtype=np.float32)[None], height, 0)
    rgb = cv2.remap(torso.rgb, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    alpha = cv2.remap(torso.alpha, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return WarpedLayer(rgb, alpha)


def worn_below_limit(alpha: np.ndarray, lip: np.ndarray, span: tuple[float, float], limit: float) -> np.ndarray:
    """(H, W) bool: the worn clothes below both the new garment (`alpha`, (H, W) 0..1, in `lip`'s image) and the
    row `limit`, in the columns of the garment's hem (`span`, the hem corners' x): they stay the shopper's own."""
    height, width = lip.shape
    columns = _columns(*span, width)
    covered = alpha[:, columns] > 0.5
    hem = np.where(covered.any(0), height - 1 - covered[::-1].argmax(0), height)
    below = np.zeros((height, width), bool)
    below[:, columns] = np.arange(height)[:, None] > np.maximum(hem, limit)[None, :]
    return below & np.isin(lip, LIP_CLOTHES)
