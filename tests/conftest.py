"""Fixtures shared by every test area."""
from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


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
