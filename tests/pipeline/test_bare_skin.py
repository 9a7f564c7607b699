"""Skin where a tank top bares the shoulders: the classical backend's synthesised skin replaces the renderer's
pixels there, and nowhere else."""
from __future__ import annotations

import numpy as np

from server.pipeline.backends.embedded.backend import synthetic_pair
from server.pipeline.backends.embedded.body_targets import body_targets
from server.pipeline.backends.embedded.warp import prepare_garment
from server.pipeline.backends.learned.bare_skin import bare_zone, paint_bare_skin
from server.pipeline.vocabulary import GarmentCategory, Lip

SKIN = (205, 150, 120)


def _person_and_targets(category: GarmentCategory):
    person, garment = synthetic_pair()
    image = person.image.copy()
    image[np.isin(person.lip, (Lip.FACE, Lip.LEFT_ARM, Lip.RIGHT_ARM))] = SKIN
    image[person.lip == Lip.UPPER_CLOTHES] = (40, 60, 200)  # a blue T-shirt
    prepared = prepare_garment(garment.image, garment.mask, category)
    targets = body_targets(prepared.landmarks, garment.mask, person.keypoints, person.lip, category)
    return image, person.lip, targets


def test_a_tank_top_bares_the_old_clothes_round_its_neck_and_armholes_above_the_armpits_only():
    image, lip, targets = _person_and_targets(GarmentCategory.TANK_TOP)
    zone = bare_zone(lip, targets, GarmentCategory.TANK_TOP)
    armpits = int(np.ceil(max(targets.placed["armpit_l"][1], targets.placed["armpit_r"][1])))
    assert zone[:armpits].sum() > 100
    assert not zone[armpits:].any()
    assert not zone[lip != Lip.UPPER_CLOTHES].any()  # over the old clothes only: never face, arms or background


def test_other_garments_keep_the_renderers_pixels():
    image, lip, targets = _person_and_targets(GarmentCategory.TSHIRT)
    zone = bare_zone(lip, targets, GarmentCategory.TSHIRT)
    assert not zone.any()
    render = np.full(image.shape, 128, np.float32)
    assert paint_bare_skin(render, image, lip, zone) is render


def test_the_bare_zone_takes_the_shoppers_skin_colour_and_nothing_else_changes():
    image, lip, targets = _person_and_targets(GarmentCategory.TANK_TOP)
    zone = bare_zone(lip, targets, GarmentCategory.TANK_TOP)
    lilac = np.zeros(image.shape, np.float32) + (170, 150, 180)
    painted = paint_bare_skin(lilac, image, lip, zone)
    # The shopper's colour (face and arms), shaded and grained, the edge feathered into the renderer's lilac.
    assert np.abs(painted[zone].mean(0) - SKIN).max() < 25
    far = np.ones(lip.shape, bool)
    far[max(0, np.nonzero(zone)[0].min() - 12):np.nonzero(zone)[0].max() + 13] = False
    assert np.array_equal(painted[far], lilac[far])
