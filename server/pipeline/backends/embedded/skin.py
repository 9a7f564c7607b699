"""Bare skin where the old clothes are no longer covered: the shopper's own skin colour, the photo's
shading and a fine grain measured on the shopper's face, so it reads as skin and not as paint.

The grain is the face's: the relative high-frequency residual of the face's luminance (what pores,
freckles and sensor noise leave after a light blur), measured robustly (median absolute deviation: eyes,
brows and the mouth are outliers), and reproduced with seeded noise of about the same grain size.
"""
from __future__ import annotations

import cv2
import numpy as np

from server.pipeline.vocabulary import LIP_ARMS, Lip

SKIN_SOURCES = (Lip.FACE, *LIP_ARMS)  # the heuristic parser puts the neck in face too
# Blur (pixels) that separates grain from the face's shape: grain is a property of the camera's pixels.
GRAIN_SIGMA = 2.0
NOISE_SIGMA = 0.7  # pixels: the grain of a camera photo of skin
MAX_GRAIN = 0.08  # relative grain believed at most (a face in harsh light or a beard measures more)
# The neck, in shoulder widths (between the shoulder keypoints): its width, and how far above the neck
# keypoint it ends when no face is parsed.
NECK_WIDTH = 0.36
NECK_HEIGHT = 0.35
# The old clothes' shading is partly their own colour (a dark collar is not a shadow): skin takes it
# damped (square root) and within this range.
SKIN_SHADING = (0.85, 1.1)


def skin_colour(image: np.ndarray, lip: np.ndarray) -> np.ndarray | None:
    """Median colour of face and arm pixels (the brighter half, which skips eyes, brows and shadow)."""
    pix = image[np.isin(lip, SKIN_SOURCES)].astype(np.float32)
    if len(pix) < 32:
        return None
    lum = pix.mean(1)
    return np.median(pix[lum >= np.median(lum)], axis=0)


def _luminance(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb.astype(np.float32), cv2.COLOR_RGB2GRAY)


def face_grain(image: np.ndarray, lip: np.ndarray) -> float:
    """Relative standard deviation of the face's fine texture (0 when no face is parsed)."""
    face = (lip == Lip.FACE).astype(np.uint8)
    inner = cv2.erode(face, np.ones((int(4 * GRAIN_SIGMA) * 2 + 1,) * 2, np.uint8)).astype(bool)
    if inner.sum() < 64:
        return 0.0
    lum = _luminance(image)
    smooth = cv2.GaussianBlur(lum, (0, 0), GRAIN_SIGMA)
    rel = (lum[inner] - smooth[inner]) / np.maximum(smooth[inner], 1.0)
    mad = float(np.median(np.abs(rel - np.median(rel))))  # robust: eyes, brows and mouth are outliers
    return min(MAX_GRAIN, 1.4826 * mad)


def grain(shape: tuple[int, int], strength: float, seed: int) -> np.ndarray:
    """(H, W) float32 multiplicative grain, mean 1, whose fine detail (what the blur of `face_grain`
    removes) has the relative standard deviation `strength`."""
    rng = np.random.default_rng(seed)
    noise = cv2.GaussianBlur(rng.standard_normal(shape, dtype=np.float32), (0, 0), NOISE_SIGMA)
    fine = noise - cv2.GaussianBlur(noise, (0, 0), GRAIN_SIGMA)
    noise *= strength / max(float(fine.std()), 1e-6)
    return 1.0 + noise


def neck_zone(lip: np.ndarray, neckline: np.ndarray, neck: np.ndarray, shoulder_width: float) -> np.ndarray:
    """Bool mask of the bare neck and chest: the neck, NECK_WIDTH wide round the neck keypoint, from the jaw
    line (the bottom of the parsed face, column by column) down to the garment's front neckline, and the
    opening of the neckline itself (`neckline`: its image-left corner, front point, image-right corner on
    the person). Old clothing beside the neck stays: flaring the neck out to the neckline's corners painted
    skin over collars (VITON dev pairs: CIEDE2000 5.34 against 4.93 without)."""
    h, w = lip.shape
    left, front, right = neckline
    half = NECK_WIDTH * shoulder_width / 2
    xs = np.linspace(neck[0] - half, neck[0] + half, 9)
    face = lip == Lip.FACE
    floor = int(np.clip(neck[1] + 0.3 * shoulder_width, 0, h - 1))
    fallback = neck[1] - NECK_HEIGHT * shoulder_width
    jaw = []
    for x in xs:
        col = int(np.clip(round(x), 0, w - 1))
        rows = np.nonzero(face[:floor, col])[0]
        jaw.append((x, float(rows.max()) if len(rows) else fallback))
    bottom = max(float(front[1]), neck[1])
    tube = np.array(jaw + [(xs[-1], bottom), (xs[0], bottom)], np.float32)
    zone = np.zeros((h, w), np.uint8)
    cv2.fillPoly(zone, [np.round(tube).astype(np.int32)], 1)
    cv2.fillConvexPoly(zone, np.round(np.array([left, front, right])).astype(np.int32), 1)
    return zone.astype(bool)


def synthesise(image: np.ndarray, lip: np.ndarray, shading: np.ndarray, box: tuple[slice, slice],
               seed: int = 0) -> np.ndarray | None:
    """(h, w, 3) float32 skin for the `box` of the canvas: the shopper's skin colour × the photo's (damped) shading ×
    the face's grain (both measured on the whole canvas); None when no skin is parsed to take the colour
    from."""
    colour = skin_colour(image, lip)
    if colour is None:
        return None
    part = np.sqrt(np.clip(shading[box], *SKIN_SHADING))
    texture = part * grain(part.shape, face_grain(image, lip), seed)
    return colour[None, None, :] * texture[..., None]
