"""A USB (UVC) camera through OpenCV VideoCapture, by index (0) or device path (/dev/video0)."""
from __future__ import annotations

import os

import cv2
import numpy as np

from kiosk.camera.base import Camera, CameraError


class OpenCVCamera(Camera):
    name = "opencv"

    def __init__(self, device: int | str = 0, *, width: int = 1280, height: int = 960, fps: int = 30) -> None:
        self.device = int(device) if isinstance(device, str) and device.isdigit() else device
        self.size = (width, height)
        self.fps = fps
        self._cap: cv2.VideoCapture | None = None

    def open(self) -> None:
        self.close()
        if isinstance(self.device, str) and not os.path.exists(self.device):
            raise CameraError(f"camera {self.device} is not plugged in")
        cap = cv2.VideoCapture(self.device, cv2.CAP_V4L2 if os.name == "posix" else cv2.CAP_ANY)
        if not cap.isOpened():
            cap.release()
            raise CameraError(f"camera {self.device!r} could not be opened")
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.size[0])
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.size[1])
        cap.set(cv2.CAP_PROP_FPS, self.fps)
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # the newest frame, not a queue of old ones
        self._cap = cap

    def read(self) -> np.ndarray:
        if self._cap is None:
            raise CameraError("camera is not open")
        ok, frame = self._cap.read()
        # An unplugged UVC camera makes read() fail (and the /dev node disappear).
        if not ok or frame is None:
            self.close()
            raise CameraError(f"camera {self.device!r} stopped sending frames (unplugged?)")
        return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    @staticmethod
    def available(device: int | str = 0) -> bool:
        """Whether a camera answers at `device` (used by the `auto` choice)."""
        cam = OpenCVCamera(device)
        try:
            cam.open()
            cam.read()
            return True
        except CameraError:
            return False
        finally:
            cam.close()
