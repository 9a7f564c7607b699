"""Fixtures for the embedded try-on tests: generated garments and the astronaut analysed for real."""
from __future__ import annotations

import pytest

from server.catalog.generate import make_garment
from server.pipeline.types import GarmentAnalysis

NAVY = (28, 36, 88)


@pytest.fixture(scope="session")
def garment():
    """make_garment(category, colour, pattern) → GarmentAnalysis, cached per argument set."""
    cache: dict[tuple, GarmentAnalysis] = {}

    def make(category: str = "tshirt", colour: tuple[int, int, int] = NAVY, pattern: str = "plain") -> GarmentAnalysis:
        key = (category, colour, pattern)
        if key not in cache:
            rgb, mask = make_garment(category, colour=colour, pattern=pattern)
            cache[key] = GarmentAnalysis(image=rgb, mask=mask, category=category)
        return cache[key]

    return make


@pytest.fixture(scope="session")
def astronaut_person(astronaut):
    """The astronaut photo at 768x768 through the real preprocessing stage (pose + heuristic parsing)."""
    import cv2

    from server.pipeline.preprocess import Preprocessor

    pre = Preprocessor()
    try:
        return pre.analyze_person(cv2.resize(astronaut, (768, 768), interpolation=cv2.INTER_CUBIC))
    finally:
        pre.close()
