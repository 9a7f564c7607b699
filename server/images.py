"""Turning request payloads into upright RGB arrays, and results back into JPEG.

Pixel limits are checked from the header before anything is decoded, so a decompression bomb costs
nothing. EXIF orientation (phone photos) is applied.
"""
from __future__ import annotations

import base64
import binascii
import io
import math
import re
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from server.errors import ApiError

# MPO is a JPEG with an MPF block after it (many phones write them); Pillow opens its first frame, the photo.
ACCEPTED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP"}
_DATA_URL = re.compile(r"^data:[\w/+.-]+;base64,", re.ASCII)


def decode_base64(text: object, field: str) -> bytes:
    if not isinstance(text, str) or not text:
        raise ApiError(400, "invalid_request", f"'{field}' must be a non-empty base64 string.")
    text = _DATA_URL.sub("", text, count=1)
    # Line-wrapped base64 (`base64` without -w0, Python's encodebytes, Java's MIME encoder) is still base64.
    text = "".join(text.split())
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(400, "bad_base64", f"'{field}' is not valid base64.") from None


def decode_image(data: bytes, field: str, *, max_pixels: int, max_side: int | None = None) -> np.ndarray:
    """Bytes of a JPEG/PNG/WebP → (H, W, 3) uint8 RGB, upright, at most `max_side` px on its longer side.

    A big JPEG is decoded at 1/2, 1/4 or 1/8 scale (libjpeg's DCT scaling, almost free) down to the smallest
    size still at least `max_side`, then resized: a 40 MP phone photo costs a fraction of a second and a few
    tens of MB instead of seconds and gigabytes in every later stage.
    """
    if not data:
        raise ApiError(400, "not_an_image", f"'{field}' is empty.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > max_pixels:
                raise ApiError(413, "too_many_pixels",
                               f"'{field}' is {width}x{height} pixels; the limit is {max_pixels:,} pixels.")
            if image.format not in ACCEPTED_FORMATS:
                raise ApiError(415, "unsupported_image_type",
                               f"'{field}' is {image.format or 'an unknown format'}; send a JPEG, PNG or WebP.")
            if max_side is not None and max(width, height) > max_side:
                scale = max_side / max(width, height)
                image.draft(None, (math.ceil(width * scale), math.ceil(height * scale)))  # JPEG only; else no-op
            image = _to_rgb(ImageOps.exif_transpose(image))
            if max_side is not None and max(image.size) > max_side:
                image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS, reducing_gap=2.0)
            rgb = np.asarray(image, dtype=np.uint8).copy()
    except ApiError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ApiError(413, "too_many_pixels", f"'{field}' has more pixels than this server accepts.") from None
    except UnidentifiedImageError:
        raise ApiError(400, "not_an_image", f"'{field}' is not a readable JPEG, PNG or WebP image.") from None
    except (OSError, ValueError, SyntaxError, EOFError):
        raise ApiError(400, "not_an_image", f"'{field}' is a damaged or truncated image.") from None
    if min(rgb.shape[:2]) < 32:
        raise ApiError(400, "image_too_small", f"'{field}' is {rgb.shape[1]}x{rgb.shape[0]}; at least 32x32 is needed.")
    return rgb


def _to_rgb(image: Image.Image) -> Image.Image:
    """Any mode (palette, CMYK, 16-bit grey, alpha) → 8-bit RGB; transparency is laid on white."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(image, dtype=np.float64)
        peak = 65535.0 if arr.max() > 255 else 255.0
        image = Image.fromarray(np.clip(arr / peak * 255.0, 0, 255).astype(np.uint8), "L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(canvas, rgba)
    return image.convert("RGB")


def encode_jpeg(rgb: np.ndarray, quality: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="JPEG", quality=quality, optimize=False)
    return buffer.getvalue()


def encode_png(rgb: np.ndarray) -> bytes:
    """The earlier clients' answer format. Level 3: a 1536 px result in a tenth of a second; level 6 costs
    several times that for a few per cent."""
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue()
