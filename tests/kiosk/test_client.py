"""The kiosk's HTTP client against the real Flask app (embedded backend) on a loopback port, with every
request and response checked against server/openapi.yaml."""
from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import yaml
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from werkzeug.serving import make_server

from common.config.kiosk import ClientConfig
from kiosk.catalog_cache import CatalogCache
from kiosk.client import RequestRejected, ServerBusy, ServerUnreachable, TryOnClient
from server.app import create_app
from tests.conftest import REPO, person_photo_768x1024

SPEC = REPO / "server" / "openapi.yaml"


def serve(wsgi_app) -> tuple[str, Callable[[], None]]:
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server.shutdown


def dead_url() -> str:
    """A loopback port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def spec() -> dict:
    return yaml.safe_load(SPEC.read_text(encoding="utf-8"))


@pytest.fixture
def contract_errors(spec):
    """Hooks a client's session so every exchange is validated against the API contract."""
    errors: list[Exception] = []

    def attach(client: TryOnClient) -> TryOnClient:
        openapi = OpenAPI.from_dict({**spec, "servers": [{"url": u} for u in client.urls]})

        def check(response, *args, **kwargs):
            request = RequestsOpenAPIRequest(response.request)
            for validate in (lambda: openapi.validate_request(request),
                             lambda: openapi.validate_response(request, RequestsOpenAPIResponse(response))):
                try:
                    validate()
                except Exception as exc:  # collected and asserted on
                    errors.append(exc)

        client.session.hooks["response"].append(check)
        return client

    attach.errors = errors
    return attach


def make_client(*urls: str, **settings) -> TryOnClient:
    return TryOnClient(ClientConfig(server_urls=list(urls), **settings))


@pytest.fixture(scope="module")
def person():
    return person_photo_768x1024()


def test_catalog_lists_garments_with_thumbnails(live_server, contract_errors):
    client = contract_errors(make_client(live_server))
    garments = client.garments()
    thumb = client.thumbnail(garments[0])
    assert garments and thumb[:2] == b"\xff\xd8" and not contract_errors.errors


def test_tryon_returns_the_dressed_photo_and_the_request_id(live_server, contract_errors, person):
    client = contract_errors(make_client(live_server, upload_max_side=1024))
    garment = client.garments()[0]
    reply = client.try_on(person, garment.id, request_id="kiosk0123")
    assert (reply.image.shape, reply.garment_id, reply.request_id) == ((1024, 768, 3), garment.id, "kiosk0123")
    assert not contract_errors.errors


def test_each_tryon_gets_a_fresh_request_id(live_server, person):
    client = make_client(live_server)
    garment = client.garments()[0]
    ids = {client.try_on(person, garment.id).request_id for _ in range(2)}
    assert len(ids) == 2 and all(len(i) == 32 for i in ids)


def test_photo_is_uploaded_at_the_configured_size(live_server, person):
    client = make_client(live_server, upload_max_side=512)
    reply = client.try_on(person, client.garments()[0].id)
    assert reply.image.shape == (512, 384, 3)  # the server answers at the size it received


def test_a_photo_without_a_person_is_rejected_with_advice(live_server, contract_errors):
    client = contract_errors(make_client(live_server))
    blank = np.full((1024, 768, 3), 200, np.uint8)
    with pytest.raises(RequestRejected) as caught:
        client.try_on(blank, client.garments()[0].id)
    assert caught.value.status == 400 and caught.value.message and not contract_errors.errors


def test_unknown_garment_is_rejected_404(live_server, person):
    with pytest.raises(RequestRejected) as caught:
        make_client(live_server).try_on(person, "no-such-garment")
    assert caught.value.status == 404


def test_token_is_sent_when_configured(server_config):
    with_token = server_config.server.model_copy(update={"auth_token": "s3cret"})
    config = server_config.model_copy(update={"server": with_token})
    app = create_app(config, load="none")
    url, stop = serve(app)
    try:
        with pytest.raises(RequestRejected) as without:
            make_client(url, retries=0).garments()
        with pytest.raises(ServerBusy):  # past the token check: the models of this app are not loaded
            make_client(url, retries=0, auth_token="s3cret").garments()
    finally:
        stop()
    assert without.value.status == 401


