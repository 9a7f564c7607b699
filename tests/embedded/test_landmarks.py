"""Landmarks read off generated garment masks agree with the generator's own landmarks."""
from __future__ import annotations

import numpy as np
import pytest

from server.catalog.generate import garment_landmarks
from server.pipeline.backends.embedded.landmarks import _convexity_defects, find_landmarks, has_sleeves
from server.pipeline.errors import NoGarmentFound
from server.pipeline.vocabulary import GarmentLandmark

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
    assert set(found) == set(GarmentLandmark)
    errors = {k: float(np.linalg.norm(found[k] - np.asarray(truth[k]))) / height for k in GarmentLandmark}
    wrong = {k: round(e, 3) for k, e in errors.items() if e > TOLERANCE.get(k, DEFAULT_TOLERANCE)}
    assert not wrong, f"landmarks off (share of garment height): {wrong}"


@pytest.mark.parametrize("category, sleeves", [("tshirt", True), ("long_sleeve", True), ("tank_top", False)])
def test_only_garments_with_sleeves_get_sleeves(garment, category, sleeves):
    g = garment(category)
    assert has_sleeves(find_landmarks(g.mask, category, g.image)) is sleeves


def test_an_empty_mask_is_refused_as_no_garment():
    with pytest.raises(NoGarmentFound):
        find_landmarks(np.zeros((100, 80), np.uint8), "tshirt")


def test_a_hem_far_off_the_middle_still_gives_every_landmark():
    """VITON has such photos (a hem folded to one side): the shoulder search once ran on an empty column
    range and raised ValueError, a 500 for the shopper."""
    mask = np.zeros((256, 192), np.uint8)
    mask[40:150, 10:182] = 255  # shoulders, sleeves and chest across the whole width
    mask[150:240, 10:50] = 255  # the lower part only at the far left
    assert set(find_landmarks(mask, "tshirt")) == set(GarmentLandmark)


def test_an_outline_crossing_itself_has_no_defects_rather_than_an_opencv_error():
    """A garment outline that touches itself (a strap lying on the body) made cv2.convexityDefects raise."""
    t = np.linspace(0, 2 * np.pi, 400, endpoint=False)
    figure_eight = np.stack([100 + 80 * np.sin(t), 100 + 60 * np.sin(2 * t)], 1).round().astype(np.int32)[:, None]
    contour, defects = _convexity_defects(figure_eight)
    assert defects is None and len(contour) >= 3
