"""The earlier systems' clients against our server, replaying exactly the requests they send (raw HTTP
over loopback, byte for byte what their code puts on the wire): the Raspberry Pi script, the mobile app and
the second system's /vitons API with its cross-origin test page."""
from __future__ import annotations

import base64
import http.client
import io
import json
from dataclasses import dataclass
from urllib.parse import urlsplit

import numpy as np
import pytest
import requests
from PIL import Image

from server.api.legacy import mobile_garment
from server.app import create_app
from server.catalog.generate import make_garment
from server.errors import ApiError
from server.pipeline.vocabulary import GarmentCategory
from tests.conftest import person_photo_768x1024


def _jpeg(image: np.ndarray | Image.Image, size: tuple[int, int] | None = None) -> bytes:
    image = image if isinstance(image, Image.Image) else Image.fromarray(image)
    buffer = io.BytesIO()
    (image.resize(size) if size else image).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def person_jpeg() -> bytes:
    return _jpeg(person_photo_768x1024(), (384, 512))


@pytest.fixture(scope="module")
def cloth_jpeg() -> bytes:
    return _jpeg(make_garment(GarmentCategory.TSHIRT, colour=(200, 30, 40), size=(384, 512))[0])


def landscape_phone_photo() -> bytes:
    """What the mobile app sends: a 640x480 landscape JPEG with the shopper in the middle."""
    canvas = Image.new("RGB", (640, 480), tuple(int(c) for c in person_photo_768x1024()[4, 4]))
    canvas.paste(Image.fromarray(person_photo_768x1024()).resize((360, 480)), (140, 0))
    return _jpeg(canvas)


@dataclass
class RawResponse:
    status: int
    body: bytes


def raw_post(base_url: str, path: str, body: bytes, headers: dict[str, str]) -> RawResponse:
    """http.client sends only Host, Accept-Encoding, Content-Length and the headers given: no Content-Type
    unless the client had one."""
    url = urlsplit(base_url)
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=120)
    connection.request("POST", path, body=body, headers=headers)
    response = connection.getresponse()
    answer = RawResponse(response.status, response.read())
    connection.close()
    return answer


