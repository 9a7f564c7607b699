"""The VITON training split in the CP-VTON layout (192×256), read in place from its zip files.

VITON: Han et al., "VITON: An Image-based Virtual Try-on Network", CVPR 2018 (github.com/xthan/VITON);
it is for non-commercial research use only: nothing read here is ever written into the repository. CP-VTON
(Wang et al., "Toward Characteristic-Preserving Image-based Virtual Try-On Network", ECCV 2018,
github.com/sergeywong/cp-vton) re-published it with a `pairs.txt` of "<id>_0.jpg <id>_1.jpg" lines and
per-kind folders; here each folder is a zip: image.zip (persons <id>_0.jpg), parse.zip (their LIP-20
parses, palette PNGs <id>_0.png), cloth.zip (the in-shop garment <id>_1.jpg).
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

# The VITON training split (pairs.txt and the zips above), where the training data lives (not in the repository).
DEFAULT_ROOT = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "viton_train"
VALIDATION_SIZE = 500  # the last ids of pairs.txt: never trained on


class VitonTrain:
    """Random access to persons, their LIP-20 parses and garments by id (e.g. "000003")."""

    def __init__(self, root: Path = DEFAULT_ROOT) -> None:
        self.root = Path(root)
        pairs = (self.root / "pairs.txt").read_text().split()
        self.ids = [name.split("_")[0] for name in pairs[0::2]]
        self._zips: dict[str, zipfile.ZipFile] = {}

    @property
    def train_ids(self) -> list[str]:
        return self.ids[:-VALIDATION_SIZE]

    @property
    def val_ids(self) -> list[str]:
        return self.ids[-VALIDATION_SIZE:]

    def _read(self, archive: str, name: str) -> Image.Image:
        # Archives are opened on first use (a parser-only data set has no cloth.zip), by each process itself.
        if archive not in self._zips:
            self._zips[archive] = zipfile.ZipFile(self.root / f"{archive}.zip")
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
