"""Pick the camera source the config asks for (`auto`: the Pi camera, else a USB camera, else a file)."""
from __future__ import annotations

import logging
from pathlib import Path

from common.config.kiosk import CameraConfig
from kiosk.camera.base import Camera, CameraError
from kiosk.camera.file_camera import FileCamera
from kiosk.camera.opencv_camera import OpenCVCamera
from kiosk.camera.picamera2_camera import Picamera2Camera

log = logging.getLogger(__name__)


def make_camera(config: CameraConfig, *, file_path: Path | None = None) -> Camera:
    """The camera for `config`. `file_path` overrides `config.path` for the file source (--demo)."""
    source = config.source
    path = file_path or config.path
    if source == "auto":
        if Picamera2Camera.importable():
            source = "picamera2"
        elif OpenCVCamera.available(config.device):
            source = "opencv"
        elif path is not None:
            source = "file"
        else:
            raise CameraError("no camera found: no Pi camera, no USB camera, and kiosk.camera.path is not set")
        log.info("camera source auto -> %s", source)
    if source == "picamera2":
        return Picamera2Camera(width=config.width, height=config.height, fps=config.fps)
    if source == "opencv":
        return OpenCVCamera(config.device, width=config.width, height=config.height, fps=config.fps)
    if path is None:
        raise CameraError("kiosk.camera.source is 'file' but kiosk.camera.path is not set")
    return FileCamera(path, fps=config.fps)
