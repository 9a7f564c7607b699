"""Decoding what clients send: formats, EXIF rotation, odd modes, damaged files, pixel limits."""
from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from server.errors import ApiError
from server.images import decode_base64, decode_image


def _encode(image: Image.Image, fmt: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def _error(data: bytes, max_pixels: int = 10_000_000) -> ApiError:
    with pytest.raises(ApiError) as info:
        decode_image(data, "person_image", max_pixels=max_pixels)
    return info.value


def test_exif_rotated_phone_photo_comes_out_upright():
    # A portrait photo stored landscape with "rotate 90° CW to display" (orientation 6).
    stored = Image.new("RGB", (80, 40), (255, 0, 0))
    stored.paste((0, 0, 255), (0, 0, 40, 40))  # left half blue
    exif = Image.Exif()
    exif[0x0112] = 6
    rgb = decode_image(_encode(stored, "JPEG", exif=exif, quality=95), "person_image", max_pixels=10**6)
    assert rgb.shape == (80, 40, 3)
    assert rgb[5, 20, 2] > 200 and rgb[-5, 20, 0] > 200  # blue on top, red below after rotation


@pytest.mark.parametrize("mode", ["CMYK", "L", "P", "RGBA", "LA"])
def test_any_colour_mode_becomes_rgb(mode):
    image = Image.new("RGB", (64, 48), (10, 120, 200)).convert(mode)
    rgb = decode_image(_encode(image, "JPEG" if mode in ("CMYK", "L") else "PNG"), "x", max_pixels=10**6)
    assert rgb.shape == (48, 64, 3) and rgb.dtype == np.uint8


def test_sixteen_bit_png_is_scaled_not_clipped():
    arr = np.full((40, 40), 40000, dtype=np.uint16)
    rgb = decode_image(_encode(Image.fromarray(arr), "PNG"), "x", max_pixels=10**6)
    assert 150 < rgb[0, 0, 0] < 160  # 40000 / 65535 * 255 ≈ 155.6


def test_transparent_png_is_laid_on_white():
    image = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    rgb = decode_image(_encode(image, "PNG"), "x", max_pixels=10**6)
    assert rgb.min() == 255


def test_truncated_jpeg_is_a_400():
    data = _encode(Image.new("RGB", (200, 200), (1, 2, 3)), "JPEG")
    error = _error(data[: len(data) // 3])
    assert (error.status, error.code) == (400, "not_an_image")


def test_text_is_not_an_image():
    assert _error(b"hello, this is not a photo").code == "not_an_image"


def test_gif_is_unsupported_media_type():
    error = _error(_encode(Image.new("RGB", (64, 64)), "GIF"))
    assert (error.status, error.code) == (415, "unsupported_image_type")
    assert "JPEG, PNG or WebP" in error.message  # WebP is accepted, so the message names it


def test_mpo_phone_photo_is_accepted_as_its_first_frame():
    """Many phones write JPEGs with an MPF block (Pillow: "MPO"); the first frame is the photo."""
    first, second = Image.new("RGB", (64, 48), (200, 20, 20)), Image.new("RGB", (64, 48), (20, 20, 200))
    data = _encode(first, "MPO", save_all=True, append_images=[second], quality=95)
    assert Image.open(io.BytesIO(data)).format == "MPO"
    rgb = decode_image(data, "person_image", max_pixels=10**6)
    assert rgb.shape == (48, 64, 3) and rgb[24, 32, 0] > 180 and rgb[24, 32, 2] < 60


def test_big_jpeg_is_decoded_at_reduced_size_and_capped():
    """A 40 MP JPEG comes out at max_side on its longer side (decoded at 1/4 scale, then resized)."""
    big = Image.new("RGB", (7296, 5472), (30, 90, 160))
    rgb = decode_image(_encode(big, "JPEG", quality=80), "person_image", max_pixels=40_000_000, max_side=1536)
    assert rgb.shape == (1152, 1536, 3)
    assert abs(int(rgb[500, 700, 2]) - 160) < 4


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_big_png_and_webp_are_capped_too(fmt):
    rgb = decode_image(_encode(Image.new("RGB", (2000, 3000), (9, 9, 9)), fmt), "x", max_pixels=10**7, max_side=1536)
    assert rgb.shape == (1536, 1024, 3)


def test_photo_within_max_side_keeps_its_size():
    rgb = decode_image(_encode(Image.new("RGB", (1536, 1000)), "JPEG"), "x", max_pixels=10**7, max_side=1536)
    assert rgb.shape == (1000, 1536, 3)


def test_pixel_limit_is_checked_before_decoding():
    error = _error(_encode(Image.new("L", (2000, 2000)), "PNG"), max_pixels=1_000_000)
    assert (error.status, error.code) == (413, "too_many_pixels")


def test_tiny_image_is_refused():
    assert _error(_encode(Image.new("RGB", (1, 1)), "PNG")).code == "image_too_small"


def test_broken_base64_is_a_400():
    with pytest.raises(ApiError) as info:
        decode_base64("not base64!!", "person_image")
    assert info.value.code == "bad_base64"


@pytest.mark.parametrize("wrap", [
    lambda raw: base64.encodebytes(raw).decode(),  # Python, and `base64` without -w0: a newline every 76
    lambda raw: "\r\n".join(base64.b64encode(raw).decode()[i:i + 76] for i in range(0, 200, 76)),  # Java MIME
    lambda raw: " " + base64.b64encode(raw).decode() + "\n",
])
def test_line_wrapped_base64_is_accepted(wrap):
    raw = bytes(range(150))
    assert decode_base64(wrap(raw), "person_image") == raw


def test_data_url_prefix_is_accepted():
    payload = base64.b64encode(b"abc").decode()
    assert decode_base64(f"data:image/jpeg;base64,{payload}", "person_image") == b"abc"
