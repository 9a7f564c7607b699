"""Skin where a tank top bares the shoulders and neck, as the classical backend paints it.

The renderer, trained paired on VITON (old clothes almost always covered again by the same garment, hardly any
tank tops), has few targets for skin a tank top's armholes and neckline uncover, and paints it a lilac-grey
(docs/training.md: training with a hidden band round the old clothes raised the in-frame figure for it but did
not show in the pictures). There the rendered pixels are replaced by the classical backend's synthesised skin:
the shopper's own skin colour (face and arms), the photo's shading and the face's grain; only inside the tank
top's outline and the neck, above the armpits, over the old clothes. Other garments keep the renderer's pixels:
painting skin inside a T-shirt's neckline as well made VITON's figures worse (docs/quality.md).
"""
from __future__ import annotations

import cv2
import numpy as np

from server.pipeline.backends.embedded import skin
from server.pipeline.backends.embedded.backend import garment_openings, neckline
from server.pipeline.backends.embedded.body_targets import Targets
from server.pipeline.backends.embedded.compose import FEATHER_FRACTION, SKIN_FEATHER, closed_clothes
from server.pipeline.backends.embedded.shading import shading_map
from server.pipeline.vocabulary import GarmentCategory


def bare_zone(lip: np.ndarray, targets: Targets, category: GarmentCategory) -> np.ndarray:
    """(H, W) bool in `lip`'s image (the targets' coordinates): old clothes a tank top bares (none for other
    garments)."""
    if category != GarmentCategory.TANK_TOP:
        return np.zeros(lip.shape, bool)
    frame = targets.frame
    zone = skin.neck_zone(lip, neckline(targets), frame.neck, frame.shoulder_width).astype(np.uint8)
    hull = cv2.convexHull(garment_openings(targets, category).astype(np.float32))  # the tank top's outline
    cv2.fillConvexPoly(zone, np.round(hull).astype(np.int32), 1)
    armpits = max(targets.placed["armpit_l"][1], targets.placed["armpit_r"][1])
    zone[max(0, int(np.ceil(armpits))):] = 0
    return (zone > 0) & (closed_clothes(lip) > 0)


def paint_bare_skin(render: np.ndarray, image: np.ndarray, lip: np.ndarray, zone: np.ndarray,
                    seed: int = 0) -> np.ndarray:
    """`render` ((H, W, 3) float32 0..255) with synthesised skin over `zone`, its edge feathered; unchanged when
    the zone is empty or no skin is parsed to take the colour from. `image` and `lip` are the photo and its
    parse in the same frame."""
    if not zone.any():
        return render
    height, width = lip.shape
    sigma = SKIN_FEATHER * max(0.7, height * FEATHER_FRACTION)
    pad = int(3 * sigma) + 1
    ys, xs = np.nonzero(zone)
    box = np.s_[max(0, ys.min() - pad):min(height, ys.max() + pad + 1),
                max(0, xs.min() - pad):min(width, xs.max() + pad + 1)]
    painted = skin.synthesise(image, lip, shading_map(image, lip), box, seed)
    if painted is None:
        return render
    alpha = cv2.GaussianBlur(zone[box].astype(np.float32), (0, 0), sigma)[..., None]
    out = render.copy()
    out[box] = render[box] * (1 - alpha) + painted * alpha
    return out
