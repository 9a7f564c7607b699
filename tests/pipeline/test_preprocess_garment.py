"""Garment masks against the exact masks of generated product photos (server.catalog.generate)."""
from __future__ import annotations

import numpy as np
import pytest

from server.catalog.generate import BUILTIN_CATALOG, make_garment
from server.pipeline.errors import NoGarmentFound
from server.pipeline.preprocess import Preprocessor


@pytest.fixture(scope="module")
def preprocessor():
    p = Preprocessor()
    yield p
    p.close()


def iou(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a > 0, b > 0
    return float((a & b).sum() / (a | b).sum())


@pytest.mark.parametrize("entry", BUILTIN_CATALOG, ids=lambda e: e.id)
def test_catalog_garment_mask_matches_its_shape(preprocessor, entry):
    photo, truth = make_garment(entry.category, colour=entry.colour, pattern=entry.pattern)
    garment = preprocessor.analyze_garment(photo, category=entry.category)
    assert garment.mask.shape == photo.shape[:2] and garment.mask.dtype == np.uint8
    assert set(np.unique(garment.mask)) <= {0, 255}
    assert iou(garment.mask, truth) > 0.9


@pytest.mark.parametrize(
    "category, colour, background",
    [
        ("tshirt", (255, 255, 255), (250, 250, 250)),
        ("tshirt", (247, 247, 245), (245, 245, 245)),
        ("long_sleeve", (240, 240, 240), (245, 245, 245)),
        ("tank_top", (250, 250, 250), (255, 255, 255)),
        ("tshirt", (200, 200, 200), (205, 205, 205)),
    ],
)
def test_white_garment_on_white_background_is_found_whole(preprocessor, category, colour, background):
    # Measured 0.90 to 0.99; the long sleeve at 240 on 245 is the hardest (u2netp misses a sleeve and the
    # border-colour cue takes the drop shadow along).
    photo, truth = make_garment(category, colour=colour, background=background)
    assert iou(preprocessor.analyze_garment(photo, category=category).mask, truth) > 0.88


def test_small_garment_photo_keeps_its_size(preprocessor):
    photo, truth = make_garment("tshirt", colour=(176, 32, 40), size=(192, 256))
    mask = preprocessor.analyze_garment(photo).mask
    assert mask.shape == (256, 192) and iou(mask, truth) > 0.9


def test_plain_colour_photo_has_no_garment(preprocessor):
    with pytest.raises(NoGarmentFound):
        preprocessor.analyze_garment(np.full((1024, 768, 3), (245, 245, 245), np.uint8))


def test_noisy_plain_photo_has_no_garment(preprocessor):
    rng = np.random.default_rng(0)
    photo = np.clip(rng.normal(180, 3, (1024, 768, 3)), 0, 255).astype(np.uint8)
    with pytest.raises(NoGarmentFound):
        preprocessor.analyze_garment(photo)


def test_fabric_filling_the_frame_has_no_garment(preprocessor):
    photo, _ = make_garment("tshirt", colour=(84, 112, 158), pattern="heather")
    with pytest.raises(NoGarmentFound):
        preprocessor.analyze_garment(np.ascontiguousarray(photo[450:750, 250:520]))
