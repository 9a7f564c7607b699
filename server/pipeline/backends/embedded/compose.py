"""Put the warped garment into the photo.

Layer order, back to front: the photo; skin (`skin.py`: the shopper's colour, shading and grain) where old
clothing is no longer covered along the arms and on the neck between jaw and neckline (elsewhere, e.g.
below a shorter hem, the old clothing stays); the
garment's body; arms and hands; the sleeves; hair and face. Every boundary is feathered, so edges are soft
but not smeared.
"""
from __future__ import annotations

import cv2
import numpy as np

from server.pipeline.backends.embedded import skin
from server.pipeline.backends.embedded.body_targets import BodyFrame
from server.pipeline.backends.embedded.warp import WarpedLayer
from server.pipeline.vocabulary import LIP_ARMS, LIP_CLOTHES, Lip

# The heuristic parser puts the neck in face.
FRONT = (Lip.HAT, Lip.HAIR, Lip.GLOVE, Lip.SUNGLASSES, Lip.FACE)
LOWER_CLOTHES = (Lip.PANTS, Lip.JUMPSUITS, Lip.SKIRT)
FEATHER_FRACTION = 1 / 600  # edge softness as a fraction of the image height
# Skin zone round an arm's polyline, in shoulder widths.
ARM_RADIUS = 0.2
SKIN_FEATHER = 2.5  # skin's edge against old clothing, in feather widths (soft: skin has no hard edge)


def _soft(mask: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(mask.astype(np.float32), (0, 0), sigma)


def _grown(mask: np.ndarray, radius: float) -> np.ndarray:
    """`mask` grown by about `radius` pixels, soft-edged (float); dilated at a quarter of the resolution."""
    h, w = mask.shape
    small = cv2.resize(mask.astype(np.uint8), (max(1, w // 4), max(1, h // 4)), interpolation=cv2.INTER_AREA)
    k = max(1, int(radius / 4)) * 2 + 1
    small = cv2.dilate(small, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    return cv2.resize(small.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)


def below_hem(shape: tuple[int, int], hem: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Pixels below the line through the two hem corners (where old clothing may stay)."""
    h, w = shape
    (x0, y0), (x1, y1) = hem
    xs = np.arange(w, dtype=np.float32)
    slope = (y1 - y0) / (x1 - x0) if abs(x1 - x0) > 1e-6 else 0.0
    line = y0 + slope * (xs - x0)
    return np.arange(h, dtype=np.float32)[:, None] > line[None, :]


def skin_zone(lip: np.ndarray, frame: BodyFrame, neckline: np.ndarray, openings: np.ndarray) -> np.ndarray:
    """Where bare skin is plausible once clothing is gone, as bool: along the arms, the neck from the jaw
    down to the garment's neckline (`neckline`: image-left corner, front, image-right corner), and inside
    the convex hull of `openings` (points on the person round the garment's openings: its neckline, or
    for a tank top its whole outline, armholes included)."""
    zone = skin.neck_zone(lip, neckline, frame.neck, frame.shoulder_width).astype(np.uint8)
    thick = max(2, int(ARM_RADIUS * frame.shoulder_width * 2))
    for arm in frame.arms:
        pts = np.round(arm).astype(np.int32)
        for a, b in zip(pts[:-1], pts[1:]):
            cv2.line(zone, tuple(int(v) for v in a), tuple(int(v) for v in b), 1, thick)
    cv2.fillConvexPoly(zone, np.round(cv2.convexHull(openings.astype(np.float32))).astype(np.int32), 1)
    return zone.astype(bool)


def closed_clothes(lip: np.ndarray) -> np.ndarray:
    """(H, W) uint8 0/1: the worn top with small gaps in its parsing (cords, badges) closed, so skin painted
    over it has no holes."""
    k = max(3, int(0.006 * lip.shape[0]) * 2 + 1)
    clothes = np.isin(lip, LIP_CLOTHES).astype(np.uint8)
    return cv2.morphologyEx(clothes, cv2.MORPH_CLOSE, np.ones((k, k), np.uint8))


def _over(base: np.ndarray, top: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """base·(1 − alpha) + top·alpha for (H, W, 3) float32 images and an (H, W) float32 alpha."""
    return cv2.blendLinear(base, top, 1.0 - alpha, alpha)


def _shaded(rgb: np.ndarray, shading: np.ndarray) -> np.ndarray:
    return rgb * shading[..., None]


def compose(image: np.ndarray, lip: np.ndarray, torso: WarpedLayer, sleeves: list[WarpedLayer],
            shading: np.ndarray, hem: tuple[np.ndarray, np.ndarray], frame: BodyFrame,
            neckline: np.ndarray, openings: np.ndarray, seed: int = 0) -> np.ndarray:
    """The try-on image (uint8) from the photo, its LIP parsing and the warped garment layers; `seed`
    seeds the skin's grain."""
    h, w = lip.shape
    sigma = max(0.7, h * FEATHER_FRACTION)
    out = image.astype(np.float32)
    front = _soft(np.isin(lip, FRONT), sigma)
    arms_hard = np.isin(lip, LIP_ARMS)
    clothes = np.isin(lip, LIP_CLOTHES)
    behind_front = 1 - front

    # Sleeves only where the arm or the old clothing is (a little beyond, for a loose cut).
    allowed = _grown(arms_hard | clothes, 0.02 * h) * behind_front
    sleeve_alphas = [layer.alpha * allowed for layer in sleeves]
    covered = torso.alpha.copy()
    for alpha in sleeve_alphas:
        np.maximum(covered, alpha, out=covered)

    # Old clothing left uncovered in the skin zone becomes skin.
    clothes_closed = closed_clothes(lip)
    bare = clothes_closed.astype(bool) & (covered < 0.5) & ~below_hem((h, w), hem) & \
        skin_zone(lip, frame, neckline, openings)
    if bare.any():
        ys, xs = np.nonzero(bare)
        pad = int(6 * SKIN_FEATHER * sigma)
        y0, y1, x0, x1 = max(0, ys.min() - pad), min(h, ys.max() + pad + 1), max(0, xs.min() - pad), \
            min(w, xs.max() + pad + 1)
        box = np.s_[y0:y1, x0:x1]
        skin_rgb = skin.synthesise(image, lip, shading, box, seed)
        if skin_rgb is not None:
            soft_sigma = SKIN_FEATHER * sigma
            bare_a = _soft(bare[box], soft_sigma) * behind_front[box] * _soft(clothes_closed[box], sigma)
            out[box] = _over(out[box], skin_rgb, bare_a)

    # The body of the garment stays on the body: over the old clothes, arms, and trousers or skirt (a longer
    # top), a little beyond for a looser cut, never out over the background.
    on_body = _grown(arms_hard | clothes | np.isin(lip, LOWER_CLOTHES), 0.01 * h)
    torso_a = _soft(torso.alpha * on_body * behind_front * (1 - _soft(arms_hard, sigma)), sigma)
    out = _over(out, _shaded(torso.rgb, shading), torso_a)
    for layer, alpha in zip(sleeves, sleeve_alphas):
        out = _over(out, _shaded(layer.rgb, shading), _soft(alpha, sigma))
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)
