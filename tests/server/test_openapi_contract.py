"""The server answers as server/openapi.yaml says, over real HTTP (success and error shapes)."""
from __future__ import annotations

from pathlib import Path

import pytest
import requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

from tests.conftest import person_photo_768x1024
from tests.server.test_api import b64

SPEC = Path(__file__).resolve().parents[2] / "server" / "openapi.yaml"


@pytest.fixture(scope="module")
def openapi():
    return OpenAPI.from_file_path(str(SPEC))


def exchange(openapi, live_server, method: str, path: str, **kwargs) -> requests.Response:
    request = requests.Request(method, live_server + path, **kwargs).prepare()
    openapi.validate_request(RequestsOpenAPIRequest(request))
    response = requests.Session().send(request, timeout=120)
    openapi.validate_response(RequestsOpenAPIRequest(request), RequestsOpenAPIResponse(response))
    return response


def test_garments_and_thumbnail_match_the_spec(openapi, live_server):
    garments = exchange(openapi, live_server, "GET", "/v1/garments").json()["garments"]
    exchange(openapi, live_server, "GET", garments[0]["thumbnail_url"])


def test_tryon_success_matches_the_spec(openapi, live_server):
    garment_id = requests.get(live_server + "/v1/garments", timeout=10).json()["garments"][0]["id"]
    response = exchange(openapi, live_server, "POST", "/v1/tryon",
                        json={"person_image": b64(person_photo_768x1024()), "garment_id": garment_id})
    assert response.status_code == 200


def test_tryon_error_matches_the_spec(openapi, live_server):
    response = exchange(openapi, live_server, "POST", "/v1/tryon", json={"person_image": "AAAA", "garment_id": "x"})
    assert response.status_code == 400


def test_probes_match_the_spec(openapi, live_server):
    for path in ("/livez", "/readyz"):
        assert exchange(openapi, live_server, "GET", path).status_code == 200
