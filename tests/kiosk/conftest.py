"""Fixtures for the kiosk tests: a photo on disk for the file camera, a config with a private cache."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from common.config import load_config
from tests.conftest import REPO


@pytest.fixture
def photo_file(tmp_path) -> Path:
    """A 640x480 camera-like frame: left half red, right half blue (so mirroring is visible)."""
    rgb = np.zeros((480, 640, 3), np.uint8)
    rgb[:, :320] = (200, 30, 30)
    rgb[:, 320:] = (30, 30, 200)
    path = tmp_path / "frame.png"
    Image.fromarray(rgb).save(path)
    return path


@pytest.fixture
def kiosk_config(tmp_path):
    """The shipped config's kiosk section with a private cache folder."""
    return load_config(REPO / "config.yaml", {"kiosk": {"cache_dir": str(tmp_path / "kiosk-cache")}}).kiosk
