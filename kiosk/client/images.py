"""JPEG + base64 encoding of photos for the API, with Pillow."""
from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image


def encode_jpeg_b64(rgb: np.ndarray, *, max_side: int, quality: int) -> str:
    """RGB uint8 (H, W, 3) -> base64 JPEG whose longer side is at most `max_side`."""
    image = Image.fromarray(rgb)
    if max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=quality)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def decode_image_b64(data: str) -> np.ndarray:
    """base64 JPEG/PNG -> RGB uint8 (H, W, 3)."""
    return decode_image_bytes(base64.b64decode(data, validate=True))


def decode_image_bytes(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"))
