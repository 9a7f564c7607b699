"""The official data path, bit for bit against the fixture made by the official loader."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from server.pipeline.acgpn.official_data import load_official_sample
from server.pipeline.vocabulary import Acgpn

PERSON, GARMENT = "000038_0.jpg", "000010_1.jpg"


@pytest.fixture(scope="module")
def fixture_and_sample(shared_dir):
    acgpn = shared_dir / "acgpn"
    fixture = np.load(acgpn / "samples" / "fixtures" / "official_preproc_000038_0__000010_1.npz")
    return fixture, load_official_sample(acgpn / "samples" / "viton", PERSON, GARMENT)


@pytest.mark.parametrize("key", ["label", "image", "color", "edge", "pose"])
def test_loader_tensors_equal_the_official_ones_bit_for_bit(fixture_and_sample, key):
    fixture, sample = fixture_and_sample
    got = getattr(sample, key).numpy()
    assert got.dtype == np.float32 and got.shape == fixture[key].shape
    np.testing.assert_array_equal(got, fixture[key].astype(np.float32))


def test_derived_person_masks_equal_the_official_ones(fixture_and_sample):
    fixture, s = fixture_and_sample
    label = s.label.numpy()
    np.testing.assert_array_equal((label == Acgpn.UPPER_CLOTHES).astype(np.uint8), fixture["mask_clothes"])
    np.testing.assert_array_equal((label > Acgpn.BACKGROUND).astype(np.uint8), fixture["mask_fore"])
    np.testing.assert_array_equal(s.image.numpy() * (label > Acgpn.BACKGROUND), fixture["img_fore"])
    arms_and_noise = (Acgpn.NOISE, Acgpn.LEFT_ARM, Acgpn.RIGHT_ARM)
    merged = np.where(np.isin(label, arms_and_noise), Acgpn.UPPER_CLOTHES, label).astype(np.uint8)
    np.testing.assert_array_equal(merged, fixture["all_clothes_label"])
    em = (s.edge.numpy() > 0.5)
    np.testing.assert_array_equal(em.astype(np.uint8), fixture["pre_clothes_mask"])
    np.testing.assert_array_equal(s.color.numpy() * em, fixture["clothes_masked"])


def test_missing_input_file_is_named(shared_dir):
    with pytest.raises(FileNotFoundError, match="test_img"):
        load_official_sample(shared_dir / "acgpn" / "samples" / "viton", "999999_0.jpg", GARMENT)


def test_float64_sample_normalises_the_float32_totensor_values_in_float64(shared_dir, fixture_and_sample):
    """The parity proof's data path: ToTensor in float32, (x − 0.5) / 0.5 in float64 (what the golden
    float64 run did). The values round back to the float32 ones, but dark pixels are not rounded twice."""
    _, s32 = fixture_and_sample
    s64 = load_official_sample(shared_dir / "acgpn" / "samples" / "viton", PERSON, GARMENT, torch.float64)
    for key in ("image", "color", "pose"):
        got, ref = getattr(s64, key), getattr(s32, key)
        assert got.dtype == torch.float64
        x32 = torch.round((ref.double() + 1) / 2 * 255).float() / 255       # the float32 ToTensor values
        torch.testing.assert_close(got, (x32.double() - 0.5) / 0.5, rtol=0, atol=0)
        torch.testing.assert_close(got.float(), ref, rtol=0, atol=0)
        assert (got != ref.double()).any()  # float32 normalisation rounds some values a second time
    for key in ("label", "edge"):
        torch.testing.assert_close(getattr(s64, key), getattr(s32, key).double(), rtol=0, atol=0)
