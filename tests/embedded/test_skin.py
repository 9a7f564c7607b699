"""Skin the backend synthesises where old clothing is uncovered looks like the shopper's skin: their
colour, with a fine grain like their face's (not a flat fill), and the neck follows the neck."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from server.pipeline.backends.embedded import EmbeddedBackend
from server.pipeline.backends.embedded.skin import neck_zone, skin_colour
from server.pipeline.vocabulary import Lip

WHITE = (240, 240, 235)


def _grain(image: np.ndarray, where: np.ndarray) -> float:
    """Robust relative standard deviation of the luminance's fine detail (what a 2-pixel blur removes)."""
    lum = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    smooth = cv2.GaussianBlur(lum, (0, 0), 2.0)
    rel = (lum - smooth)[where] / np.maximum(smooth[where], 1.0)
    return float(1.4826 * np.median(np.abs(rel - np.median(rel))))


@pytest.fixture(scope="module")
def tank_result(astronaut_person, garment):
    return EmbeddedBackend().try_on(astronaut_person, garment("tank_top", WHITE))


@pytest.fixture(scope="module")
def synthesised(astronaut_person, tank_result):
    """Old-clothing pixels that became skin-coloured (eroded, away from the feathered edges)."""
    person = astronaut_person
    colour = skin_colour(person.image, person.lip)
    near_skin = np.abs(tank_result.image.astype(np.float32) - colour).max(-1) < 45
    was_not = np.abs(person.image.astype(np.float32) - colour).max(-1) > 60
    region = (near_skin & was_not & (person.lip == Lip.UPPER_CLOTHES)).astype(np.uint8)
    return cv2.erode(region, np.ones((9, 9), np.uint8)).astype(bool)


def test_a_tank_top_bares_skin_in_the_shoppers_colour(astronaut_person, synthesised):
    assert synthesised.sum() > 0.01 * synthesised.size


def test_synthesised_skin_has_a_grain_like_the_face(astronaut_person, tank_result, synthesised):
    face = cv2.erode((astronaut_person.lip == Lip.FACE).astype(np.uint8), np.ones((15, 15), np.uint8)).astype(bool)
    face_grain = _grain(astronaut_person.image, face)
    skin_grain = _grain(tank_result.image, synthesised)
    assert face_grain > 0.005
    assert 0.5 * face_grain < skin_grain < 2.0 * face_grain, (skin_grain, face_grain)


def test_the_neck_zone_runs_from_the_jaw_to_the_neckline():
    """Face above, neckline corners and front below: the zone fills the neck between them and nothing
    above the jaw or far to the sides."""
    lip = np.zeros((400, 400), np.uint8)
    cv2.ellipse(lip, (200, 110), (60, 80), 0, 0, 360, 13, -1)  # face, chin at y=190
    neckline = np.array([[150.0, 240.0], [200.0, 290.0], [250.0, 240.0]])
    zone = neck_zone(lip, neckline, np.array([200.0, 250.0]), shoulder_width=200.0)
    assert zone[195:285, 200].all()  # chin to the front neckline, down the middle
    assert not zone[:185, 200].any()  # nothing over the face
    assert not zone[200, :100].any() and not zone[200, 300:].any()  # not wider than neck and neckline
    assert not zone[330:].any()  # nothing below the neckline
