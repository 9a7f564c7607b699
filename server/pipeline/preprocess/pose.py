"""Body keypoints in OpenPose COCO-18 order, and the OpenPose JSON that ACGPN's loader reads.

The default comes from MediaPipe BlazePose (33 landmarks, already computed by `BodyModel`), mapped to COCO-18
by name (BlazePose has no neck: it is the midpoint of the shoulders). A user who has the OpenPose COCO body
model can use it instead.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from server.pipeline.errors import BackendUnavailable
from server.pipeline.vocabulary import BlazePose, Coco18

# COCO-18 keypoint → BlazePose landmark; the neck is the midpoint of the shoulders. MediaPipe's "left" is the
# subject's left, as in OpenPose.
BLAZEPOSE_FOR_COCO18: dict[Coco18, BlazePose | None] = {
    Coco18.NOSE: BlazePose.NOSE,
    Coco18.NECK: None,
    Coco18.R_SHOULDER: BlazePose.RIGHT_SHOULDER,
    Coco18.R_ELBOW: BlazePose.RIGHT_ELBOW,
    Coco18.R_WRIST: BlazePose.RIGHT_WRIST,
    Coco18.L_SHOULDER: BlazePose.LEFT_SHOULDER,
    Coco18.L_ELBOW: BlazePose.LEFT_ELBOW,
    Coco18.L_WRIST: BlazePose.LEFT_WRIST,
    Coco18.R_HIP: BlazePose.RIGHT_HIP,
    Coco18.R_KNEE: BlazePose.RIGHT_KNEE,
    Coco18.R_ANKLE: BlazePose.RIGHT_ANKLE,
    Coco18.L_HIP: BlazePose.LEFT_HIP,
    Coco18.L_KNEE: BlazePose.LEFT_KNEE,
    Coco18.L_ANKLE: BlazePose.LEFT_ANKLE,
    Coco18.R_EYE: BlazePose.RIGHT_EYE,
    Coco18.L_EYE: BlazePose.LEFT_EYE,
    Coco18.R_EAR: BlazePose.RIGHT_EAR,
    Coco18.L_EAR: BlazePose.LEFT_EAR,
}
MIN_VISIBILITY = 0.5


def coco18_from_blazepose(landmarks: np.ndarray, width: int, height: int) -> np.ndarray:
    """(33, 3) BlazePose (x, y, visibility) px → (18, 3) float32 COCO-18 (x, y, confidence).

    A point with visibility < 0.5 or outside the image becomes (0, 0, 0), as OpenPose writes a missing joint.
    """
    out = np.zeros((len(Coco18), 3), np.float32)
    for slot, index in BLAZEPOSE_FOR_COCO18.items():
        if index is None:
            right, left = landmarks[BlazePose.RIGHT_SHOULDER], landmarks[BlazePose.LEFT_SHOULDER]
            point = np.array([(right[0] + left[0]) / 2, (right[1] + left[1]) / 2, min(right[2], left[2])])
        else:
            point = landmarks[index]
        x, y, confidence = (float(v) for v in point)
        if confidence >= MIN_VISIBILITY and 0 <= x < width and 0 <= y < height:
            out[slot] = (x, y, confidence)
    return out


def openpose_json(keypoints: np.ndarray) -> dict:
    """OpenPose JSON for one person with both key names: `pose_keypoints` (OpenPose ≤ 1.1, what ACGPN and
    VITON read) and `pose_keypoints_2d` (newer OpenPose)."""
    flat = [round(float(v), 3) for v in np.asarray(keypoints, np.float32).reshape(-1)]
    person = {
        "pose_keypoints": flat,
        "pose_keypoints_2d": flat,
        "face_keypoints": [],
        "hand_left_keypoints": [],
        "hand_right_keypoints": [],
    }
    return {"version": 1.0, "people": [person]}


def write_openpose_json(keypoints: np.ndarray, path: Path) -> None:
    Path(path).write_text(json.dumps(openpose_json(keypoints)))


def scale_keypoints(keypoints: np.ndarray, sx: float, sy: float, dx: float = 0.0, dy: float = 0.0) -> np.ndarray:
    """Map keypoints through x' = x·sx + dx, y' = y·sy + dy, keeping missing points at (0, 0, 0)."""
    out = keypoints.copy()
    present = keypoints[:, 2] > 0
    out[present, 0] = keypoints[present, 0] * sx + dx
    out[present, 1] = keypoints[present, 1] * sy + dy
    return out


class OpenPoseCoco:
    """The OpenPose COCO body model (pose_iter_440000.caffemodel + pose_deploy_linevec.prototxt) through
    OpenCV DNN, single person: the arg-max of each of the 18 heat maps (the community ACGPN Colab's recipe).
    The files are user-supplied; nothing is downloaded."""

    INPUT = 368
    THRESHOLD = 0.05

    def __init__(self, model: Path | None) -> None:
        import cv2

        if model is None:
            raise BackendUnavailable(
                "server.preprocess.pose is 'openpose' but server.preprocess.openpose_model is not set: point it at "
                "the OpenPose COCO body model pose_iter_440000.caffemodel (with pose_deploy_linevec.prototxt "
                "beside it), or use pose: mediapipe"
            )
        model = Path(model).expanduser()
        prototxt = model.with_name("pose_deploy_linevec.prototxt")
        missing = [str(p) for p in (model, prototxt) if not p.is_file()]
        if missing:
            raise BackendUnavailable(
                f"OpenPose model files not found: {', '.join(missing)}. Copy the OpenPose COCO body model "
                "(pose_iter_440000.caffemodel and pose_deploy_linevec.prototxt) there, or use pose: mediapipe"
            )
        self._net = cv2.dnn.readNetFromCaffe(str(prototxt), str(model))

    def estimate(self, rgb: np.ndarray) -> np.ndarray:
        import cv2

        height, width = rgb.shape[:2]
        blob = cv2.dnn.blobFromImage(
            cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), 1 / 255, (self.INPUT, self.INPUT), (0, 0, 0), swapRB=False
        )
        self._net.setInput(blob)
        heatmaps = self._net.forward()[0]  # (57, 46, 46): 18 parts + background + 38 PAFs
        out = np.zeros((len(Coco18), 3), np.float32)
        for k in range(18):
            _, confidence, _, (x, y) = cv2.minMaxLoc(heatmaps[k])
            if confidence > self.THRESHOLD:
                out[k] = (x * width / heatmaps.shape[2], y * height / heatmaps.shape[1], confidence)
        return out
