"""What part of the camera frame is the photo: a centred 3:4 portrait crop, the shape of a standing
person and of the try-on models' input. The preview shows exactly this crop."""
from __future__ import annotations

import numpy as np

PORTRAIT = 3 / 4  # width / height


def portrait_crop(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    if w / h > PORTRAIT:
        cw = round(h * PORTRAIT)
        x = (w - cw) // 2
        return rgb[:, x:x + cw]
    ch = round(w / PORTRAIT)
    y = (h - ch) // 2
    return rgb[y:y + ch, :]
