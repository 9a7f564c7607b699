"""Fixtures shared by every test area."""
from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
NAVY = (28, 36, 88)


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now (for servers the tests start)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared: research-only data (VITON samples, ACGPN parity kit). Present in CI, absent on users' machines."""
    if not SHARED.is_dir():
        pytest.skip("../shared (research-only VITON samples and the ACGPN parity kit) is not on this machine")
    return SHARED


@pytest.fixture(scope="session")
def astronaut():
    """A real person photo that ships with scikit-image (RGB uint8, 512x512)."""
    from skimage import data

    return data.astronaut()


@pytest.fixture(scope="session")
def garment():
    """make_garment(category, colour, pattern) → GarmentAnalysis, cached per argument set."""
    from server.catalog.generate import make_garment
    from server.pipeline.types import GarmentAnalysis
    from server.pipeline.vocabulary import GarmentCategory

    cache: dict[tuple, object] = {}

    def make(category: GarmentCategory = GarmentCategory.TSHIRT, colour: tuple[int, int, int] = NAVY,
             pattern: str = "plain"):
        key = (category, colour, pattern)
        if key not in cache:
            rgb, mask = make_garment(category, colour=colour, pattern=pattern)
            cache[key] = GarmentAnalysis(image=rgb, mask=mask, category=category)
        return cache[key]

    return make


@pytest.fixture(scope="session")
def astronaut_person(astronaut):
    """The astronaut photo at 768x768 through the real preprocessing stage (pose + the default parser)."""
    import cv2

    from server.pipeline.preprocess import Preprocessor

    pre = Preprocessor()
    try:
        return pre.analyze_person(cv2.resize(astronaut, (768, 768), interpolation=cv2.INTER_CUBIC))
    finally:
        pre.close()


def person_photo_768x1024():
    """The astronaut cropped to a 3:4 portrait at camera resolution (768x1024), as a kiosk sends her:
    an (H, W, 3) uint8 RGB array."""
    import numpy as np

    from kiosk.demo import demo_portrait

    return np.asarray(demo_portrait())


@pytest.fixture(scope="session")
def server_config(tmp_path_factory):
    """The shipped config.yaml with the embedded backend and a private catalog cache."""
    from common.config import load_config

    cache = tmp_path_factory.mktemp("catalog-cache")
    return load_config(REPO / "config.yaml", {"server": {
        "backend": "embedded", "catalog": {"cache_dir": str(cache)},
        "limits": {"max_body_mb": 8, "max_pixels": 30_000_000}}})


@pytest.fixture(scope="session")
def tryon_app(server_config):
    """The real Flask app with its models loaded and warm (shared by every test in the session)."""
    from server.app import create_app

    app = create_app(server_config, load="sync")
    yield app
    app.extensions["tryon"].close()


def serve(app):
    """Serve a Flask app over real HTTP on a loopback port; yields its base URL (a generator for fixtures)."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def live_server(tryon_app):
    """`tryon_app` served over real HTTP on a loopback port; yields its base URL."""
    yield from serve(tryon_app)
