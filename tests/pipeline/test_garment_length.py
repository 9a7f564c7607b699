"""The learned backend's garment length: the new top takes the length of the one worn, within a top's limits,
and what a longer garment leaves below them stays the shopper's own pixels."""
from __future__ import annotations

import numpy as np
import pytest

from server.pipeline.backends.embedded.backend import synthetic_pair
from server.pipeline.backends.embedded.body_targets import Targets, body_targets
from server.pipeline.backends.embedded.warp import WarpedLayer, prepare_garment, warp_garment
from server.pipeline.backends.learned import LearnedBackend
from server.pipeline.backends.learned.length import hem_goal, lengthen_torso, longest_hem, worn_below_limit
from server.pipeline.preprocess.labels import lip_to_acgpn
from server.pipeline.types import PersonAnalysis
from server.pipeline.vocabulary import Coco18, Lip

MIDDLE = np.s_[:, 80:112]  # columns in the middle of the synthetic garment's hem


def _wearing(bottom: int, hips: bool = True) -> tuple[PersonAnalysis, np.ndarray, Targets, WarpedLayer]:
    """The synthetic person in a top that ends at row `bottom`, the garment's torso as the classical warp places
    it, and its targets."""
    person, garment = synthetic_pair()
    lip = person.lip.copy()
    lip[75:bottom, 56:136] = Lip.UPPER_CLOTHES
    keypoints = person.keypoints.copy()
    if not hips:
        keypoints[[Coco18.R_HIP, Coco18.L_HIP], 2] = 0
    prepared = prepare_garment(garment.image, garment.mask, garment.category)
    targets = body_targets(prepared.landmarks, garment.mask, keypoints, lip, garment.category)
    torso, _ = warp_garment(prepared, targets, lip.shape)
    person = PersonAnalysis(image=person.image, keypoints=keypoints, lip=lip, labels=lip_to_acgpn(lip),
                            person_mask=(lip > 0).astype(np.float32))
    return person, lip, targets, torso


def _lowest_row(alpha: np.ndarray) -> int:
    return int(np.flatnonzero((alpha[MIDDLE] > 0.5).any(1)).max())


def test_a_top_shorter_than_the_one_worn_is_lengthened_to_it_from_the_armpits_down():
    _, lip, targets, torso = _wearing(bottom=240)
    assert _lowest_row(torso.alpha) == 223  # the classical warp's hem, above the worn top's
    longer = lengthen_torso(torso, targets, lip)
    assert abs(_lowest_row(longer.alpha) - 239) <= 1  # the worn top's last row, to the rounding of the edge
    armpits = int(targets.placed["armpit_l"][1])
    assert np.array_equal(longer.alpha[:armpits], torso.alpha[:armpits])  # shoulders and neckline untouched


@pytest.mark.parametrize("bottom, hips", [(200, True), (240, False)], ids=["worn top ends higher", "no hips seen"])
def test_the_classical_length_stays_without_a_longer_worn_top_or_without_hips(bottom, hips):
    _, lip, targets, torso = _wearing(bottom, hips)
    assert hem_goal(targets, lip) is None
    assert lengthen_torso(torso, targets, lip) is torso


def test_a_dress_lengthens_the_top_only_to_a_little_below_the_hips():
    _, lip, targets, torso = _wearing(bottom=256)
    limit = longest_hem(targets)
    assert limit is not None and 240 < limit < 255
    assert abs(_lowest_row(lengthen_torso(torso, targets, lip).alpha) - limit) <= 1


def test_only_worn_clothes_below_both_the_new_hem_and_the_limit_are_kept():
    lip = np.zeros((100, 60), np.uint8)
    lip[20:100, 10:50] = Lip.UPPER_CLOTHES
    lip[90:, 25:35] = Lip.PANTS
    alpha = np.zeros((100, 60), np.float32)
    alpha[20:60, 10:50] = 1
    alpha[20:70, 20:30] = 1  # a lower point of the hem
    kept = worn_below_limit(alpha, lip, span=(15, 45), limit=65)
    assert not kept[:66].any()  # above the limit everything may change
    assert kept[66:, 15:20].all() and not kept[:70, 20:30].any() and kept[70:, 20:25].all()
    assert not kept[:, :15].any() and not kept[:, 46:].any()  # outside the hem's columns
    assert not kept[90:, 25:35].any()  # not the trousers: only worn top's pixels are the old garment


@pytest.fixture(scope="module")
def backend() -> LearnedBackend:
    return LearnedBackend()


def test_the_learned_backend_keeps_a_dress_below_the_limit_byte_for_byte(backend):
    person, lip, targets, _ = _wearing(bottom=256)
    person.image[lip == Lip.UPPER_CLOTHES] = (30, 160, 60)  # a green dress
    _, garment = synthetic_pair()
    result = backend.try_on(person, garment).image
    limit = int(np.ceil(longest_hem(targets) or 0)) + 2
    below = np.s_[limit:, 70:120]
    assert np.array_equal(result[below], person.image[below])
    above = np.s_[150:200, 70:120]  # the torso: now the new garment's grey
    assert np.abs(result[above].astype(int) - 90).mean() < np.abs(person.image[above].astype(int) - 90).mean() / 2
