"""Preprocessing against the annotations shipped with 24 VITON test photos (research-only data under
../shared, used in place: nothing derived from it is stored). Thresholds sit a little below what was measured
on these 24 (docs/preprocessing.md): they catch regressions, they are not acceptance figures."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from common.config.server import PreprocessConfig
from server.pipeline.preprocess import Preprocessor
from server.pipeline.preprocess.labels import lip_to_acgpn
from server.pipeline.preprocess.parsing.heuristic import _polyline_distance
from server.pipeline.vocabulary import Coco18

pytestmark = pytest.mark.slow  # 24 photos and 24 garments

K = {k.name.lower(): k for k in Coco18}
ACGPN_CLASSES = {"hair": [1], "face": [12], "upper_clothes": [4], "arms": [11, 13], "pants": [8]}
# Per-photo medians over the 24 photos, a little below what was measured (docs/preprocessing.md).
# Measured, learned parser before its labels were centred: hair 0.87, face 0.92, upper 0.95, arms 0.86, pants 0.94.
LEARNED_MEDIAN_IOU = {"hair": 0.82, "face": 0.88, "upper_clothes": 0.92, "arms": 0.82, "pants": 0.9}
# IoU summed over the 24 photos, learned parser; measured: mean of six 0.882, arms 0.802 and 0.843.
LEARNED_SUMMED_MEAN, LEARNED_SUMMED_ARMS = 0.87, 0.79
MEDIAN_IOU = {
    "heuristic": {"hair": 0.6, "face": 0.7, "upper_clothes": 0.8, "arms": 0.7, "pants": 0.8},
    "learned": LEARNED_MEDIAN_IOU,
}


def read_rgb(path):
    with Image.open(path) as image:
        return np.array(image.convert("RGB"))


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


@pytest.fixture(scope="module")
def viton(shared_dir):
    root = shared_dir / "eval" / "viton_dev"
    ids = sorted(p.stem for p in (root / "image").glob("*_0.jpg"))
    assert len(ids) == 24
    return root, ids


@pytest.fixture(scope="module", params=["learned", "heuristic"])
def preprocessor(request):
    p = Preprocessor(PreprocessConfig(parser=request.param))
    yield p
    p.close()


@pytest.fixture(scope="module")
def analyses(viton, preprocessor):
    root, ids = viton
    return {i: preprocessor.analyze_person(read_rgb(root / "image" / f"{i}.jpg")) for i in ids}


def truth_labels(root, person_id: str) -> np.ndarray:
    with Image.open(root / "image-parse" / f"{person_id}.png") as parse:  # palette PNG: raw indices
        return lip_to_acgpn(np.array(parse))


def truth_keypoints(root, person_id: str) -> np.ndarray:
    data = json.loads((root / "pose" / f"{person_id}_keypoints.json").read_text())
    return np.array(data["people"][0]["pose_keypoints"], np.float32).reshape(18, 3)


@pytest.mark.parametrize("name", list(ACGPN_CLASSES))
def test_parsing_matches_viton_annotation(viton, preprocessor, analyses, name):
    root, ids = viton
    scores = []
    for i in ids:
        truth = np.isin(truth_labels(root, i), ACGPN_CLASSES[name])
        if truth.sum() >= 30:
            scores.append(iou(np.isin(analyses[i].labels, ACGPN_CLASSES[name]), truth))
    assert np.median(scores) > MEDIAN_IOU[preprocessor.parser_name][name], np.round(scores, 2)
    assert min(scores) > 0.2, np.round(scores, 2)


def test_keypoints_match_openpose(viton, analyses):
    """Mean distance over the joints both detect, hips excluded (BlazePose puts them lower, at the
    trochanter): measured 3.5 px on average, 7.4 px at worst, in 192×256 photos."""
    root, ids = viton
    means = []
    for i in ids:
        ours, theirs = analyses[i].keypoints, truth_keypoints(root, i)
        both = (ours[:, 2] > 0) & (theirs[:, 2] > 0)
        both[[K["r_hip"], K["l_hip"]]] = False
        assert both.sum() >= 8, i
        means.append(np.linalg.norm(ours[both, :2] - theirs[both, :2], axis=1).mean())
    assert np.mean(means) < 5 and max(means) < 10, np.round(means, 1)


def test_keypoints_are_in_anatomical_order(analyses):
    for person_id, analysis in analyses.items():
        kp = analysis.keypoints
        assert kp[K["nose"], 1] < kp[K["neck"], 1] < min(kp[K["r_hip"], 1], kp[K["l_hip"], 1]), person_id
        assert kp[K["r_shoulder"], 0] < kp[K["neck"], 0] < kp[K["l_shoulder"], 0], person_id


def test_arm_labels_lie_along_their_own_arm(analyses):
    for person_id, analysis in analyses.items():
        kp = analysis.keypoints
        shape = analysis.labels.shape
        width = np.linalg.norm(kp[K["r_shoulder"], :2] - kp[K["l_shoulder"], :2])
        for label, joints in ((11, ("l_shoulder", "l_elbow", "l_wrist")), (13, ("r_shoulder", "r_elbow", "r_wrist"))):
            points = kp[[K[j] for j in joints]]
            arm = analysis.labels == label
            if arm.sum() < 30 or (points[:, 2] == 0).any():
                continue
            hand = points[2, :2] + 0.5 * (points[2, :2] - points[1, :2])  # the hand continues the forearm
            near = _polyline_distance(shape, np.vstack([points[:, :2], hand])) < 0.35 * width
            assert (arm & near).sum() > 0.85 * arm.sum(), (person_id, label)


def test_learned_parser_meets_its_acceptance_figures(viton, preprocessor, analyses):
    """IoU summed over the 24 photos (docs/preprocessing.md): the six labels the try-on relies on."""
    if preprocessor.parser_name != "learned":
        pytest.skip("acceptance figures are the learned parser's")
    root, ids = viton
    labels = {"hair": 1, "upper": 4, "pants": 8, "left_arm": 11, "face": 12, "right_arm": 13}
    inter, union, worst = dict.fromkeys(labels, 0), dict.fromkeys(labels, 0), 1.0
    for i in ids:
        truth, ours = truth_labels(root, i), analyses[i].labels
        photo = []
        for name, label in labels.items():
            p, t = ours == label, truth == label
            inter[name] += (p & t).sum()
            union[name] += (p | t).sum()
            if (p | t).sum() >= 100:
                photo.append((p & t).sum() / (p | t).sum())
        worst = min(worst, float(np.mean(photo)))
    iou = {name: inter[name] / union[name] for name in labels}
    assert np.mean(list(iou.values())) >= LEARNED_SUMMED_MEAN, iou
    assert min(iou["left_arm"], iou["right_arm"]) >= LEARNED_SUMMED_ARMS, iou
    assert worst >= 0.6


@pytest.fixture(scope="module")
def garment_masker():
    p = Preprocessor(PreprocessConfig(parser="heuristic"))
    yield p
    p.close()


def test_garment_masks_match_viton_cloth_masks(viton, garment_masker):
    """Measured: median 0.99; VITON's own masks are wrong on a few white or sheer garments (0.32 to 0.71)."""
    root, ids = viton
    scores = []
    for i in ids:
        garment_id = i.replace("_0", "_1")
        photo = read_rgb(root / "cloth" / f"{garment_id}.jpg")
        with Image.open(root / "cloth-mask" / f"{garment_id}.jpg") as mask:
            truth = np.array(mask.convert("L")) > 127
        scores.append(iou(garment_masker.analyze_garment(photo).mask > 0, truth))
    assert np.median(scores) > 0.95, np.round(scores, 2)
    assert sum(s > 0.9 for s in scores) >= 20, np.round(scores, 2)
