"""Backgrounds to put behind VITON's studio photos, so that a network trained on them holds in a shop: walls
with light falloff, a wall and a floor, cluttered rooms (shelves, doors, clothes rails, out of focus),
textures, real photos that ship with scikit-image, and plain studio grey now and then.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

# Real photos packaged in scikit-image's data folder (no people in them: the astronaut and the cameraman are
# left out).
SKIMAGE_PHOTOS = ("coffee.png", "chelsea.png", "rocket.jpg", "motorcycle_left.png", "motorcycle_right.png",
                  "brick.png", "grass.png", "gravel.png", "hubble_deep_field.jpg", "ihc.png", "color.png")


@lru_cache(maxsize=1)
def _photos() -> tuple[np.ndarray, ...]:
    import skimage.data

    folder = Path(skimage.data.__file__).parent
    return tuple(np.asarray(Image.open(folder / name).convert("RGB")) for name in SKIMAGE_PHOTOS)


def _colour(rng: np.random.Generator) -> np.ndarray:
    """A wall, floor or furniture colour: mostly muted, sometimes saturated, skin tones included."""
    hsv = np.array([[[rng.uniform(0, 180), rng.choice([rng.uniform(0, 60), rng.uniform(60, 255)], p=[0.7, 0.3]),
                      rng.uniform(30, 250)]]], np.float32)
    return cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB)[0, 0].astype(np.float32)


def _smooth_noise(rng: np.random.Generator, width: int, height: int, cells: int) -> np.ndarray:
    """(H, W) float32 noise in about [-1, 1] with `cells` blobs across the width."""
    small = rng.standard_normal((max(2, cells * height // width), max(2, cells))).astype(np.float32)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)


def _wall(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    base = _colour(rng)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    cx, cy = rng.uniform(-0.5, 1.5) * width, rng.uniform(-0.5, 0.5) * height
    falloff = 1 - rng.uniform(0.1, 0.5) * np.hypot(xs - cx, ys - cy) / np.hypot(width, height)
    image = base * falloff[..., None] * (1 + 0.05 * _smooth_noise(rng, width, height, 4)[..., None])
    if rng.random() < 0.5:  # floor
        horizon = int(rng.uniform(0.55, 0.95) * height)
        image[horizon:] = _colour(rng) * np.linspace(0.8, 1.1, height - horizon)[:, None, None]
    return image


def _clutter(rng: np.random.Generator, image: np.ndarray) -> np.ndarray:
    height, width = image.shape[:2]
    for _ in range(rng.integers(3, 15)):
        colour = _colour(rng)
        x0, y0 = int(rng.uniform(-0.2, 1) * width), int(rng.uniform(-0.2, 1) * height)
        w, h = int(rng.uniform(0.03, 0.5) * width), int(rng.uniform(0.03, 0.7) * height)
        kind = rng.random()
        if kind < 0.5:  # boxes, shelves, doors, picture frames
            cv2.rectangle(image, (x0, y0), (x0 + w, y0 + h), colour.tolist(), -1 if rng.random() < 0.7 else 3)
        elif kind < 0.75:  # rails, pipes, cables
            cv2.line(image, (x0, y0), (x0 + w, y0 + int(rng.uniform(-1, 1) * h)), colour.tolist(),
                     int(rng.integers(1, 8)), cv2.LINE_AA)
        else:  # hanging clothes, lamps, plants
            cv2.ellipse(image, (x0, y0), (max(1, w // 2), max(1, h // 2)), rng.uniform(0, 180), 0, 360,
                        colour.tolist(), -1, cv2.LINE_AA)
    return image


def _stripes(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    a, b = _colour(rng), _colour(rng)
    period = rng.uniform(6, 80)
    angle = rng.uniform(0, np.pi)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    phase = (xs * np.cos(angle) + ys * np.sin(angle)) / period
    t = (np.sin(2 * np.pi * phase) > 0).astype(np.float32)[..., None]
    return a * t + b * (1 - t)


def _photo(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    photo = _photos()[rng.integers(len(_photos()))]
    scale = max(width / photo.shape[1], height / photo.shape[0]) * rng.uniform(1, 2)
    resized = cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
    y = rng.integers(0, resized.shape[0] - height + 1)
    x = rng.integers(0, resized.shape[1] - width + 1)
    out = resized[y:y + height, x:x + width].astype(np.float32)
    return out[:, ::-1] if rng.random() < 0.5 else out


def random_background(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """(H, W, 3) uint8 RGB."""
    kind = rng.random()
    if kind < 0.1:  # studio: plain light grey, as VITON
        image = np.full((height, width, 3), rng.uniform(200, 250), np.float32)
    elif kind < 0.35:
        image = _wall(rng, width, height)
    elif kind < 0.7:
        image = _clutter(rng, _wall(rng, width, height))
    elif kind < 0.8:
        image = _stripes(rng, width, height)
    else:
        image = _photo(rng, width, height)
    if rng.random() < 0.5:  # depth of field
        sigma = rng.uniform(1, 6)
        image = cv2.GaussianBlur(image, (0, 0), sigma)
    return np.clip(image, 0, 255).astype(np.uint8)
