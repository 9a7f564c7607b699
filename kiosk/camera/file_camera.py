"""A camera that plays a file: one image, a folder of images (cycled), or a video (looped).

For demos, tests and benchmarks. Frames come at the configured rate, like a real camera.
"""
from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np

from kiosk.camera.base import Camera, CameraError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}


class FileCamera(Camera):
    name = "file"

    def __init__(self, path: str | Path, *, fps: int = 30, seconds_per_image: float = 4.0) -> None:
        self.path = Path(path).expanduser()
        self.period = 1.0 / fps
        self.seconds_per_image = seconds_per_image
        self._images: list[np.ndarray] = []
        self._video: cv2.VideoCapture | None = None
        self._next_at = 0.0
        self._started = 0.0

    def open(self) -> None:
        self.close()
        if not self.path.exists():
            raise CameraError(f"camera file {self.path} does not exist")
        if self.path.is_dir():
            files = sorted(p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            self._images = [self._load(p) for p in files]
            if not self._images:
                raise CameraError(f"no images in {self.path}")
        elif self.path.suffix.lower() in IMAGE_SUFFIXES:
            self._images = [self._load(self.path)]
        else:
            video = cv2.VideoCapture(str(self.path))
            if not video.isOpened():
                raise CameraError(f"cannot play {self.path}")
            self._video = video
        self._started = self._next_at = time.monotonic()

    @staticmethod
    def _load(path: Path) -> np.ndarray:
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            raise CameraError(f"cannot read image {path}")
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    def read(self) -> np.ndarray:
        images, video = self._images, self._video  # open() sets one of them
        if not images and video is None:
            raise CameraError("camera is not open")
        delay = self._next_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        self._next_at = max(self._next_at + self.period, time.monotonic() - self.period)
        if video is None:
            index = int((time.monotonic() - self._started) / self.seconds_per_image) % len(images)
            return images[index].copy()
        ok, frame = video.read()
        if not ok:  # loop the video
            video.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = video.read()
            if not ok:
                raise CameraError(f"cannot read frames from {self.path}")
        return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)

    def close(self) -> None:
        self._images = []
        if self._video is not None:
            self._video.release()
            self._video = None
