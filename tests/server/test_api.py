"""Every route and error code of the API, against the real app with its real models."""
from __future__ import annotations

import base64
import io
import threading

import numpy as np
import pytest
from PIL import Image

from server.app import create_app
from server.catalog.generate import make_garment
from tests.conftest import person_photo_768x1024


def b64(image: np.ndarray | Image.Image, fmt: str = "JPEG") -> str:
    buffer = io.BytesIO()
    (image if isinstance(image, Image.Image) else Image.fromarray(image)).save(buffer, format=fmt)
    return base64.b64encode(buffer.getvalue()).decode()


@pytest.fixture(scope="module")
def client(tryon_app):
    return tryon_app.test_client()


@pytest.fixture(scope="module")
def person_b64():
    return b64(person_photo_768x1024())


@pytest.fixture(scope="module")
def garment_id(client):
    return client.get("/v1/garments").get_json()["garments"][0]["id"]


def decode_result(body: dict) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(body["image"]))))


# -- success -------------------------------------------------------------------------------------------
def test_tryon_with_a_catalog_garment_returns_the_photo_dressed(client, person_b64, garment_id):
    response = client.post("/v1/tryon", json={"person_image": person_b64, "garment_id": garment_id})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert decode_result(body).shape == (1024, 768, 3)
    assert (body["garment_id"], body["backend"]) == (garment_id, "embedded")
    assert {"decode", "pose", "parsing", "tryon", "encode", "total"} <= set(body["timings_ms"])
    assert body["request_id"] == response.headers["X-Request-ID"]


