"""Put the warped garment into the photo.

Layer order, back to front: the photo; skin where old clothing is no longer covered along the arms and
around the neck (elsewhere, e.g. below a shorter hem, the old clothing stays); the
garment's body; arms and hands; the sleeves; hair and face. Every boundary is feathered, so edges are soft
but not smeared.
"""
from __future__ import annotations

import cv2
import numpy as np

from server.pipeline.backends.embedded.body_targets import BodyFrame
from server.pipeline.backends.embedded.warp import WarpedLayer

FRONT = (1, 2, 3, 4, 13)  # hat, hair, glove, sunglasses, face (the heuristic parser puts the neck in face)
ARMS = (14, 15)
CLOTHES = (5, 6, 7)
LOWER_CLOTHES = (9, 10, 12)  # pants, jumpsuit, skirt
SKIN_SOURCES = (13, 14, 15)
FEATHER_FRACTION = 1 / 600  # edge softness as a fraction of the image height
# Skin zones in shoulder widths: the radius of an arm around its polyline, of the neck around its keypoint.
ARM_RADIUS = 0.2
NECK_RADIUS = 0.35


def _soft(mask: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(mask.astype(np.float32), (0, 0), sigma)


def _grown(mask: np.ndarray, radius: float) -> np.ndarray:
    """`mask` grown by about `radius` pixels, soft-edged (float); dilated at a quarter of the resolution."""
    h, w = mask.shape
    small = cv2.resize(mask.astype(np.uint8), (max(1, w // 4), max(1, h // 4)), interpolation=cv2.INTER_AREA)
    k = max(1, int(radius / 4)) * 2 + 1
    small = cv2.dilate(small, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    return cv2.resize(small.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)


def skin_colour(image: np.ndarray, lip: np.ndarray) -> np.ndarray | None:
    """Median colour of face and arm pixels (the brighter half, which skips eyes, brows and shadow)."""
    pix = image[np.isin(lip, SKIN_SOURCES)].astype(np.float32)
    if len(pix) < 32:
        return None
    lum = pix.mean(1)
    return np.median(pix[lum >= np.median(lum)], axis=0)


def below_hem(shape: tuple[int, int], hem: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Pixels below the line through the two hem corners (where old clothing may stay)."""
    h, w = shape
    (x0, y0), (x1, y1) = hem
    xs = np.arange(w, dtype=np.float32)
    slope = (y1 - y0) / (x1 - x0) if abs(x1 - x0) > 1e-6 else 0.0
    line = y0 + slope * (xs - x0)
    return np.arange(h, dtype=np.float32)[:, None] > line[None, :]


def skin_zone(shape: tuple[int, int], frame: BodyFrame, openings: np.ndarray) -> np.ndarray:
    """Where bare skin is plausible once clothing is gone, as bool: along the arms, around the neck and
    inside the convex hull of `openings` (points on the person round the garment's openings: its neckline,
    or for a tank top its whole outline, armholes included)."""
    zone = np.zeros(shape, np.uint8)
    sw = frame.shoulder_width
    thick = max(2, int(ARM_RADIUS * sw * 2))
    for arm in frame.arms:
        pts = np.round(arm).astype(np.int32)
        for a, b in zip(pts[:-1], pts[1:]):
            cv2.line(zone, tuple(int(v) for v in a), tuple(int(v) for v in b), 1, thick)
    neck = np.round(frame.neck).astype(int)
    cv2.ellipse(zone, (int(neck[0]), int(neck[1])), (max(1, int(NECK_RADIUS * sw)), max(1, int(0.6 * NECK_RADIUS * sw))),
                0, 0, 360, 1, -1)
    cv2.fillConvexPoly(zone, np.round(cv2.convexHull(openings.astype(np.float32))).astype(np.int32), 1)
    return zone.astype(bool)


def _over(base: np.ndarray, top: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """base·(1 − alpha) + top·alpha for (H, W, 3) float32 images and an (H, W) float32 alpha."""
    return cv2.blendLinear(base, top, 1.0 - alpha, alpha)


def _shaded(rgb: np.ndarray, shading: np.ndarray) -> np.ndarray:
    return rgb * shading[..., None]


def compose(image: np.ndarray, lip: np.ndarray, torso: WarpedLayer, sleeves: list[WarpedLayer],
            shading: np.ndarray, hem: tuple[np.ndarray, np.ndarray], frame: BodyFrame,
            openings: np.ndarray) -> np.ndarray:
    """The try-on image (uint8) from the photo, its LIP parsing and the warped garment layers."""
    h, w = lip.shape
    sigma = max(0.7, h * FEATHER_FRACTION)
    out = image.astype(np.float32)
    front = _soft(np.isin(lip, FRONT), sigma)
    arms_hard = np.isin(lip, ARMS)
    clothes = np.isin(lip, CLOTHES)
    behind_front = 1 - front

    # Sleeves only where the arm or the old clothing is (a little beyond, for a loose cut).
    allowed = _grown(arms_hard | clothes, 0.02 * h) * behind_front
    sleeve_alphas = [layer.alpha * allowed for layer in sleeves]
    covered = torso.alpha.copy()
    for alpha in sleeve_alphas:
        np.maximum(covered, alpha, out=covered)

    skin = skin_colour(image, lip)
    if skin is not None:
        bare = clothes & (covered < 0.5) & ~below_hem((h, w), hem) & skin_zone((h, w), frame, openings)
        bare_a = _soft(bare, sigma) * behind_front * clothes
        skin_rgb = np.empty_like(out)
        skin_rgb[:] = skin
        out = _over(out, _shaded(skin_rgb, np.sqrt(shading)), bare_a)

    # The body of the garment stays on the body: over the old clothes, arms, and trousers or skirt (a longer
    # top), a little beyond for a looser cut, never out over the background.
    on_body = _grown(arms_hard | clothes | np.isin(lip, LOWER_CLOTHES), 0.01 * h)
    torso_a = _soft(torso.alpha * on_body * behind_front * (1 - _soft(arms_hard, sigma)), sigma)
    out = _over(out, _shaded(torso.rgb, shading), torso_a)
    for layer, alpha in zip(sleeves, sleeve_alphas):
        out = _over(out, _shaded(layer.rgb, shading), _soft(alpha, sigma))
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)
