"""The procedural garment product photos: shapes, masks, landmarks, determinism and the built-in catalog."""
from __future__ import annotations

import re

import cv2
import numpy as np
import pytest
import yaml

from server.catalog.generate import (
    BUILTIN_CATALOG,
    PATTERNS,
    garment_landmarks,
    make_garment,
    write_builtin_catalog,
)
from server.pipeline.vocabulary import GarmentCategory, GarmentLandmark

SMALL = (384, 512)  # half size keeps the tests fast; shapes scale with size


@pytest.fixture(scope="module")
def garments() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    return {c: make_garment(c, colour=(40, 60, 120), size=SMALL) for c in tuple(GarmentCategory)}


def test_image_and_mask_have_the_requested_size_and_types(garments):
    for rgb, mask in garments.values():
        assert rgb.shape == (SMALL[1], SMALL[0], 3) and rgb.dtype == np.uint8
        assert mask.shape == (SMALL[1], SMALL[0]) and mask.dtype == np.uint8
        assert set(np.unique(mask)) == {0, 255}


@pytest.mark.parametrize("category, low, high", [("tshirt", 0.35, 0.6), ("long_sleeve", 0.38, 0.65),
                                                 ("tank_top", 0.25, 0.5)])
def test_garment_covers_a_sane_part_of_the_photo(garments, category, low, high):
    fraction = (garments[category][1] > 0).mean()
    assert low < fraction < high


def test_mask_is_one_solid_piece(garments):
    for _, mask in garments.values():
        n, _ = cv2.connectedComponents(mask)
        assert n == 2  # background + garment


def _widest_row(mask: np.ndarray, y0: float, y1: float) -> int:
    rows = mask[int(y0):int(y1)] > 0
    cols = np.where(rows.any(axis=0))[0]
    return int(cols[-1] - cols[0] + 1)


def test_sleeves_make_long_sleeve_wider_than_tshirt_wider_than_tank_top(garments):
    # The band from the armpit down to the tee's sleeve openings: where sleeves stick out.
    lm = garment_landmarks("tshirt", SMALL)
    y0, y1 = lm["shoulder_l"][1], SMALL[1] * 0.75
    widths = {c: _widest_row(garments[c][1], y0, y1) for c in tuple(GarmentCategory)}
    assert widths["long_sleeve"] > widths["tshirt"] > widths["tank_top"]


def test_long_sleeves_reach_further_down_than_short_sleeves(garments):
    long_lm, tee_lm = garment_landmarks("long_sleeve", SMALL), garment_landmarks("tshirt", SMALL)
    assert long_lm["sleeve_l_in"][1] > tee_lm["sleeve_l_in"][1] + SMALL[1] * 0.2


@pytest.mark.parametrize("category", tuple(GarmentCategory))
def test_landmarks_lie_on_or_inside_the_mask(garments, category):
    mask = cv2.dilate(garments[category][1], np.ones((5, 5), np.uint8))  # "on" the edge: within 2 px
    lm = garment_landmarks(category, SMALL)
    assert tuple(lm) == tuple(GarmentLandmark)
    for name, (x, y) in lm.items():
        assert mask[int(round(y)), int(round(x))] == 255, name


def test_landmarks_are_mirror_symmetric_and_left_is_image_left():
    w, h = SMALL
    for category in tuple(GarmentCategory):
        lm = garment_landmarks(category, SMALL)
        for left in [n for n in tuple(GarmentLandmark) if "_l" in n]:
            right = left.replace("_l", "_r")
            assert lm[left][0] < w / 2 < lm[right][0]
            assert lm[left][0] == pytest.approx(w - lm[right][0]) and lm[left][1] == pytest.approx(lm[right][1])
        assert lm["neck_front"][0] == pytest.approx(w / 2)
        assert lm["neck_l"][1] < lm["neck_front"][1] < lm["armpit_l"][1] < lm["hem_l"][1] < h


def test_landmarks_scale_with_size():
    a = garment_landmarks("tshirt", (768, 1024))
    b = garment_landmarks("tshirt", (384, 512))
    for name in tuple(GarmentLandmark):
        assert b[name] == pytest.approx((a[name][0] / 2, a[name][1] / 2))


@pytest.mark.parametrize("pattern", PATTERNS)
def test_same_arguments_give_the_same_pixels(pattern):
    a = make_garment("tshirt", colour=(200, 40, 40), pattern=pattern, size=SMALL, seed=3)
    b = make_garment("tshirt", colour=(200, 40, 40), pattern=pattern, size=SMALL, seed=3)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_a_different_seed_changes_the_fabric_but_not_the_shape():
    a = make_garment("tshirt", colour=(200, 40, 40), size=SMALL, seed=1)
    b = make_garment("tshirt", colour=(200, 40, 40), size=SMALL, seed=2)
    assert not np.array_equal(a[0], b[0])
    assert np.array_equal(a[1], b[1])


