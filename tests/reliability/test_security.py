"""Security: token auth (constant-time), CORS closed by default, no path traversal through garment ids,
body and pixel limits, no shopper photo stored or logged, pinned dependencies."""
from __future__ import annotations

import base64
import hmac
import io
import logging
import re
import tempfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from server.app import create_app

REPO = Path(__file__).resolve().parents[2]
TOKEN = "store-42-secret-token"


def _app(server_config, **server):
    config = server_config.model_copy(update={"server": server_config.server.model_copy(update=server)})
    return create_app(config, load="none")


# -- token auth -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def authed(server_config):
    return _app(server_config, auth_token=TOKEN).test_client()


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Bearer wrong", f"Basic {TOKEN}",
                                    f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", f"bearer{TOKEN}"])
def test_v1_routes_refuse_a_missing_or_wrong_token(authed, header):
    headers = {"Authorization": header} if header is not None else {}
    for method, path in (("GET", "/v1/garments"), ("POST", "/v1/tryon"), ("GET", "/v1/garments/x/thumbnail")):
        response = authed.open(path, method=method, headers=headers, json={})
        assert response.status_code == 401, (method, path, header)
        assert response.get_json()["error"]["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"] == "Bearer"


def test_the_right_token_passes_auth_and_probes_need_none(authed):
    # The app was built without loading models, so past auth /v1 answers 503 not_ready: auth let it through.
    response = authed.get("/v1/garments", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "not_ready"
    assert authed.get("/livez").status_code == 200
    assert authed.get("/metrics").status_code == 200


def test_token_is_compared_in_constant_time(authed, monkeypatch):
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert authed.get("/v1/garments", headers={"Authorization": "Bearer guess"}).status_code == 401
    assert calls == [(b"guess", TOKEN.encode())]
    source = (REPO / "server" / "app.py").read_text()
    assert not re.search(r"==\s*expected|expected\s*==", source), "the token must not be compared with =="


# -- CORS -----------------------------------------------------------------------------------------------
def test_cors_is_closed_by_default(server_config):
    assert server_config.server.cors_origins == []
    client = _app(server_config).test_client()
    for response in (client.get("/livez", headers={"Origin": "http://evil.example"}),
                     client.options("/v1/tryon", headers={"Origin": "http://evil.example",
                                                          "Access-Control-Request-Method": "POST"})):
        assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_opens_only_to_configured_origins(server_config):
    client = _app(server_config, cors_origins=["http://kiosk.store.lan"]).test_client()
    preflight = client.options("/v1/tryon", headers={"Origin": "http://kiosk.store.lan",
                                                     "Access-Control-Request-Method": "POST"})
    assert preflight.headers.get("Access-Control-Allow-Origin") == "http://kiosk.store.lan"
    for origin in ("http://evil.example", "http://kiosk.store.lan.evil.example", "null"):
        response = client.options("/v1/tryon", headers={"Origin": origin, "Access-Control-Request-Method": "POST"})
        assert "Access-Control-Allow-Origin" not in response.headers, origin


# -- path traversal ---------------------------------------------------------------------------------------
TRAVERSALS = [
    "..", "../", "../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "%252e%252e%252fetc%252fpasswd", "..%5c..%5cetc%5cpasswd", "..\\..\\etc\\passwd", "%2e%2e",
    "....//....//etc/passwd", "%c0%ae%c0%ae%2fetc%2fpasswd", "\uff0e\uff0e\uff0fetc\uff0fpasswd",
    "/etc/passwd", "%2Fetc%2Fpasswd", "catalog.yaml", "..%00", "x%00.jpg", "~root", ".", "%2e",
    "builtin/../../config", "a" * 300,
]


@pytest.fixture(scope="module")
def client(tryon_app):
    return tryon_app.test_client()


@pytest.mark.parametrize("garment_id", TRAVERSALS)
def test_no_path_traversal_through_garment_ids(client, garment_id):
    # Werkzeug may first redirect to the path with merged slashes; wherever it ends, nothing is served.
    response = client.get(f"/v1/garments/{garment_id}/thumbnail", follow_redirects=True)
    assert response.status_code in (400, 404), (garment_id, response.status_code)
    assert response.is_json and response.get_json()["error"]["code"] in ("unknown_garment", "not_found")
    assert b"root:" not in response.data
    decoded = garment_id.replace("%2F", "/").replace("%2f", "/")
    tryon = client.post("/v1/tryon", json={"person_image": base64.b64encode(b"x").decode(), "garment_id": decoded})
    assert tryon.status_code in (400, 404) and tryon.is_json
    assert b"root:" not in tryon.data


def test_a_real_garment_id_still_resolves(client):
    garment_id = client.get("/v1/garments").get_json()["garments"][0]["id"]
    response = client.get(f"/v1/garments/{garment_id}/thumbnail")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"


# -- limits ------------------------------------------------------------------------------------------------
def test_body_over_the_limit_is_refused_with_413(client, tryon_app):
    limit = tryon_app.config["MAX_CONTENT_LENGTH"]
    response = client.post("/v1/tryon", data=b"{" + b" " * limit + b"}", content_type="application/json")
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "too_large"


def test_pixel_count_over_the_limit_is_refused_with_413(client, tryon_app):
    from tests.reliability.images import huge_png

    limit = tryon_app.config["TRYON"].limits.max_pixels
    side = int(limit ** 0.5) + 10
    response = client.post("/v1/tryon", json={"person_image": base64.b64encode(huge_png(side, side)).decode(),
                                              "garment_id": "x"})
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "too_many_pixels"


# -- privacy -------------------------------------------------------------------------------------------------
IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG", b"RIFF", b"GIF8", b"BM", b"II*\x00", b"MM\x00*")


def _image_files(roots: list[Path]) -> set[Path]:
    found = set()
    for root in roots:
        for path in root.rglob("*"):
            try:
                if path.is_file() and path.open("rb").read(4).startswith(IMAGE_MAGIC):
                    found.add(path)
            except OSError:
                continue
    return found


def _distinctive_photo() -> bytes:
    from tests.conftest import person_photo_768x1024

    rgb = person_photo_768x1024().copy()
    rng = np.random.default_rng(20261121)
    rgb[900:1000, 20:120] = rng.integers(0, 256, (100, 100, 3), dtype=np.uint8)  # a patch nobody else has
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def _run_tryon_watched(tryon_app, client, tmp_path, monkeypatch, caplog, capfd):
    """A try-on with a distinctive photo under a temp HOME/cwd/TMPDIR and DEBUG logging; returns
    (the photo's base64, everything logged, the image files that appeared)."""
    home, work, tmp = (tmp_path / d for d in ("home", "cwd", "tmp"))
    for d in (home, work, tmp):
        d.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    monkeypatch.chdir(work)
    config = tryon_app.config["TRYON"]
    roots = [home, work, tmp, Path(config.catalog.cache_dir).expanduser(), Path(tempfile.gettempdir())]
    before = _image_files(roots)

    photo_b64 = base64.b64encode(_distinctive_photo()).decode()
    garment_id = client.get("/v1/garments").get_json()["garments"][0]["id"]
    caplog.set_level(logging.DEBUG)
    logging.getLogger().setLevel(logging.DEBUG)
    response = client.post("/v1/tryon", json={"person_image": photo_b64, "garment_id": garment_id})
    assert response.status_code == 200, response.get_json()
    broken = photo_b64[: len(photo_b64) // 2] + "!!"
    bad = client.post("/v1/tryon", json={"person_image": broken, "garment_id": garment_id})
    assert bad.status_code == 400
    out, err = capfd.readouterr()
    logged = caplog.text + out + err + "\n".join(str(r.__dict__) for r in caplog.records)
    return photo_b64, response.get_json()["image"], logged, _image_files(roots) - before


def _fragments(text: str) -> list[str]:
    return [text[i:i + 32] for i in range(0, len(text) - 32, max(1, len(text) // 40))]


def test_no_shopper_photo_is_stored_or_logged(tryon_app, client, tmp_path, monkeypatch, caplog, capfd):
    photo_b64, result_b64, logged, new_images = _run_tryon_watched(tryon_app, client, tmp_path, monkeypatch,
                                                                   caplog, capfd)
    assert logged.strip(), "the watcher must see the request logs, or it proves nothing"
    leaked = [f for f in _fragments(photo_b64) + _fragments(result_b64) if f in logged]
    assert not leaked, f"{len(leaked)} base64 fragments of the shopper's photo or result were logged"
    assert not new_images, f"images written during a try-on: {sorted(map(str, new_images))}"


def test_the_privacy_check_catches_save_images(tryon_app, client, tmp_path, monkeypatch, caplog, capfd):
    """The same watcher sees the files when debugging's save_images is on, so the test above can fail."""
    config = tryon_app.config["TRYON"]
    save_dir = tmp_path / "cwd" / "debug-images"
    saving = config.model_copy(update={"save_images": True, "save_dir": save_dir})
    monkeypatch.setitem(tryon_app.config, "TRYON", saving)
    _, _, _, new_images = _run_tryon_watched(tryon_app, client, tmp_path, monkeypatch, caplog, capfd)
    assert {p.parent for p in new_images} == {save_dir}


# -- pinned dependencies ---------------------------------------------------------------------------------
def test_every_dependency_is_pinned_exactly():
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    deps = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        deps += extra
    assert deps
    pin = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9_,.-]+\])?==[0-9][A-Za-z0-9.+!-]*(\s*;.*)?$")
    unpinned = [d for d in deps if not pin.match(d.strip())]
    assert not unpinned, f"not pinned with ==: {unpinned}"
