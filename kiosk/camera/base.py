"""The one camera interface every source implements."""
from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np


class CameraError(Exception):
    """The camera is missing, unplugged or returned no frame; the message says which, for staff."""


class Camera(ABC):
    """A source of RGB frames. `open` may be called again after `close` (that is how reconnecting works)."""

    name: str = "camera"

    @abstractmethod
    def open(self) -> None:
        """Start the device. Raises CameraError when it is not there."""

    @abstractmethod
    def read(self) -> np.ndarray:
        """Block until the next frame and return it as RGB uint8 (H, W, 3). Raises CameraError."""

    @abstractmethod
    def close(self) -> None:
        """Release the device; safe to call twice or on a camera that never opened."""

    def __enter__(self) -> Camera:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
