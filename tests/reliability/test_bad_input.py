"""Bad input over real HTTP: damaged, hostile and odd images, broken base64 and hostile JSON.

Every bad case gets a 4xx JSON error with the documented shape and the server stays up (/livez after each
batch). Odd but valid images (CMYK, 16-bit, alpha, EXIF-rotated) decode upright. Requests name an unknown
garment so a photo that decodes ends at 404 unknown_garment without running inference: the status says
exactly how far the photo got.
"""
from __future__ import annotations

import base64
import io
import json
import zlib

import numpy as np
import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from server.images import decode_image
from tests.reliability.images import _chunk, encode, huge_jpeg, huge_png

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
UNKNOWN = "no-such-garment"


@pytest.fixture(scope="module")
def http(live_server):
    session = requests.Session()
    yield session
    session.close()


def _post(http, live_server, payload=None, *, data=None, content_type="application/json"):
    if payload is not None:
        data = json.dumps(payload)
    return http.post(live_server + "/v1/tryon", data=data, headers={"Content-Type": content_type}, timeout=60)


def _error(response, *statuses: int) -> str:
    assert response.status_code in statuses, (response.status_code, response.text[:300])
    body = response.json()
    assert set(body) == {"error"} and {"code", "message", "request_id"} <= set(body["error"])
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]["code"]


def _photo(jpeg_or_png: bytes) -> dict:
    return {"person_image": base64.b64encode(jpeg_or_png).decode(), "garment_id": UNKNOWN}


def _alive(http, live_server):
    assert http.get(live_server + "/livez", timeout=10).json() == {"status": "ok"}


def _person(size=(96, 128)) -> np.ndarray:
    from tests.conftest import person_photo_768x1024

    return np.asarray(Image.fromarray(person_photo_768x1024()).resize(size))


# -- damaged and hostile images ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def good_jpeg():
    return encode(_person(), "JPEG", quality=90)


@SETTINGS
@given(fraction=st.floats(0.0, 0.9))
def test_truncated_jpegs_are_400(http, live_server, good_jpeg, fraction):
    cut = good_jpeg[: int(len(good_jpeg) * fraction)]
    payload = _photo(cut) if cut else {"person_image": "", "garment_id": UNKNOWN}
    assert _error(_post(http, live_server, payload), 400) in ("not_an_image", "invalid_request")


@SETTINGS
@given(flips=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=30))
def test_corrupted_jpeg_bytes_never_crash(http, live_server, good_jpeg, flips):
    data = bytearray(good_jpeg)
    for pos, value in flips:
        data[pos % len(data)] = value
    response = _post(http, live_server, _photo(bytes(data)))
    # Damage in the entropy-coded data can still decode (to a glitched photo): then the unknown garment is next.
    assert _error(response, 400, 404, 413, 415) in ("not_an_image", "image_too_small", "unsupported_image_type",
                                                     "too_many_pixels", "unknown_garment")


