"""Landmarks read off generated garment masks agree with the generator's own landmarks."""
from __future__ import annotations

import numpy as np
import pytest

from server.catalog.generate import garment_landmarks
from server.pipeline.backends.embedded.landmarks import LANDMARK_NAMES, find_landmarks, has_sleeves
from server.pipeline.errors import NoGarmentFound

# Tolerance as a share of the garment's height. The neck points are the loosest: the generator puts neck_l/r
# under the collar rib, the mask's top is the rib's top.
TOLERANCE = {"neck_l": 0.05, "neck_r": 0.05, "neck_front": 0.06}
DEFAULT_TOLERANCE = 0.025


@pytest.mark.parametrize("category", ["tshirt", "long_sleeve", "tank_top"])
@pytest.mark.parametrize("pattern", ["plain", "stripes", "print"])
def test_landmarks_match_the_generator(garment, category, pattern):
    g = garment(category, pattern=pattern)
    found = find_landmarks(g.mask, category, g.image)
    truth = garment_landmarks(category)
    ys = np.nonzero(g.mask)[0]
    height = ys.max() - ys.min()
    assert set(found) == set(LANDMARK_NAMES)
    errors = {k: float(np.linalg.norm(found[k] - np.asarray(truth[k]))) / height for k in LANDMARK_NAMES}
    wrong = {k: round(e, 3) for k, e in errors.items() if e > TOLERANCE.get(k, DEFAULT_TOLERANCE)}
    assert not wrong, f"landmarks off (share of garment height): {wrong}"


@pytest.mark.parametrize("category, sleeves", [("tshirt", True), ("long_sleeve", True), ("tank_top", False)])
def test_only_garments_with_sleeves_get_sleeves(garment, category, sleeves):
    g = garment(category)
    assert has_sleeves(find_landmarks(g.mask, category, g.image)) is sleeves


def test_an_empty_mask_is_refused_as_no_garment():
    with pytest.raises(NoGarmentFound):
        find_landmarks(np.zeros((100, 80), np.uint8), "tshirt")
