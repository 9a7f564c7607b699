"""The ACGPN backend on seeded weights: full-resolution result, repeatable per seed."""
from __future__ import annotations

import numpy as np
import pytest

from common.config.server import AcgpnConfig
from server.pipeline.backends.acgpn import AcgpnBackend
from server.pipeline.types import GarmentAnalysis, PersonAnalysis
from server.pipeline.vocabulary import Acgpn, Coco18, Lip


@pytest.fixture(scope="module")
def backend(seeded_checkpoints):
    return AcgpnBackend(AcgpnConfig(checkpoints_dir=seeded_checkpoints, device="cpu"))


def _person():
    h, w = 720, 1280  # landscape: not 3:4
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
    labels = np.full((h, w), Acgpn.BACKGROUND, np.uint8)
    labels[60:200, 590:690] = Acgpn.FACE
    labels[30:60, 590:690] = Acgpn.HAIR
    labels[200:520, 500:780] = Acgpn.UPPER_CLOTHES
    labels[220:480, 460:500] = Acgpn.LEFT_ARM
    labels[220:480, 780:820] = Acgpn.RIGHT_ARM
    labels[520:700, 520:760] = Acgpn.PANTS
    kp = np.zeros((len(Coco18), 3), np.float32)
    kp[Coco18.NOSE], kp[Coco18.NECK] = (640, 130, 1), (640, 210, 1)
    kp[Coco18.R_SHOULDER], kp[Coco18.L_SHOULDER] = (560, 215, 1), (720, 215, 1)
    kp[Coco18.R_HIP], kp[Coco18.L_HIP] = (580, 500, 1), (700, 500, 1)
    kp[Coco18.R_KNEE], kp[Coco18.L_KNEE] = (580, 640, 1), (700, 640, 1)
    return PersonAnalysis(image=image, keypoints=kp, lip=np.full((h, w), Lip.BACKGROUND, np.uint8), labels=labels,
                          person_mask=(labels > Acgpn.BACKGROUND).astype(np.float32))


def _garment():
    img = np.full((1024, 768, 3), 245, np.uint8)
    mask = np.zeros((1024, 768), np.uint8)
    mask[150:900, 120:650] = 255
    img[mask > 0] = (30, 90, 200)
    return GarmentAnalysis(image=img, mask=mask)


@pytest.mark.slow
def test_try_on_returns_a_full_resolution_result_repeatable_per_seed(backend):
    person, garment = _person(), _garment()
    a = backend.try_on(person, garment, seed=3)
    b = backend.try_on(person, garment, seed=3)
    assert a.image.shape == person.image.shape and a.image.dtype == np.uint8
    np.testing.assert_array_equal(a.image, b.image)
    assert {"acgpn_inputs", "acgpn_networks", "acgpn_paste_back"} <= set(a.timings_ms)
    np.testing.assert_array_equal(a.image[:, :300], person.image[:, :300])  # outside the 3:4 frame
    assert not np.array_equal(a.image[300:450, 560:720], person.image[300:450, 560:720])  # garment changed