def _zlib_bomb_png(width: int, height: int) -> bytes:
    """A real PNG of width x height black grey pixels compressed ~1000:1, built row by row."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (width + 1)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    ihdr = np.array([width, height], ">u4").tobytes() + bytes([8, 0, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


@pytest.mark.parametrize("name, data", [
    ("png 20000x20000 header", huge_png(20000, 20000)),
    ("jpeg 20000x20000 header", huge_jpeg(20000, 20000)),
    ("png 65535x65535 header", huge_png(65535, 65535)),
    ("png 1x40000000 header", huge_png(1, 40_000_000)),
    ("png zlib bomb 12000x12000", _zlib_bomb_png(12000, 12000)),
])
def test_decompression_bombs_and_giant_headers_are_413(http, live_server, name, data):
    assert len(data) < 300_000, "the bomb itself must be small"
    assert _error(_post(http, live_server, _photo(data)), 413) == "too_many_pixels"
    _alive(http, live_server)


@pytest.mark.parametrize("size", [(1, 1), (31, 600), (600, 31), (2, 2)])
def test_tiny_images_are_400(http, live_server, size):
    data = encode(np.zeros((size[1], size[0], 3), np.uint8), "PNG")
    assert _error(_post(http, live_server, _photo(data)), 400) == "image_too_small"


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF", "ICO"])
def test_other_image_formats_are_415(http, live_server, fmt):
    data = encode(np.zeros((64, 64, 3), np.uint8), fmt)
    assert _error(_post(http, live_server, _photo(data)), 415, 400) in ("unsupported_image_type", "not_an_image")


@SETTINGS
@given(data=st.binary(min_size=1, max_size=2048))
def test_random_bytes_are_400(http, live_server, data):
    assert _error(_post(http, live_server, _photo(data)), 400, 415) in ("not_an_image", "unsupported_image_type",
                                                                         "image_too_small")


def test_server_is_alive_after_the_image_batches(http, live_server):
    _alive(http, live_server)


# -- odd but valid images decode upright ----------------------------------------------------------------------
def _pattern(w=64, h=48) -> np.ndarray:
    """Asymmetric on both axes, so any flip or rotation shows."""
    rgb = np.zeros((h, w, 3), np.uint8)
    rgb[: h // 3, : w // 4] = (255, 0, 0)
    rgb[h // 2:, w // 2:] = (0, 0, 255)
    rgb[h - 6:, : 10] = (0, 255, 0)
    return rgb


# The pixels a camera stores for each EXIF orientation of an upright scene (PIL's transpose inverse).
_STORED = {1: lambda im: im,
           2: lambda im: im.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
           3: lambda im: im.transpose(Image.Transpose.ROTATE_180),
           4: lambda im: im.transpose(Image.Transpose.FLIP_TOP_BOTTOM),
           5: lambda im: im.transpose(Image.Transpose.TRANSPOSE),
           6: lambda im: im.transpose(Image.Transpose.ROTATE_90),
           7: lambda im: im.transpose(Image.Transpose.TRANSVERSE),
           8: lambda im: im.transpose(Image.Transpose.ROTATE_270)}


def exif_rotated(upright: np.ndarray, orientation: int, fmt: str = "PNG") -> bytes:
    stored = _STORED[orientation](Image.fromarray(upright))
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(stored, fmt, exif=exif.tobytes())


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_exif_orientations_1_to_8_decode_upright(orientation, fmt):
    upright = _pattern()
    decoded = decode_image(exif_rotated(upright, orientation, fmt), "person_image", max_pixels=10**7)
    assert decoded.shape == upright.shape
    error = np.abs(decoded.astype(int) - upright)
    if fmt == "PNG":
        assert error.max() == 0
    else:  # JPEG: lossy, but a wrong orientation would put whole colour blocks in the wrong place
        assert error.mean() < 10


def test_cmyk_jpeg_decodes_to_rgb():
    rgb = _pattern()
    decoded = decode_image(encode(Image.fromarray(rgb).convert("CMYK"), "JPEG", quality=95), "p", max_pixels=10**7)
    assert decoded.dtype == np.uint8 and decoded.shape == rgb.shape
    assert np.abs(decoded.astype(int) - rgb).mean() < 12


def test_16_bit_grey_png_is_scaled_not_clipped():
    ramp = np.tile(np.linspace(0, 65535, 64).astype(np.uint16), (48, 1))
    decoded = decode_image(encode(Image.fromarray(ramp), "PNG"), "p", max_pixels=10**7)
    assert decoded.shape == (48, 64, 3) and decoded[0, 0, 0] == 0 and decoded[0, -1, 0] == 255
    assert np.all(np.diff(decoded[0, :, 0].astype(int)) >= 0), "the ramp stays monotonic"


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P"])
def test_transparency_is_laid_on_white(mode):
    rgba = np.zeros((48, 64, 4), np.uint8)
    rgba[:, 32:] = (200, 10, 10, 255)  # opaque red right half, transparent left half
    image = Image.fromarray(rgba, "RGBA")
    if mode == "LA":
        image = image.convert("LA")
    elif mode == "P":
        image = image.convert("P", palette=Image.Palette.ADAPTIVE)
        image.info["transparency"] = image.getpixel((0, 0))
    options = {"transparency": image.info["transparency"]} if mode == "P" else {}
    decoded = decode_image(encode(image, "PNG", **options), "p", max_pixels=10**7)
    assert decoded[:, :32].min() >= 250, "the transparent half is white"
    assert decoded[:, 40:].max() < 250 or mode == "LA"


@pytest.mark.parametrize("name, image", [
    ("cmyk", lambda rgb: encode(Image.fromarray(rgb).convert("CMYK"), "JPEG")),
    ("rgba", lambda rgb: encode(Image.fromarray(rgb).convert("RGBA"), "PNG")),
    ("16-bit", lambda rgb: encode(Image.fromarray(rgb[..., 1].astype(np.uint16) * 257), "PNG")),
    ("exif-6", lambda rgb: exif_rotated(rgb, 6, "JPEG")),
])
def test_odd_valid_images_get_through_decoding_over_http(http, live_server, name, image):
    assert _error(_post(http, live_server, _photo(image(_person()))), 404) == "unknown_garment"


@pytest.mark.slow
def test_exif_orientation_is_honoured_end_to_end(http, live_server):
    """A phone photo stored sideways with orientation 6 gives the same try-on as the upright photo."""
    upright = _person((192, 256))
    garment_id = http.get(live_server + "/v1/garments", timeout=30).json()["garments"][0]["id"]
    results = []
    for data in (encode(upright, "PNG"), exif_rotated(upright, 6, "PNG"), exif_rotated(upright, 8, "PNG")):
        response = _post(http, live_server, {"person_image": base64.b64encode(data).decode(),
                                             "garment_id": garment_id, "seed": 7})
        assert response.status_code == 200, response.text[:300]
        results.append(np.asarray(Image.open(io.BytesIO(base64.b64decode(response.json()["image"]))).convert("RGB")))
    assert results[0].shape == (256, 192, 3)
    for rotated in results[1:]:
        assert rotated.shape == results[0].shape
        assert np.abs(rotated.astype(int) - results[0]).mean() < 2.0


# -- broken base64 and hostile JSON --------------------------------------------------------------------------
@SETTINGS
@given(value=st.one_of(st.text(min_size=1, max_size=200).filter(lambda s: s.strip()),
                       st.integers(), st.none(), st.booleans(), st.lists(st.integers(), max_size=3),
                       st.dictionaries(st.text(max_size=5), st.integers(), max_size=2)))
def test_broken_base64_and_wrong_types_are_400(http, live_server, value):
    code = _error(_post(http, live_server, {"person_image": value, "garment_id": UNKNOWN}), 400)
    assert code in ("bad_base64", "invalid_request", "not_an_image", "image_too_small")


json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
json_values = st.recursive(json_scalars,
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                       max_size=4),
                           max_leaves=20)


@SETTINGS
@given(body=st.dictionaries(st.sampled_from(["person_image", "garment_id", "garment_image", "category", "seed", "x"]),
                            json_values, max_size=5) | json_values)
def test_arbitrary_json_bodies_get_a_4xx(http, live_server, body):
    _error(_post(http, live_server, body), 400, 404, 413, 415)


@pytest.mark.parametrize("name, body", [
    ("nested arrays 100k deep", "[" * 100_000 + "]" * 100_000),
    ("nested objects 50k deep", '{"a":' * 50_000 + "1" + "}" * 50_000),
    ("7 MB string field", json.dumps({"person_image": "A" * 7_000_000 + "=", "garment_id": UNKNOWN})),
    ("500k keys", "{" + ",".join(f'"k{i}":0' for i in range(500_000)) + "}"),
    ("lone surrogate", '{"person_image": "\\ud800", "garment_id": "x"}'),
    ("not utf-8", b"\xff\xfe{\x00"),
    ("NaN", "NaN"),
    ("huge number seed", '{"person_image": "aGk=", "garment_id": "x", "seed": 1e999}'),
])
def test_hostile_json_is_4xx(http, live_server, name, body):
    _error(_post(http, live_server, data=body), 400, 413)
    _alive(http, live_server)


def test_json_over_the_body_limit_is_413(http, live_server, tryon_app):
    body = b'{"person_image": "' + b"A" * tryon_app.config["MAX_CONTENT_LENGTH"] + b'"}'
    assert _error(_post(http, live_server, data=body), 413) == "too_large"
    _alive(http, live_server)