def _png(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    return image


# -- the Raspberry Pi script ----------------------------------------------------------------------------
def test_pi_script_posts_json_without_a_content_type_and_reads_result_img(live_server, person_jpeg, cloth_jpeg):
    body = json.dumps({"person_img": base64.b64encode(person_jpeg).decode(),
                       "cloth_img": base64.b64encode(cloth_jpeg).decode()}).encode()
    response = raw_post(live_server, "/pose_app/pose_json", body, {})
    assert response.status == 200, response.body[:500]
    answer = json.loads(response.body)
    assert list(answer) == ["result_img"]
    assert _png(base64.b64decode(answer["result_img"])).size == (384, 512)


def test_pi_script_errors_keep_the_usual_status_and_error_object(live_server, cloth_jpeg):
    body = json.dumps({"person_img": "not base64 at all!", "cloth_img": base64.b64encode(cloth_jpeg).decode()})
    response = raw_post(live_server, "/pose_app/pose_json", body.encode(), {})
    assert response.status == 400
    assert json.loads(response.body)["error"]["code"] == "bad_base64"
    empty_room = base64.b64encode(_jpeg(np.full((512, 384, 3), 200, np.uint8))).decode()
    response = raw_post(live_server, "/pose_app/pose_json", json.dumps(
        {"person_img": empty_room, "cloth_img": base64.b64encode(cloth_jpeg).decode()}).encode(), {})
    assert response.status == 400 and json.loads(response.body)["error"]["code"] == "no_person"


# -- the mobile app ------------------------------------------------------------------------------------------
def test_mobile_app_posts_a_json_string_as_text_plain(live_server):
    body = json.dumps({"index": 0, "photo_data": base64.b64encode(landscape_phone_photo()).decode()})
    response = raw_post(live_server, "/pose_app/pose_mobile", body.encode("utf-8"),
                        {"Content-Type": "text/plain;charset=UTF-8"})
    assert response.status == 200, response.body[:500]
    answer = json.loads(response.body)
    assert list(answer) == ["result_img"]
    assert _png(base64.b64decode(answer["result_img"])).size == (640, 480)


@pytest.mark.parametrize("index", [-1, 10, "ten", None, True])
def test_mobile_app_index_outside_0_to_9_is_400(live_server, index):
    body = json.dumps({"index": index, "photo_data": base64.b64encode(landscape_phone_photo()).decode()})
    text_plain = {"Content-Type": "text/plain;charset=UTF-8"}
    response = raw_post(live_server, "/pose_app/pose_mobile", body.encode(), text_plain)
    assert response.status == 400 and json.loads(response.body)["error"]["code"] == "invalid_request"


def test_mobile_app_index_picks_the_nth_catalog_garment_or_the_configured_one(tryon_app):
    catalog = tryon_app.extensions["tryon"].require_ready().catalog
    garments = catalog.garments()
    assert len(garments) >= 10  # the built-in catalog covers the app's ten buttons
    assert [mobile_garment(catalog, [], i) for i in range(10)] == garments[:10]
    assert mobile_garment(catalog, [garments[3].id, garments[1].id], 1) == garments[1]
    with pytest.raises(ApiError) as too_few:
        mobile_garment(catalog, [garments[3].id, garments[1].id], 2)
    assert (too_few.value.status, too_few.value.code) == (404, "unknown_garment")
    assert "server.legacy.mobile_garments" in too_few.value.message
    with pytest.raises(ApiError) as unknown:
        mobile_garment(catalog, ["no-such-garment"], 0)
    assert unknown.value.status == 404 and "no-such-garment" in unknown.value.message


# -- the second system's API ---------------------------------------------------------------------------------
def test_vitons_answers_raw_png_to_a_page_on_another_origin(live_server, person_jpeg, cloth_jpeg):
    origin = {"Origin": "http://old-test-page.example:5000"}
    preflight = requests.options(live_server + "/vitons", headers={**origin, "Access-Control-Request-Method": "POST"},
                                 timeout=30)
    assert preflight.status_code == 204 and preflight.headers["Access-Control-Allow-Origin"] == "*"
    response = requests.post(live_server + "/vitons", headers=origin, timeout=120,
                             files={"image": ("person.jpg", person_jpeg, "image/jpeg"),
                                    "cloth": ("cloth.jpg", cloth_jpeg, "image/jpeg")})
    assert response.status_code == 200, response.text[:500]
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert _png(response.content).size == (384, 512)


def test_vitons_errors_are_json_with_the_right_status_and_open_to_the_page(live_server, person_jpeg):
    only_person = requests.post(live_server + "/vitons", files={"image": ("p.jpg", person_jpeg, "image/jpeg")},
                                timeout=60)
    assert only_person.status_code == 400 and only_person.json()["error"]["code"] == "invalid_request"
    assert only_person.headers["Access-Control-Allow-Origin"] == "*"
    gif = io.BytesIO()
    Image.new("RGB", (64, 64)).save(gif, "GIF")
    not_a_photo = requests.post(live_server + "/vitons", timeout=60, files={
        "image": ("p.gif", gif.getvalue(), "image/gif"), "cloth": ("c.jpg", person_jpeg, "image/jpeg")})
    assert not_a_photo.status_code == 415 and not_a_photo.json()["error"]["code"] == "unsupported_image_type"


def test_vitons_takes_at_most_10_mb(server_config):
    config = server_config.model_copy(update={"server": server_config.server.model_copy(update={
        "limits": server_config.server.limits.model_copy(update={"max_body_mb": 20})})})
    app = create_app(config, load="none")
    try:
        client = app.test_client()
        big = client.post("/vitons", data={"image": (io.BytesIO(b"\0" * (11 * 1024 * 1024)), "p.jpg"),
                                           "cloth": (io.BytesIO(b"x"), "c.jpg")}, content_type="multipart/form-data")
        assert big.status_code == 413 and big.get_json()["error"]["code"] == "too_large"
        assert big.headers["Access-Control-Allow-Origin"] == "*"
        # Under 10 MB the body is read (and this app, not loaded, answers 503 rather than 413).
        small = client.post("/vitons", data={"image": (io.BytesIO(b"\0" * (9 * 1024 * 1024)), "p.jpg"),
                                             "cloth": (io.BytesIO(b"x"), "c.jpg")}, content_type="multipart/form-data")
        assert small.status_code != 413
    finally:
        app.extensions["tryon"].close()


# -- switches and the token ----------------------------------------------------------------------------------
def _app(server_config, **server):
    return create_app(server_config.model_copy(update={"server": server_config.server.model_copy(update=server)}),
                      load="none")


def test_with_a_token_the_legacy_routes_are_closed_unless_listed(server_config):
    from common.config.server import LegacyConfig

    app = _app(server_config, auth_token="s3cret", legacy=LegacyConfig(without_token=["pose_mobile"]))
    try:
        client = app.test_client()
        for path in ("/pose_app/pose_json", "/vitons"):
            response = client.post(path, data=b"{}")
            assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"
            assert "without_token" in response.get_json()["error"]["message"]
        # Listed: past the token check (this app is not loaded, so it answers 503 not_ready).
        body = json.dumps({"index": 0, "photo_data": base64.b64encode(landscape_phone_photo()).decode()})
        answer = client.post("/pose_app/pose_mobile", data=body, content_type="text/plain;charset=UTF-8")
        assert answer.status_code == 503
        assert client.post("/pose_app/pose_json", data=b"{}",
                           headers={"Authorization": "Bearer s3cret"}).status_code == 400  # the token works too
    finally:
        app.extensions["tryon"].close()


def test_a_legacy_route_left_out_of_the_list_does_not_exist(server_config):
    from common.config.server import LegacyConfig

    app = _app(server_config, legacy=LegacyConfig(routes=["vitons"]))
    try:
        response = app.test_client().post("/pose_app/pose_json", data=b"{}")
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    finally:
        app.extensions["tryon"].close()
