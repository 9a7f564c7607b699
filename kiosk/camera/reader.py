"""A worker thread that reads the camera continuously and keeps only the newest frame.

The UI asks for `latest()` whenever it draws; it never waits on the camera. When the camera fails
(unplugged, missing) the thread closes it and keeps trying to open it again, reporting the problem in
`error` until frames flow again.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import numpy as np

from kiosk.camera.base import Camera, CameraError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Frame:
    rgb: np.ndarray  # (H, W, 3) uint8, as the camera sees it (not mirrored)
    seq: int  # increases by one per frame read
    at: float  # time.monotonic() when it was read


class FrameReader:
    def __init__(self, camera: Camera, *, reconnect_s: float = 1.0) -> None:
        self.camera = camera
        self.reconnect_s = reconnect_s
        self._lock = threading.Lock()
        self._frame: Frame | None = None
        self._error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="camera-reader", daemon=True)

    def start(self) -> FrameReader:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.camera.close()

    def latest(self) -> Frame | None:
        with self._lock:
            return self._frame

    @property
    def error(self) -> str | None:
        """Why there are no frames right now (camera missing or unplugged), or None when they flow."""
        with self._lock:
            return self._error

    def _run(self) -> None:
        seq = 0
        opened = False
        while not self._stop.is_set():
            try:
                if not opened:
                    self.camera.open()
                    opened = True
                rgb = self.camera.read()
            except CameraError as exc:
                if opened or self._error is None:
                    log.warning("camera: %s; reconnecting every %.1f s", exc, self.reconnect_s)
                opened = False
                self.camera.close()
                with self._lock:
                    self._error = str(exc)
                    self._frame = None
                self._stop.wait(self.reconnect_s)
                continue
            seq += 1
            with self._lock:
                self._frame = Frame(rgb, seq, time.monotonic())
                self._error = None
