"""Put a VITON person on another background, in a kiosk-like frame and light.

VITON's parses label the neck and chest skin as background (LIP's convention), so the person's matte is not
`parse > 0`: it is every pixel that is not both labelled background and close to the studio's backdrop colour.
The target labels follow the matte: a pixel that becomes background in the picture is background in the target.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from server.pipeline.preprocess.dataset import border_colour
from server.pipeline.preprocess.labels import resize_labels
from server.pipeline.vocabulary import LIP_ARMS, Lip

BACKDROP_DISTANCE = 25.0  # RGB distance from the backdrop's colour below which an unlabelled pixel is backdrop
SKIN_LABELS = (Lip.FACE, *LIP_ARMS, Lip.LEFT_LEG, Lip.RIGHT_LEG)
CANVAS = (384, 512)  # (width, height): a kiosk photo at the preprocessing's working size, 3:4


def person_matte(rgb: np.ndarray, lip: np.ndarray) -> np.ndarray:
    """(H, W) float32 alpha in [0, 1]: 1 on the person (neck included), feathered by a pixel."""
    distance = np.linalg.norm(rgb.astype(np.float32) - border_colour(rgb).astype(np.float32), axis=2)
    near_backdrop = distance < BACKDROP_DISTANCE
    # Labelled pixels on the parse's rim that have the backdrop's colour are backdrop (the parses run over).
    rim = cv2.dilate((lip == Lip.BACKGROUND).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    backdrop = near_backdrop & ((lip == Lip.BACKGROUND) | rim)
    person = cv2.morphologyEx((~backdrop).astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    return cv2.GaussianBlur(person.astype(np.float32), (3, 3), 0)


def _other_skin_tone(rgb: np.ndarray, skin: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Another skin tone (mostly darker) where `skin` (H, W) weights it, shading kept: VITON's models are
    mostly light-skinned."""
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    lab[..., 0] *= 1 + rng.uniform(-0.65, 0.1) * skin
    lab[..., 1] += rng.uniform(-3, 8) * skin
    lab[..., 2] += rng.uniform(-5, 10) * skin
    return cv2.cvtColor(np.clip(lab, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)


def _light(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Exposure, contrast, white balance, gamma, sensor noise: a shop's light and a cheap camera."""
    image = rgb.astype(np.float32) / 255
    image = image ** rng.uniform(0.7, 1.4)
    image = (image - 0.5) * rng.uniform(0.7, 1.2) + 0.5 + rng.uniform(-0.12, 0.12)
    image *= rng.uniform(0.85, 1.15, size=3)
    image += rng.normal(0, rng.uniform(0, 0.02), image.shape)
    return np.clip(image * 255, 0, 255).astype(np.uint8)


@dataclass
class Composite:
    image: np.ndarray  # (512, 384, 3) uint8 RGB: the person on the new background, relit
    lip: np.ndarray  # (512, 384) uint8 LIP-20 target, background wherever the picture shows background


def compose(rgb: np.ndarray, lip: np.ndarray, background: np.ndarray, rng: np.random.Generator) -> Composite:
    """Scale the person to 60-100 % of the canvas height, bottom edge on the canvas's bottom edge (VITON's
    people are cut at the thighs, as a kiosk photo cuts them), anywhere across; blend on `background`."""
    width, height = CANVAS
    alpha = person_matte(rgb, lip)
    if rng.random() < 0.35:
        skin = np.isin(lip, SKIN_LABELS) | ((lip == Lip.BACKGROUND) & (alpha > 0.5))
        rgb = _other_skin_tone(rgb, cv2.GaussianBlur(skin.astype(np.float32), (5, 5), 0), rng)
    scale = rng.uniform(0.6, 1.0) * height / rgb.shape[0]
    w, h = round(rgb.shape[1] * scale), round(rgb.shape[0] * scale)
    x0 = int(rng.integers(min(0, width - w), max(0, width - w) + 1))
    y0 = height - h
    person = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    matte = cv2.resize(alpha, (w, h), interpolation=cv2.INTER_LINEAR)[..., None]
    labels = resize_labels(np.where(alpha > 0.5, lip, 0).astype(np.uint8), (w, h))
    image = background.astype(np.float32)
    out_lip = np.zeros((height, width), np.uint8)
    sx0, sx1 = max(x0, 0), min(x0 + w, width)
    cut = slice(sx0 - x0, sx1 - x0)
    image[y0:, sx0:sx1] = matte[:, cut] * person[:, cut] + (1 - matte[:, cut]) * image[y0:, sx0:sx1]
    out_lip[y0:, sx0:sx1] = labels[:, cut]
    return Composite(_light(image.astype(np.uint8), rng), out_lip)
