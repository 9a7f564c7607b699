"""The person path of the preprocessing stage on skimage's astronaut, a real photo cropped at the waist."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from common.config.server import PreprocessConfig
from server.pipeline.errors import BackendUnavailable, BadFraming, NoPersonFound, PipelineError, UnsupportedCategory
from server.pipeline.preprocess import Preprocessor
from server.pipeline.preprocess.labels import ACGPN_VALUES, lip_to_acgpn
from server.pipeline.vocabulary import Coco18, Lip

K = {k.name.lower(): k for k in Coco18}
L = {label.name.lower(): label for label in Lip}


@pytest.fixture(scope="module", params=["learned", "heuristic"])
def preprocessor(request):
    """The default (learned) parser and its fallback both hold on the astronaut."""
    p = Preprocessor(PreprocessConfig(parser=request.param))
    p.warmup()
    yield p
    p.close()


@pytest.fixture(scope="module")
def timed_analysis(preprocessor, astronaut):
    timings: dict[str, float] = {}
    return preprocessor.analyze_person(astronaut, timings=timings), timings


@pytest.fixture(scope="module")
def analysis(timed_analysis):
    return timed_analysis[0]


def centroid(mask: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(mask)
    return np.array([xs.mean(), ys.mean()])


def test_analysis_is_at_the_photo_resolution(analysis, astronaut):
    assert analysis.lip.shape == analysis.labels.shape == analysis.person_mask.shape == astronaut.shape[:2]
    assert analysis.keypoints.shape == (18, 3) and analysis.keypoints.dtype == np.float32


def test_every_stage_reports_its_time(timed_analysis):
    _, timings = timed_analysis
    assert set(timings) == {"people", "pose", "parsing", "upsample"}
    assert all(ms > 0 for ms in timings.values())


def test_astronaut_is_accepted_with_a_warning_about_the_hips(analysis):
    assert any("hips" in w for w in analysis.warnings)


def test_keypoints_lie_on_the_person(analysis):
    inside = cv2.dilate((analysis.person_mask > 0.5).astype(np.uint8), np.ones((11, 11), np.uint8))
    present = analysis.keypoints[analysis.keypoints[:, 2] > 0]
    assert len(present) >= 9  # head (5), neck, both shoulders, an elbow
    assert all(inside[int(y), int(x)] for x, y, _ in present)


def test_keypoints_are_in_anatomical_order(analysis):
    kp = analysis.keypoints
    for name in ("nose", "neck", "r_shoulder", "l_shoulder", "r_eye", "l_eye"):
        assert kp[K[name], 2] > 0, name
    assert kp[K["r_eye"], 1] < kp[K["nose"], 1] < kp[K["neck"], 1]
    assert kp[K["r_shoulder"], 0] < kp[K["neck"], 0] < kp[K["l_shoulder"], 0]  # subject's right on image left
    assert kp[K["r_eye"], 0] < kp[K["l_eye"], 0]
    for hip in ("r_hip", "l_hip"):  # below the frame here: missing, or else below the neck
        assert kp[K[hip], 2] == 0 or kp[K[hip], 1] > kp[K["neck"], 1]


def test_face_is_around_the_nose(analysis):
    face = analysis.lip == L["face"]
    x, y = analysis.keypoints[K["nose"], :2].astype(int)
    assert face[y, x]
    ys, xs = np.nonzero(face)
    width = xs.max() - xs.min()
    assert 0.08 * 512 < width < 0.3 * 512
    assert np.linalg.norm(centroid(face) - analysis.keypoints[K["nose"], :2]) < 0.4 * width


def test_hair_is_above_and_around_the_face(analysis):
    hair, face = analysis.lip == L["hair"], analysis.lip == L["face"]
    assert hair.sum() > 0.3 * face.sum()
    assert centroid(hair)[1] < centroid(face)[1]
    ys, _ = np.nonzero(hair)
    assert np.percentile(ys, 95) < analysis.keypoints[K["neck"], 1]


def test_suit_is_upper_clothes_below_the_shoulders(analysis):
    upper = analysis.lip == L["upper_clothes"]
    kp = analysis.keypoints
    cx, cy = centroid(upper)
    assert kp[K["r_shoulder"], 0] < cx < kp[K["l_shoulder"], 0]
    assert cy > kp[K["neck"], 1]
    # measured, learned parser: 0.23 of the photo (0.27 before its retraining on centred labels, which leaves the
    # mission patch and the zip out of the suit: server/weights/parser.md, known limits)
    assert upper.sum() > 0.2 * upper.size
    # the orange sleeves are clothes, not bare arms
    arms = np.isin(analysis.lip, [L["left_arm"], L["right_arm"]])
    assert arms.sum() < 0.05 * upper.sum()


def test_acgpn_labels_are_the_mapped_lip_labels(analysis):
    assert set(np.unique(analysis.labels)) <= ACGPN_VALUES
    assert np.array_equal(analysis.labels, lip_to_acgpn(analysis.lip))


def test_blank_photo_has_no_person(preprocessor):
    with pytest.raises(NoPersonFound):
        preprocessor.analyze_person(np.full((512, 512, 3), 200, np.uint8))


def test_person_far_away_is_told_to_step_closer(preprocessor, astronaut):
    canvas = np.full((1024, 768, 3), 235, np.uint8)
    small = cv2.resize(astronaut, None, fx=0.4, fy=0.4, interpolation=cv2.INTER_AREA)
    canvas[400:400 + small.shape[0], 300:300 + small.shape[1]] = small
    with pytest.raises(BadFraming, match="closer"):
        preprocessor.analyze_person(canvas)


def test_hips_cut_off_high_is_refused(preprocessor, astronaut):
    with pytest.raises(BadFraming, match="hips"):
        preprocessor.analyze_person(np.ascontiguousarray(astronaut[:380]))


def test_shoulder_out_of_frame_is_refused(preprocessor, astronaut):
    with pytest.raises(BadFraming, match="shoulder"):
        preprocessor.analyze_person(np.ascontiguousarray(astronaut[:, 150:]))


@pytest.mark.parametrize("big_on_left", [True, False])
def test_two_people_the_larger_is_used_with_a_warning(preprocessor, astronaut, big_on_left):
    canvas = np.full((600, 1000, 3), 235, np.uint8)
    small = cv2.resize(astronaut, None, fx=0.6, fy=0.6, interpolation=cv2.INTER_AREA)
    big_x, small_x = (0, 600) if big_on_left else (488, 50)
    canvas[88:600, big_x:big_x + 512] = astronaut
    canvas[600 - small.shape[0]:, small_x:small_x + small.shape[1]] = small
    result = preprocessor.analyze_person(canvas)
    assert any("2 people" in w for w in result.warnings)
    nose_x = result.keypoints[K["nose"], 0]
    assert big_x < nose_x < big_x + 512


def test_unknown_category_is_refused(preprocessor, astronaut):
    with pytest.raises(UnsupportedCategory):
        preprocessor.analyze_person(astronaut, category="trousers")


def test_non_rgb_input_is_refused(preprocessor):
    with pytest.raises(PipelineError, match="RGB"):
        preprocessor.analyze_person(np.zeros((512, 512), np.uint8))


def test_schp_without_checkpoint_says_what_is_missing(tmp_path):
    with pytest.raises(BackendUnavailable, match="not found"):
        Preprocessor(PreprocessConfig(parser="schp", schp_checkpoint=tmp_path / "lip_final.pth"))


def test_openpose_without_model_says_what_is_missing(tmp_path):
    with pytest.raises(BackendUnavailable, match="pose_iter_440000"):
        Preprocessor(PreprocessConfig(pose="openpose", openpose_model=tmp_path / "pose_iter_440000.caffemodel"))


@pytest.mark.parametrize("shape", [(64, 64, 3), (2000, 120, 3), (120, 2000, 3), (700, 500, 3)])
def test_odd_sized_noise_gives_a_clear_error_never_a_crash(preprocessor, shape):
    noise = np.random.default_rng(1).integers(0, 256, shape, dtype=np.uint8)
    with pytest.raises((NoPersonFound, BadFraming)):
        preprocessor.analyze_person(noise)


def test_photo_smaller_than_64_px_is_refused(preprocessor):
    with pytest.raises(PipelineError, match="too small"):
        preprocessor.analyze_person(np.zeros((40, 30, 3), np.uint8))
