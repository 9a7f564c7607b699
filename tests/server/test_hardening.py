"""Findings of the outside probe (issue 13) that the Flask app itself answers: metric labels, where uploads
are kept, base64 and body reading, 405 headers, /readyz wording. Each test failed before its fix."""
from __future__ import annotations

import base64
import io
import os
import socket
import tempfile

import pytest
import requests
import yaml
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest
from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from server.app import create_app
from server.service import Readiness
from tests.conftest import REPO, person_photo_768x1024


@pytest.fixture(scope="module")
def client(tryon_app):
    return tryon_app.test_client()


def _jpeg(size: tuple[int, int] = (384, 512), quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(person_photo_768x1024()).resize(size).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def test_made_up_http_methods_share_one_metrics_label(client):
    for method in ("BREW", "X-PROBE-1", "X-PROBE-2"):
        assert client.open("/livez", method=method).status_code == 405
    text = client.get("/metrics").get_data(as_text=True)
    assert 'method="BREW"' not in text and 'method="X-PROBE-1"' not in text
    assert 'code="405",method="other",route="unmatched"' in text


def test_405_names_the_allowed_methods(client):
    response = client.put("/v1/tryon")
    assert response.status_code == 405 and response.get_json()["error"]["code"] == "method_not_allowed"
    assert "POST" in response.headers["Allow"].split(", ")
    assert "GET" in client.delete("/livez").headers["Allow"]


def _open_deleted_temp_files() -> list[str]:
    """Files this process holds open in the temp folder that are already unlinked (werkzeug's spooling)."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(tempfile.gettempdir()) and target.endswith("(deleted)"):
            found.append(target)
    return found


def test_multipart_photo_over_500_kb_stays_in_memory(tryon_app):
    photo = os.urandom(700_000)  # what it holds does not matter to the form parser
    # The body is built in memory (werkzeug's test client would itself spool it to a temporary file).
    boundary, body = encode_multipart({"person_image": FileStorage(io.BytesIO(photo), "me.jpg"), "garment_id": "x"})
    before = _open_deleted_temp_files()
    with tryon_app.test_request_context("/v1/tryon", method="POST", input_stream=io.BytesIO(body),
                                        content_type=f"multipart/form-data; boundary={boundary}",
                                        content_length=len(body)):
        from flask import request

        upload = request.files["person_image"]
        assert _open_deleted_temp_files() == before, "the upload was spooled to a temporary file"
        assert isinstance(upload.stream, io.BytesIO) and upload.read() == photo


def test_multipart_try_on_over_500_kb_still_works(client, garment_id_of):
    photo = _jpeg((1152, 1536), quality=100)
    assert len(photo) > 500_000
    response = client.post("/v1/tryon", data={"person_image": (io.BytesIO(photo), "me.jpg"),
                                              "garment_id": garment_id_of(client)},
                           content_type="multipart/form-data")
    assert response.status_code == 200, response.get_json()


@pytest.fixture(scope="module")
def garment_id_of():
    return lambda client: client.get("/v1/garments").get_json()["garments"][0]["id"]


def test_line_wrapped_base64_photo_is_tried_on(client, garment_id_of):
    wrapped = base64.encodebytes(_jpeg()).decode()  # a newline every 76 characters
    assert "\n" in wrapped
    response = client.post("/v1/tryon", json={"person_image": wrapped, "garment_id": garment_id_of(client)})
    assert response.status_code == 200, response.get_json()


def test_mpo_phone_photo_is_tried_on(client, garment_id_of):
    photo = Image.open(io.BytesIO(_jpeg()))
    buffer = io.BytesIO()
    photo.save(buffer, "MPO", save_all=True, append_images=[photo.rotate(180)], quality=90)
    response = client.post("/v1/tryon", json={"person_image": base64.b64encode(buffer.getvalue()).decode(),
                                              "garment_id": garment_id_of(client)})
    assert response.status_code == 200, response.get_json()


def test_malformed_chunked_body_is_a_json_400(live_server):
    """werkzeug's server (python -m server) turns it into a 400 itself; gunicorn did not, and answered 500:
    tests/reliability/test_slow_clients.py sends the same to gunicorn."""
    port = int(live_server.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"POST /v1/tryon HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), head
    assert b'"error"' in body and b'"request_id"' in body


def test_readyz_gives_the_reason_without_server_paths(server_config):
    app = create_app(server_config, load="none")
    try:
        app.extensions["tryon"].readiness = Readiness(False, None, (
            "failed to start: [Errno 2] No such file or directory: '/srv/store-7/models/parser.pt'; "
            "ACGPN unavailable (/opt/fitting-booth/acgpn/latest_net_G1.pth: truncated)"))
        reason = app.test_client().get("/readyz").get_json()["reason"]
    finally:
        app.extensions["tryon"].close()
    assert "parser.pt" in reason and "latest_net_G1.pth: truncated" in reason and "No such file" in reason
    assert "/srv" not in reason and "/opt" not in reason and "store-7" not in reason


def test_openapi_refuses_an_empty_person_image_as_the_server_does(client):
    spec = yaml.safe_load((REPO / "server" / "openapi.yaml").read_text())
    openapi = OpenAPI.from_dict({**spec, "servers": [{"url": "http://booth"}]})
    request = requests.Request("POST", "http://booth/v1/tryon", json={"person_image": "", "garment_id": "x"}).prepare()
    with pytest.raises(Exception, match="(?i)validat|short|minLength"):
        openapi.validate_request(RequestsOpenAPIRequest(request))
    assert client.post("/v1/tryon", json={"person_image": "", "garment_id": "x"}).status_code == 400
