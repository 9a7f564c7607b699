"""The human-parser interface: a photo and what MediaPipe saw in it → a LIP-20 label map."""
from __future__ import annotations

from typing import Protocol

import numpy as np

from server.pipeline.preprocess.body import BodyObservation


class HumanParser(Protocol):
    name: str

    def parse(self, rgb: np.ndarray, body: BodyObservation) -> np.ndarray:
        """(H, W, 3) uint8 RGB → (H, W) uint8 LIP-20 labels (server.pipeline.types.LIP)."""
        ...
