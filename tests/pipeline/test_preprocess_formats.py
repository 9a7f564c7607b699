"""File formats: the LIP → ACGPN table, COCO-18 from BlazePose, OpenPose JSON, and the CLI's ACGPN layout."""
from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pytest
from PIL import Image

from server.catalog.generate import make_garment
from server.pipeline.preprocess.__main__ import main
from server.pipeline.preprocess.labels import ACGPN_VALUES, lip_to_acgpn
from server.pipeline.preprocess.pose import BLAZEPOSE_FOR_COCO18, coco18_from_blazepose, openpose_json
from server.pipeline.vocabulary import Acgpn


def test_lip_labels_map_with_the_levindabhi_table():
    lip = np.arange(20, dtype=np.uint8)[None]
    expected = [0, 1, 1, 7, 12, 4, 4, 4, 7, 8, 7, 7, 8, 12, 11, 13, 9, 10, 5, 6]
    assert lip_to_acgpn(lip)[0].tolist() == expected
    assert ACGPN_VALUES <= set(Acgpn)


def test_lip_labels_out_of_range_are_refused():
    with pytest.raises(ValueError):
        lip_to_acgpn(np.array([[20]], np.uint8))


def test_blazepose_maps_to_coco18_with_a_mid_shoulder_neck():
    landmarks = np.zeros((33, 3), np.float32)
    landmarks[:, 0] = np.arange(33) * 2 + 10
    landmarks[:, 1] = np.arange(33) + 20
    landmarks[:, 2] = 0.9
    landmarks[11, 2], landmarks[12, 2] = 0.8, 0.7
    landmarks[26, 2] = 0.2  # right knee hidden
    kp = coco18_from_blazepose(landmarks, 200, 200)
    assert kp[0].tolist() == pytest.approx([10, 20, 0.9])
    assert kp[1].tolist() == pytest.approx([(32 + 34) / 2, (31 + 32) / 2, 0.7])  # neck: min visibility
    assert kp[2, 0] == landmarks[12, 0] and kp[5, 0] == landmarks[11, 0]  # subject's right = BlazePose 12
    assert kp[9].tolist() == [0, 0, 0]
    assert tuple(BLAZEPOSE_FOR_COCO18.values())[14:] == (5, 2, 8, 7)


def test_points_outside_the_image_are_missing():
    landmarks = np.full((33, 3), 0.99, np.float32)
    landmarks[:, :2] = 50
    landmarks[24, 1] = 250  # right hip below a 200 px image
    assert coco18_from_blazepose(landmarks, 200, 200)[8].tolist() == [0, 0, 0]


def test_openpose_json_has_both_key_names_and_54_numbers():
    kp = np.arange(54, dtype=np.float32).reshape(18, 3)
    person = openpose_json(kp)["people"][0]
    assert person["pose_keypoints"] == person["pose_keypoints_2d"]
    assert len(person["pose_keypoints"]) == 54 and person["pose_keypoints"][4] == 4.0


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory, astronaut):
    """The CLI on the astronaut and a generated navy T-shirt: (output folder, stderr)."""
    folder = tmp_path_factory.mktemp("cli")
    person, garment = folder / "shopper.png", folder / "navy-tee.png"
    Image.fromarray(astronaut).save(person)
    Image.fromarray(make_garment("tshirt", colour=(34, 47, 84))[0]).save(garment)
    out = folder / "data"
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        assert main([str(person), str(garment), "--out", str(out)]) == 0
    return out, stderr.getvalue()


@pytest.mark.slow
def test_cli_writes_the_official_acgpn_layout(cli_run):
    out, stderr = cli_run
    for folder in ("test_mask", "test_colormask"):
        assert (out / folder).is_dir() and not any((out / folder).iterdir())
    with Image.open(out / "test_img" / "shopper.jpg") as img:
        assert img.size == (192, 256) and img.mode == "RGB"
    with Image.open(out / "test_label" / "shopper.png") as label:
        assert label.size == (192, 256) and label.mode == "L"
        values = set(np.unique(np.array(label)).tolist())
    assert values <= ACGPN_VALUES and {Acgpn.BACKGROUND, Acgpn.HAIR, Acgpn.UPPER_CLOTHES, Acgpn.FACE} <= values
    with Image.open(out / "test_color" / "navy-tee.jpg") as colour, \
            Image.open(out / "test_edge" / "navy-tee.jpg") as edge:
        assert colour.size == edge.size == (192, 256)
        assert 0.2 < (np.array(edge.convert("L")) > 127).mean() < 0.8
    people = json.loads((out / "test_pose" / "shopper_keypoints.json").read_text())["people"]
    kp = np.array(people[0]["pose_keypoints"]).reshape(18, 3)
    present = kp[kp[:, 2] > 0]
    assert len(present) >= 9 and (present[:, 0] < 192).all() and (present[:, 1] < 256).all()
    assert (out / "test_pairs.txt").read_text() == "shopper.jpg navy-tee.jpg\n"
    assert sorted(p.name for p in (out / "overlays").iterdir()) == [
        "navy-tee_mask.jpg", "shopper_parsing.jpg", "shopper_pose.jpg"]
    assert "hips" in stderr


@pytest.mark.slow
def test_cli_output_loads_through_the_official_acgpn_data_path(cli_run):
    from server.pipeline.acgpn.official_data import load_official_sample

    out, _ = cli_run
    sample = load_official_sample(out, "shopper.jpg", "navy-tee.jpg")
    assert tuple(sample.label.shape) == (1, 1, 256, 192) and tuple(sample.pose.shape) == (1, 18, 256, 192)
    assert {int(v) for v in sample.label.unique()} <= ACGPN_VALUES
    assert int((sample.pose.amax(dim=(2, 3)) > 0).sum()) >= 9  # one drawn square per detected keypoint


@pytest.mark.slow
def test_cli_explains_an_unusable_photo(tmp_path, capsys):
    person, garment = tmp_path / "empty.png", tmp_path / "tee.png"
    Image.fromarray(np.full((512, 384, 3), 200, np.uint8)).save(person)
    Image.fromarray(make_garment("tshirt", colour=(34, 47, 84), size=(192, 256))[0]).save(garment)
    assert main([str(person), str(garment), "--out", str(tmp_path / "data")]) == 2
    assert "no_person" in capsys.readouterr().err


def test_framing_keeps_a_person_cut_by_the_bottom_edge_cut_there():
    from server.pipeline.preprocess.dataset import box_3x4

    mask = np.zeros((512, 512), bool)
    mask[30:512, 20:400] = True  # a waist-up photo: the body runs off the bottom edge
    x0, y0, x1, y1 = box_3x4(mask, margin=0.06)
    assert abs((x1 - x0) * 4 - (y1 - y0) * 3) <= 3  # 3:4 to the pixel
    assert y1 == 512 and y0 < 30  # flush with the bottom, head room added above
    assert 0 <= x0 <= 20 and 400 < x1 <= 512  # the width fits: no padding at the sides
