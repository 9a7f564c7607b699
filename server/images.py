"""Turning request payloads into upright RGB arrays, and results back into JPEG.

Pixel limits are checked from the header before anything is decoded, so a decompression bomb costs
nothing. EXIF orientation (phone photos) is applied.
"""
from __future__ import annotations

import base64
import binascii
import io
import re
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from server.errors import ApiError

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
_DATA_URL = re.compile(r"^data:[\w/+.-]+;base64,", re.ASCII)


def decode_base64(text: object, field: str) -> bytes:
    if not isinstance(text, str) or not text:
        raise ApiError(400, "invalid_request", f"'{field}' must be a non-empty base64 string.")
    text = _DATA_URL.sub("", text, count=1)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(400, "bad_base64", f"'{field}' is not valid base64.") from None


def decode_image(data: bytes, field: str, *, max_pixels: int) -> np.ndarray:
    """Bytes of a JPEG/PNG/WebP → (H, W, 3) uint8 RGB, upright."""
    if not data:
        raise ApiError(400, "not_an_image", f"'{field}' is empty.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > max_pixels:
                raise ApiError(413, "too_many_pixels",
                               f"'{field}' is {width}x{height} pixels; the limit is {max_pixels:,} pixels.")
            if image.format not in ACCEPTED_FORMATS:
                raise ApiError(415, "unsupported_image_type",
                               f"'{field}' is {image.format or 'an unknown format'}; send a JPEG or PNG.")
            image = ImageOps.exif_transpose(image)
            rgb = _to_rgb(image)
    except ApiError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ApiError(413, "too_many_pixels", f"'{field}' has more pixels than this server accepts.") from None
    except UnidentifiedImageError:
        raise ApiError(400, "not_an_image", f"'{field}' is not a readable JPEG or PNG image.") from None
    except (OSError, ValueError, SyntaxError, EOFError):
        raise ApiError(400, "not_an_image", f"'{field}' is a damaged or truncated image.") from None
    if min(rgb.shape[:2]) < 32:
        raise ApiError(400, "image_too_small", f"'{field}' is {rgb.shape[1]}x{rgb.shape[0]}; at least 32x32 is needed.")
    return rgb


def _to_rgb(image: Image.Image) -> np.ndarray:
    """Any mode (palette, CMYK, 16-bit grey, alpha) → 8-bit RGB; transparency is laid on white."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(image, dtype=np.float64)
        peak = 65535.0 if arr.max() > 255 else 255.0
        image = Image.fromarray(np.clip(arr / peak * 255.0, 0, 255).astype(np.uint8), "L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(canvas, rgba)
    return np.asarray(image.convert("RGB"), dtype=np.uint8).copy()


def encode_jpeg(rgb: np.ndarray, quality: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="JPEG", quality=quality, optimize=False)
    return buffer.getvalue()