def _edge_contrast(rgb: np.ndarray, mask: np.ndarray, radius: int = 3) -> np.ndarray:
    """Per edge pixel: |mean grey just inside - mean grey just outside| within a (2r+1)^2 window."""
    grey = rgb.astype(np.float32).mean(axis=2)
    inside = (mask > 0).astype(np.float32)
    k = (2 * radius + 1, 2 * radius + 1)
    sum_in, n_in = cv2.blur(grey * inside, k), cv2.blur(inside, k)
    sum_out, n_out = cv2.blur(grey * (1 - inside), k), cv2.blur(1 - inside, k)
    edge = (mask > 0) & (cv2.erode(mask, np.ones((3, 3), np.uint8)) == 0)
    return np.abs(sum_in[edge] / n_in[edge] - sum_out[edge] / np.maximum(n_out[edge], 1e-6))


def test_white_garment_stands_out_from_a_near_white_background_at_its_edge():
    rgb, mask = make_garment("tshirt", colour=(247, 247, 245), size=SMALL)
    contrast = _edge_contrast(rgb, mask)
    assert contrast.mean() > 8 and np.median(contrast) > 8


def test_garment_colour_is_the_requested_colour():
    rgb, mask = make_garment("tshirt", colour=(40, 60, 120), size=SMALL)
    core = cv2.erode(mask, np.ones((25, 25), np.uint8)) > 0
    median = np.median(rgb[core], axis=0)
    assert np.all(np.abs(median - [40, 60, 120]) < 15)


def test_stripes_and_prints_add_a_second_colour():
    plain = make_garment("tshirt", colour=(176, 32, 40), size=SMALL)
    for pattern in ("stripes", "print"):
        rgb, mask = make_garment("tshirt", colour=(176, 32, 40), pattern=pattern, size=SMALL)
        light_inside = (rgb[mask > 0].mean(axis=1) > 180).mean()
        assert light_inside > 0.02 + (plain[0][plain[1] > 0].mean(axis=1) > 180).mean(), pattern


def test_unknown_category_is_a_value_error_naming_the_allowed_ones():
    with pytest.raises(ValueError, match="tshirt, long_sleeve, tank_top"):
        make_garment("dress", colour=(0, 0, 0))
    with pytest.raises(ValueError, match="tshirt"):
        garment_landmarks("dress", SMALL)


def test_unknown_pattern_is_a_value_error():
    with pytest.raises(ValueError, match="plain"):
        make_garment("tshirt", colour=(0, 0, 0), pattern="paisley")


def test_builtin_catalog_ids_are_valid_and_unique():
    ids = [e.id for e in BUILTIN_CATALOG]
    assert len(ids) == len(set(ids)) >= 10  # the earlier mobile app picks garments 0-9
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,63}", i) for i in ids)
    assert {e.category for e in BUILTIN_CATALOG} == set(tuple(GarmentCategory))
    assert any(min(e.colour) > 235 for e in BUILTIN_CATALOG)  # white-on-near-white must stay covered


@pytest.mark.slow
def test_write_builtin_catalog_writes_photos_and_metadata(tmp_path):
    from PIL import Image

    paths = write_builtin_catalog(tmp_path)
    assert sorted(str(p.relative_to(tmp_path)) for p in paths) == sorted(
        [f"{e.id}.png" for e in BUILTIN_CATALOG] + [f"masks/{e.id}.png" for e in BUILTIN_CATALOG] + ["catalog.yaml"])
    meta = yaml.safe_load((tmp_path / "catalog.yaml").read_text(encoding="utf-8"))
    for e in BUILTIN_CATALOG:
        assert meta["garments"][e.id] == {"name": e.name, "category": e.category, "price": e.price}
        with Image.open(tmp_path / f"{e.id}.png") as im:
            assert im.size == (768, 1024) and im.mode == "RGB"
        exact = make_garment(e.category, colour=e.colour, pattern=e.pattern)[1]
        assert np.array_equal(np.asarray(Image.open(tmp_path / "masks" / f"{e.id}.png")), exact)
    first = {p: p.read_bytes() for p in paths}
    write_builtin_catalog(tmp_path)
    assert first == {p: p.read_bytes() for p in paths}
