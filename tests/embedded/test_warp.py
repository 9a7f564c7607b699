"""The piecewise warp puts the garment's landmarks where the body targets say."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from server.pipeline.backends.embedded.backend import synthetic_pair
from server.pipeline.backends.embedded.body_targets import body_targets
from server.pipeline.backends.embedded.landmarks import find_landmarks
from server.pipeline.backends.embedded.warp import prepare_garment, warp_garment

MARKERS = {"shoulder_l": (255, 0, 0), "shoulder_r": (0, 255, 0), "hem_l": (0, 0, 255), "hem_r": (255, 255, 0)}


def _marker_centre(rgb: np.ndarray, alpha: np.ndarray, colour: tuple[int, int, int]) -> np.ndarray | None:
    hit = (np.abs(rgb - np.array(colour, np.float32)).max(-1) < 60) & (alpha > 0.5)
    ys, xs = np.nonzero(hit)
    return np.array([xs.mean(), ys.mean()]) if len(xs) else None


@pytest.mark.parametrize("category", ["tshirt", "long_sleeve", "tank_top"])
def test_shoulder_and_hem_landmarks_land_on_their_body_targets(garment, category):
    g = garment(category, colour=(128, 128, 128))
    person, _ = synthetic_pair()
    scale = 4  # the synthetic figure at 768x1024
    kp = person.keypoints.copy()
    kp[:, :2] *= scale
    lip = cv2.resize(person.lip, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    landmarks = find_landmarks(g.mask, category, g.image)
    targets = body_targets(landmarks, g.mask, kp, lip)
    sw = targets.frame.shoulder_width
    image = g.image.copy()
    for name, colour in MARKERS.items():
        # A small disc of its own colour just inside the garment at each landmark.
        inward = np.array([1.0 if name.endswith("_l") else -1.0, 1.0 if name.startswith("shoulder") else -1.0])
        centre = landmarks[name] + 12 * inward
        cv2.circle(image, tuple(int(v) for v in centre), 9, colour, -1)
    torso, _ = warp_garment(prepare_garment(image, g.mask, category), targets, lip.shape)
    for name, colour in MARKERS.items():
        found = _marker_centre(torso.rgb, torso.alpha, colour)
        assert found is not None, f"{name} marker vanished in the warp"
        assert np.linalg.norm(found - targets.placed[name]) < 0.12 * sw, (name, found, targets.placed[name])


def test_a_long_sleeve_follows_a_bent_arm_to_the_wrist(garment):
    """Elbow out, forearm folded back across the body: the sleeve's cuff ends up at the wrist, not on the
    straight line from the shoulder."""
    g = garment("long_sleeve", colour=(128, 128, 128))
    person, _ = synthetic_pair()
    scale = 4
    kp = person.keypoints.copy()
    kp[3, :2] = (30, 140)  # image-left elbow out to the side
    kp[4, :2] = (80, 150)  # wrist back in front of the belly
    kp[:, :2] *= scale
    lip = cv2.resize(person.lip, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    prepared = prepare_garment(g.image, g.mask, "long_sleeve")
    targets = body_targets(prepared.landmarks, g.mask, kp, lip)
    _, sleeves = warp_garment(prepared, targets, lip.shape)
    assert len(sleeves) == 2, "a sleeve was dropped as folded"
    wrist, elbow = kp[4, :2], kp[3, :2]
    left = sleeves[0].alpha
    near = lambda p: left[max(0, int(p[1]) - 20):int(p[1]) + 20, max(0, int(p[0]) - 20):int(p[0]) + 20].max()  # noqa: E731
    assert near(elbow) > 0.5 and near(wrist) > 0.5
    # The straight continuation of the upper arm, past the elbow, stays bare.
    past = elbow + (elbow - kp[2, :2]) * 0.5
    assert near(past) < 0.5


def test_a_long_sleeve_stays_on_a_forearm_pointing_at_the_camera(garment):
    """Elbow below the shoulder, wrist foreshortened to a stub just inside the elbow (the forearm points at
    the camera): the arm is shorter than the sleeve, which still follows it to the wrist instead of being
    dropped as folded or too small (the arm would then show as bare skin)."""
    g = garment("long_sleeve", colour=(128, 128, 128))
    person, _ = synthetic_pair()
    scale = 4
    kp = person.keypoints.copy()
    kp[6, :2] = (152, 130)  # image-right elbow
    kp[7, :2] = (144, 130)  # wrist: a forearm seen end-on
    kp[:, :2] *= scale
    lip = cv2.resize(person.lip, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    prepared = prepare_garment(g.image, g.mask, "long_sleeve")
    targets = body_targets(prepared.landmarks, g.mask, kp, lip)
    _, sleeves = warp_garment(prepared, targets, lip.shape)
    assert len(sleeves) == 2, "a sleeve was dropped"
    right = sleeves[1].alpha
    shoulder, elbow = kp[5, :2], kp[6, :2]
    for t in np.linspace(0.3, 1.0, 8):
        x, y = (shoulder + t * (elbow - shoulder)).astype(int)
        assert right[y - 8:y + 8, x - 8:x + 8].mean() > 0.5, f"upper arm bare at {t:.2f} of shoulder→elbow"


@pytest.mark.parametrize("category, colour", [("tank_top", (240, 240, 235)), ("tshirt", (28, 36, 88)),
                                              ("tank_top", (20, 20, 20))])
def test_no_inner_back_is_left_above_the_front_neckline(garment, category, colour):
    """The shaded inside of the back that shows through the neck opening (darker than the front) is cut out
    of the piece that gets warped: none of it is left inside the opening, above the front neckline."""
    g = garment(category, colour=colour)
    prepared = prepare_garment(g.image, g.mask, category)
    lm = prepared.landmarks
    kept = prepared.pieces[0][..., 3] > 0
    lum = cv2.cvtColor(g.image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    front = np.median(lum[int(lm["neck_front"][1]) + 20:int(lm["neck_front"][1]) + 60,
                          int(lm["neck_front"][0]) - 20:int(lm["neck_front"][0]) + 20])
    x0, x1 = int(lm["neck_l"][0]), int(lm["neck_r"][0])
    y0, y1 = int(min(lm["neck_l"][1], lm["neck_r"][1])), int(lm["neck_front"][1])
    opening = np.zeros_like(kept)
    opening[y0:y1, x0:x1] = True
    shaded_inside = opening & kept & (cv2.GaussianBlur(lum, (0, 0), 2) < front / 1.4)
    assert shaded_inside.sum() < 0.002 * opening.sum(), int(shaded_inside.sum())