def test_fails_over_from_a_dead_server_to_a_live_one_and_remembers_it(live_server):
    client = make_client(dead_url(), live_server, retries=0)
    garments = client.garments()
    assert garments and client.active_url == live_server


def test_no_server_answering_raises_unreachable():
    with pytest.raises(ServerUnreachable):
        make_client(dead_url(), dead_url(), retries=1, backoff_s=0.01).garments()


def test_read_timeout_is_reported_as_unreachable(live_server, person):
    client = make_client(live_server, read_timeout_s=0.001, retries=0)
    with pytest.raises(ServerUnreachable, match="timed out"):
        client.try_on(person, "navy-tee")


class FirstRequestTo:
    """WSGI: the first request goes to `first` (a real app still loading), the rest to `then`."""

    def __init__(self, first, then) -> None:
        self.first, self.then = first, then
        self.arrivals: list[float] = []

    def __call__(self, environ, start_response):
        self.arrivals.append(time.monotonic())
        app = self.first if len(self.arrivals) == 1 else self.then
        return app(environ, start_response)


def test_busy_503_is_retried_after_the_retry_after_it_gave(server_config, tryon_app, person):
    loading = create_app(server_config, load="none")  # answers 503 not_ready with Retry-After: 5
    switch = FirstRequestTo(loading, tryon_app)
    url, stop = serve(switch)
    try:
        reply = make_client(url, retries=2, backoff_s=0.01).try_on(person, "navy-tee")
    finally:
        stop()
    assert reply.image.shape == (1024, 768, 3)
    assert switch.arrivals[1] - switch.arrivals[0] >= 5 - 0.05


def test_busy_after_the_last_retry_reports_retry_after(server_config, person):
    url, stop = serve(create_app(server_config, load="none"))
    try:
        with pytest.raises(ServerBusy) as caught:
            make_client(url, retries=0).try_on(person, "navy-tee")
    finally:
        stop()
    assert caught.value.retry_after == 5


def test_a_long_retry_after_comes_back_at_once_for_the_screen_to_show(person):
    """503 backend_unavailable + Retry-After: 30 with retries: 2 used to block the try-on inside the call
    (urllib3 caps the wait, then sleeps it twice) before the screen said anything."""
    arrivals: list[float] = []

    def unavailable(environ, start_response):
        arrivals.append(time.monotonic())
        start_response("503 SERVICE UNAVAILABLE", [("Content-Type", "application/json"), ("Retry-After", "30")])
        return [json.dumps({"error": {"code": "backend_unavailable", "message": "The model is unavailable.",
                                      "request_id": "x"}}).encode()]

    url, stop = serve(unavailable)
    try:
        started = time.monotonic()
        with pytest.raises(ServerBusy) as caught:
            make_client(url, retries=2, backoff_s=0.01).try_on(person, "navy-tee")
        took = time.monotonic() - started
    finally:
        stop()
    assert took < 3, f"the call blocked {took:.1f} s"
    assert len(arrivals) == 1
    assert (caught.value.retry_after, caught.value.code) == (30, "backend_unavailable")


def test_catalog_is_cached_and_shown_offline(live_server, tmp_path: Path):
    cache = CatalogCache(tmp_path)
    online = cache.refresh(make_client(live_server))
    offline = cache.refresh(make_client(dead_url(), retries=0))
    assert online.online and not offline.online
    assert [g.id for g in offline.garments] == [g.id for g in online.garments]
    assert set(offline.thumbnails) == {g.id for g in online.garments}


def test_catalog_with_no_server_and_no_cache_raises(tmp_path: Path):
    with pytest.raises(ServerUnreachable):
        CatalogCache(tmp_path).refresh(make_client(dead_url(), retries=0))


def test_a_replaced_garment_photo_gets_a_fresh_thumbnail(live_server, tmp_path: Path):
    cache = CatalogCache(tmp_path)
    first = cache.refresh(make_client(live_server))
    garment = first.garments[0]
    stale = first.thumbnails[garment.id]
    stale.write_bytes(b"an old picture")
    # The server's thumbnail URL carries the photo's content version; a changed version is fetched again.
    listing = json.loads((tmp_path / "garments.json").read_text())
    listing[0]["thumbnail_url"] += "-old"
    (tmp_path / "garments.json").write_text(json.dumps(listing))
    cache.refresh(make_client(live_server))
    assert stale.read_bytes()[:2] == b"\xff\xd8"