def test_tryon_with_an_uploaded_garment_photo(client, person_b64):
    garment, _ = make_garment("tshirt", colour=(200, 30, 40))
    response = client.post("/v1/tryon", json={"person_image": person_b64, "garment_image": b64(garment),
                                              "category": "tshirt"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["garment_id"] is None


def test_same_request_gives_the_same_picture(client, person_b64, garment_id):
    payload = {"person_image": person_b64, "garment_id": garment_id, "seed": 7}
    first = client.post("/v1/tryon", json=payload).get_json()["image"]
    assert client.post("/v1/tryon", json=payload).get_json()["image"] == first


def test_multipart_upload_for_curl_users(client, garment_id):
    buffer = io.BytesIO()
    Image.fromarray(person_photo_768x1024()).save(buffer, format="JPEG")
    buffer.seek(0)
    response = client.post("/v1/tryon", data={"person_image": (buffer, "me.jpg"), "garment_id": garment_id},
                           content_type="multipart/form-data")
    assert response.status_code == 200, response.get_json()


def test_client_request_id_is_echoed(client):
    assert client.get("/livez", headers={"X-Request-ID": "kiosk-42"}).headers["X-Request-ID"] == "kiosk-42"


# -- catalog -------------------------------------------------------------------------------------------
def test_catalog_lists_garments_with_thumbnails(client):
    garments = client.get("/v1/garments").get_json()["garments"]
    assert len(garments) >= 6
    thumb = client.get(garments[0]["thumbnail_url"])
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(thumb.data)).size[0] <= 240


def test_thumbnail_is_revalidated_by_etag(client, garment_id):
    first = client.get(f"/v1/garments/{garment_id}/thumbnail")
    again = client.get(f"/v1/garments/{garment_id}/thumbnail", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("garment", ["no-such-garment", "..%2F..%2Fetc%2Fpasswd", "%2e%2e"])
def test_unknown_garment_thumbnail_is_404(client, garment):
    response = client.get(f"/v1/garments/{garment}/thumbnail")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] in ("unknown_garment", "not_found")


# -- health --------------------------------------------------------------------------------------------
def test_livez(client):
    assert client.get("/livez").get_json() == {"status": "ok"}


def test_readyz_says_which_backend_and_why(client):
    body = client.get("/readyz").get_json()
    assert body["ready"] is True and body["backend"] == "embedded" and "embedded" in body["reason"]


def test_metrics_has_requests_stage_latency_and_queue_depth(client, person_b64, garment_id):
    client.post("/v1/tryon", json={"person_image": person_b64, "garment_id": garment_id})
    text = client.get("/metrics").get_data(as_text=True)
    assert 'tryon_http_requests_total{code="200",method="POST",route="/v1/tryon"}' in text
    assert 'tryon_stage_seconds_bucket{le="0.5",stage="tryon"}' in text
    assert "tryon_queue_depth" in text


def test_web_page_is_served(client):
    response = client.get("/")
    assert response.status_code == 200 and b"Try it on" in response.data
    assert client.get("/static/app.js").status_code == 200


# -- errors --------------------------------------------------------------------------------------------
def _error(response, status: int, code: str) -> str:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"]["code"] == code
    return body["error"]["message"]


def test_bad_base64_is_400(client, garment_id):
    _error(client.post("/v1/tryon", json={"person_image": "%%%", "garment_id": garment_id}), 400, "bad_base64")


def test_not_an_image_is_400(client, garment_id):
    payload = base64.b64encode(b"just some text").decode()
    _error(client.post("/v1/tryon", json={"person_image": payload, "garment_id": garment_id}), 400, "not_an_image")


def test_missing_garment_is_400(client, person_b64):
    message = _error(client.post("/v1/tryon", json={"person_image": person_b64}), 400, "invalid_request")
    assert "garment_id" in message


def test_unknown_field_is_400(client, person_b64, garment_id):
    message = _error(client.post("/v1/tryon", json={"person_image": person_b64, "garment_id": garment_id,
                                                    "colour": "red"}), 400, "invalid_request")
    assert "colour" in message


def test_json_that_is_not_an_object_is_400(client):
    _error(client.post("/v1/tryon", data="[1, 2", content_type="application/json"), 400, "invalid_json")


def test_photo_without_a_person_is_400(client, garment_id):
    empty_room = np.full((1024, 768, 3), 200, np.uint8)
    message = _error(client.post("/v1/tryon", json={"person_image": b64(empty_room), "garment_id": garment_id}),
                     400, "no_person")
    assert message


def test_garment_photo_without_a_garment_is_400(client, person_b64):
    blank = np.full((1024, 768, 3), 245, np.uint8)
    _error(client.post("/v1/tryon", json={"person_image": person_b64, "garment_image": b64(blank)}), 400,
           "no_garment")


def test_person_too_small_is_bad_framing(client, garment_id):
    small = Image.fromarray(person_photo_768x1024()).resize((230, 307))
    canvas = Image.new("RGB", (768, 1024), tuple(int(c) for c in person_photo_768x1024()[5, 5]))
    canvas.paste(small, (270, 40))
    message = _error(client.post("/v1/tryon", json={"person_image": b64(canvas), "garment_id": garment_id}), 400,
                     "bad_framing")
    assert "closer" in message


def test_head_only_photo_is_bad_framing(client, garment_id):
    head = person_photo_768x1024()[:380]
    message = _error(client.post("/v1/tryon", json={"person_image": b64(head), "garment_id": garment_id}), 400,
                     "bad_framing")
    assert "shoulder" in message.lower() or "frame" in message.lower()


def test_unknown_garment_is_404(client, person_b64):
    _error(client.post("/v1/tryon", json={"person_image": person_b64, "garment_id": "nope"}), 404, "unknown_garment")


def test_unsupported_category_is_400(client, person_b64):
    garment, _ = make_garment("tshirt", colour=(20, 20, 20))
    _error(client.post("/v1/tryon", json={"person_image": person_b64, "garment_image": b64(garment),
                                          "category": "trousers"}), 400, "unsupported_category")


def test_body_over_the_limit_is_413(client, garment_id):
    huge = "A" * (9 * 1024 * 1024)
    _error(client.post("/v1/tryon", json={"person_image": huge, "garment_id": garment_id}), 413, "too_large")


def test_pixel_count_over_the_limit_is_413(client, garment_id):
    bomb = b64(Image.new("L", (6000, 6000)), "PNG")  # 36 MP, a few KB compressed
    _error(client.post("/v1/tryon", json={"person_image": bomb, "garment_id": garment_id}), 413, "too_many_pixels")


def test_wrong_content_type_is_415(client):
    _error(client.post("/v1/tryon", data="person_image=x", content_type="text/plain"), 415, "unsupported_media_type")


def test_unknown_route_is_json_404(client):
    _error(client.get("/v2/whatever"), 404, "not_found")


def test_wrong_method_is_json_405(client):
    _error(client.get("/v1/tryon"), 405, "method_not_allowed")


def test_unexpected_failure_is_500_without_internals(tryon_app, client, person_b64, garment_id, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("secret detail at /srv/models/weights.pth")

    monkeypatch.setattr(tryon_app.extensions["tryon"].require_ready().backend, "try_on", explode)
    response = client.post("/v1/tryon", json={"person_image": person_b64, "garment_id": garment_id})
    message = _error(response, 500, "internal")
    assert "secret" not in response.get_data(as_text=True) and "Traceback" not in message


def test_full_queue_is_503_with_retry_after(server_config, person_b64):
    config = server_config.model_copy(update={"server": server_config.server.model_copy(update={
        "limits": server_config.server.limits.model_copy(update={"concurrency": 1, "max_queue": 0})})})
    app = create_app(config, load="none")
    service = app.extensions["tryon"]
    service.readiness.ready = True  # the gate is what is under test; no models are needed to reach it
    release = threading.Event()
    worker = threading.Thread(target=service.gate.run, args=(lambda deadline: release.wait(),))
    worker.start()
    try:
        while service.gate.depth + service.gate._running < 1:
            release.wait(0.01)
        response = app.test_client().post("/v1/tryon", json={"person_image": person_b64,
                                                             "garment_image": person_b64})
        _error(response, 503, "busy")
        assert int(response.headers["Retry-After"]) >= 1
    finally:
        release.set()
        worker.join()
        service.close()


def test_not_ready_is_503_with_retry_after(server_config, person_b64):
    app = create_app(server_config, load="none")
    response = app.test_client().post("/v1/tryon", json={"person_image": person_b64, "garment_id": "x"})
    _error(response, 503, "not_ready")
    assert response.headers["Retry-After"]
    assert app.test_client().get("/readyz").status_code == 503
    app.extensions["tryon"].close()


# -- auth ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def token_app(server_config):
    config = server_config.model_copy(update={"server": server_config.server.model_copy(
        update={"auth_token": "s3cret-token"})})
    app = create_app(config, load="none")
    yield app
    app.extensions["tryon"].close()


@pytest.mark.parametrize("header", [None, "Bearer wrong", "s3cret-token", "Basic s3cret-token"])
def test_api_needs_the_token(token_app, header):
    headers = {"Authorization": header} if header else {}
    response = token_app.test_client().get("/v1/garments", headers=headers)
    _error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_right_token_passes_and_probes_need_none(token_app):
    client = token_app.test_client()
    # Past auth the app is not loaded (load="none"), so it answers 503 not_ready rather than 401.
    assert client.get("/v1/garments", headers={"Authorization": "Bearer s3cret-token"}).status_code == 503
    assert client.get("/livez").status_code == 200


def test_cors_is_closed_by_default(client):
    response = client.get("/v1/garments", headers={"Origin": "http://evil.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_missing_user_supplied_parser_falls_back_to_the_packaged_one(server_config, tmp_path):
    config = server_config.model_copy(update={"server": server_config.server.model_copy(update={
        "preprocess": server_config.server.preprocess.model_copy(update={
            "parser": "schp", "schp_checkpoint": tmp_path / "missing-schp.pth"})})})
    app = create_app(config, load="sync")
    try:
        body = app.test_client().get("/readyz").get_json()
        assert body["ready"] is True
        assert "missing-schp.pth" in body["reason"] and "packaged" in body["reason"]
        assert str(tmp_path) not in body["reason"]  # /readyz is unauthenticated: no server paths
    finally:
        app.extensions["tryon"].close()


def test_photo_too_small_for_the_pipeline_says_image_too_small(client, garment_id):
    # 48 px decodes (the API's floor is 32) but is below what the pipeline analyses (64).
    small = Image.fromarray(person_photo_768x1024()).resize((48, 64))
    message = _error(client.post("/v1/tryon", json={"person_image": b64(small), "garment_id": garment_id}), 400,
                     "image_too_small")
    assert "64" in message
