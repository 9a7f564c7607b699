"""The VITON training split as published in ../shared/data/viton_train (CP-VTON layout, 192×256), read in
place from its zip files. VITON (Han et al., CVPR 2018) is for non-commercial research use only: nothing read
here is ever written into the repository.
"""
from __future__ import annotations

import io
import zipfile
from functools import cached_property
from pathlib import Path

import numpy as np
from PIL import Image

DEFAULT_ROOT = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "viton_train"
VALIDATION_SIZE = 500  # the last ids of pairs.txt: never trained on


class VitonTrain:
    """Random access to persons, their LIP-20 parses and garments by id (e.g. "000003")."""

    def __init__(self, root: Path = DEFAULT_ROOT) -> None:
        self.root = Path(root)
        pairs = (self.root / "pairs.txt").read_text().split()
        self.ids = [name.split("_")[0] for name in pairs[0::2]]

    @property
    def train_ids(self) -> list[str]:
        return self.ids[:-VALIDATION_SIZE]

    @property
    def val_ids(self) -> list[str]:
        return self.ids[-VALIDATION_SIZE:]

    @cached_property
    def _zips(self) -> dict[str, zipfile.ZipFile]:
        # Opened lazily, so each worker process that forks off a VitonTrain opens its own handles.
        return {name: zipfile.ZipFile(self.root / f"{name}.zip") for name in ("image", "cloth", "parse")}

    def _read(self, archive: str, name: str) -> Image.Image:
        return Image.open(io.BytesIO(self._zips[archive].read(name)))

    def person(self, person_id: str) -> np.ndarray:
        """(256, 192, 3) uint8 RGB."""
        return np.array(self._read("image", f"{person_id}_0.jpg").convert("RGB"))

    def parse(self, person_id: str) -> np.ndarray:
        """(256, 192) uint8 LIP-20 (palette PNG: the raw indices)."""
        return np.array(self._read("parse", f"{person_id}_0.png"))

    def garment(self, person_id: str) -> np.ndarray:
        """(256, 192, 3) uint8 RGB in-shop photo of the garment the person wears."""
        return np.array(self._read("cloth", f"{person_id}_1.jpg").convert("RGB"))
