"""One MediaPipe Holistic pass over a photo: body landmarks, face mesh, hands and a person mask.

The graph is created once per `BodyModel` and guarded by a lock: MediaPipe's legacy solutions keep per-graph
state and are not safe to call from two threads at once.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Optional

import numpy as np


@dataclass
class BodyObservation:
    """What MediaPipe saw, in pixels of the analysed image."""

    landmarks: np.ndarray  # (33, 3) BlazePose (x, y, visibility); x, y may lie outside the image
    face: Optional[np.ndarray]  # (468, 2) face-mesh points, or None when the face was not found
    hands: list[np.ndarray]  # 0..2 arrays (21, 2) of hand landmarks
    person_mask: np.ndarray  # (H, W) float32 in [0, 1]


def _points(landmark_list, width: int, height: int) -> np.ndarray:
    return np.array([(p.x * width, p.y * height) for p in landmark_list.landmark], np.float32)


class BodyModel:
    """MediaPipe Holistic (BlazePose full, complexity 1, static images) with segmentation."""

    def __init__(self) -> None:
        import mediapipe as mp

        self._holistic = mp.solutions.holistic.Holistic(
            static_image_mode=True, model_complexity=1, enable_segmentation=True, refine_face_landmarks=False
        )
        self._lock = threading.Lock()

    def observe(self, rgb: np.ndarray) -> Optional[BodyObservation]:
        """Landmarks of the one person MediaPipe picks, or None when it finds nobody."""
        height, width = rgb.shape[:2]
        with self._lock:
            result = self._holistic.process(np.ascontiguousarray(rgb))
        if result.pose_landmarks is None:
            return None
        landmarks = np.array(
            [(p.x * width, p.y * height, p.visibility) for p in result.pose_landmarks.landmark], np.float32
        )
        face = _points(result.face_landmarks, width, height) if result.face_landmarks else None
        hands = [_points(h, width, height) for h in (result.left_hand_landmarks, result.right_hand_landmarks) if h]
        mask = result.segmentation_mask
        if mask is None:
            mask = np.zeros((height, width), np.float32)
        return BodyObservation(landmarks, face, hands, np.asarray(mask, np.float32))

    def close(self) -> None:
        with self._lock:
            self._holistic.close()
