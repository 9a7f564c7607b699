"""The Raspberry Pi camera module through picamera2 (Raspberry Pi OS apt: python3-picamera2).

picamera2 only exists on Raspberry Pi OS, so it is imported when a camera is opened, never at import time.
"""
from __future__ import annotations

import importlib.util

import numpy as np

from kiosk.camera.base import Camera, CameraError


class Picamera2Camera(Camera):
    name = "picamera2"

    def __init__(self, *, width: int = 1280, height: int = 960, fps: int = 30) -> None:
        self.size = (width, height)
        self.fps = fps
        self._cam = None

    @staticmethod
    def importable() -> bool:
        return importlib.util.find_spec("picamera2") is not None

    def open(self) -> None:
        self.close()
        try:
            from picamera2 import Picamera2
        except ImportError as exc:
            raise CameraError("picamera2 is not installed (Raspberry Pi OS: apt install python3-picamera2)") from exc
        try:
            cam = Picamera2()
            config = cam.create_preview_configuration(
                main={"size": self.size, "format": "RGB888"},
                controls={"FrameRate": float(self.fps)},
                buffer_count=2,
            )
            cam.configure(config)
            cam.start()
        except (RuntimeError, IndexError, OSError) as exc:  # no camera connected / busy
            raise CameraError(f"Pi camera could not be started: {exc}") from exc
        self._cam = cam

    def read(self) -> np.ndarray:
        if self._cam is None:
            raise CameraError("camera is not open")
        try:
            frame = self._cam.capture_array("main")
        except (RuntimeError, OSError) as exc:
            self.close()
            raise CameraError(f"Pi camera stopped: {exc}") from exc
        # libcamera's "RGB888" is stored B, G, R in memory.
        return np.ascontiguousarray(frame[:, :, 2::-1])

    def close(self) -> None:
        if self._cam is not None:
            try:
                self._cam.stop()
                self._cam.close()
            except (RuntimeError, OSError):
                pass
            self._cam = None
