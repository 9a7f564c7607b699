"""The garment catalog: a folder of product photos plus optional `catalog.yaml` metadata.

Staff add a photo to the folder and it appears: the folder is rescanned (cheaply, by file stat) when the
catalog is read. Each photo's mask and thumbnail are computed once and cached under its content hash, so
renaming a file or restarting the server costs nothing. A photo that cannot be read is skipped and
reported in `problems`; the rest are served. When the cache cannot be written (full or read-only disk)
the results stay in memory and the catalog keeps working.

A photo may come with its exact mask, `masks/<photo stem>.png` (white = garment, same size as the photo):
it is used instead of the computed one. The built-in catalog ships its masks this way, and staff can add
one for a photo whose computed mask is wrong.

`catalog.yaml` (optional; keys are photo file stems):

    garments:
      navy-tee: {name: "Navy T-shirt", category: tshirt, price: "19.99 €"}
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from PIL import Image, ImageOps

from server.pipeline.types import GarmentAnalysis
from server.pipeline.vocabulary import GarmentCategory, garment_category

log = logging.getLogger(__name__)

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}
MASK_FOLDER = "masks"
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
THUMB_SIZE = (240, 320)
RESCAN_INTERVAL_S = 2.0

MaskFn = Callable[[np.ndarray, GarmentCategory], np.ndarray]


@dataclass(frozen=True)
class Garment:
    id: str
    name: str
    category: GarmentCategory
    price: str | None
    path: Path
    digest: str  # of the photo, and of its mask file when there is one
    mask_path: Path | None = None


def garment_id_for(stem: str) -> str:
    """A URL-safe id from a file stem: 'Blue Tee (2)' → 'blue-tee-2'."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", stem.lower()).strip("-_")
    return slug[:64]


class Catalog:
    def __init__(self, folder: Path, cache_dir: Path, mask_fn: MaskFn) -> None:
        self.folder = folder
        self.cache_dir = cache_dir
        self._mask_fn = mask_fn
        self._lock = threading.RLock()
        self._garments: dict[str, Garment] = {}
        self._stats: dict[Path, tuple[float, int]] = {}
        self._memory: dict[str, bytes] = {}  # cache entries that could not be written to disk
        self._analyses: dict[str, GarmentAnalysis] = {}
        self._scanned_at = 0.0
        self._problems: dict[str, str] = {}

    # -- reading -------------------------------------------------------------------------------------
    def garments(self) -> list[Garment]:
        self.refresh()
        with self._lock:
            return list(self._garments.values())

    def get(self, garment_id: str) -> Garment | None:
        self.refresh()
        with self._lock:
            return self._garments.get(garment_id)

    @property
    def problems(self) -> dict[str, str]:
        """Photos (and metadata) that were skipped, with the reason, for /readyz and the logs."""
        self.refresh()
        with self._lock:
            return dict(self._problems)

    def analysis(self, garment: Garment) -> GarmentAnalysis:
        """The garment photo and its cached mask, ready for the try-on backend."""
        with self._lock:
            cached = self._analyses.get(garment.digest)
        if cached is not None:
            return cached
        image = _load_rgb(garment.path)
        mask = self._supplied_mask(garment.mask_path, garment, image) if garment.mask_path else None
        if mask is None:
            mask = self._cached_mask(garment.digest, image, garment.category)
        analysis = GarmentAnalysis(image=image, mask=mask, category=garment.category)
        with self._lock:
            self._analyses[garment.digest] = analysis
        return analysis

    def thumbnail(self, garment: Garment) -> bytes:
        key = f"{garment.digest}.thumb.jpg"
        data = self._read_cache(key)
        if data is None:
            image: Image.Image = Image.open(garment.path)
            image = ImageOps.exif_transpose(image).convert("RGB")
            image.thumbnail(THUMB_SIZE, Image.Resampling.LANCZOS)
            buffer = io.BytesIO()
            image.save(buffer, format="JPEG", quality=85)
            data = buffer.getvalue()
            self._write_cache(key, data)
        return data

    # -- scanning ------------------------------------------------------------------------------------
    def refresh(self, *, force: bool = False) -> None:
        """Pick up added, changed and removed photos. Cheap: only stats files unless something changed."""
        with self._lock:
            if not force and time.monotonic() - self._scanned_at < RESCAN_INTERVAL_S:
                return
            self._scanned_at = time.monotonic()
            photos = sorted(p for p in self.folder.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES and p.is_file()) \
                if self.folder.is_dir() else []
            masks = sorted((self.folder / MASK_FOLDER).glob("*.png"))
            stats = {p: (p.stat().st_mtime, p.stat().st_size) for p in photos + masks}
            meta_path = self.folder / "catalog.yaml"
            if meta_path.exists():
                stats[meta_path] = (meta_path.stat().st_mtime, meta_path.stat().st_size)
            if stats == self._stats and not force:
                return
            self._stats = stats
            self._rebuild(photos, self._read_metadata(meta_path))

    def _read_metadata(self, path: Path) -> dict[str, dict]:
        if not path.exists():
            return {}
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            entries = data.get("garments", {}) if isinstance(data, dict) else {}
            if not isinstance(entries, dict):
                raise ValueError("'garments' must be a mapping of photo name to {name, category, price}")
            self._problems.pop(path.name, None)
            return {str(k): v for k, v in entries.items() if isinstance(v, dict)}
        except (OSError, yaml.YAMLError, ValueError) as exc:
            self._problems[path.name] = f"metadata ignored: {exc}"
            log.warning("catalog metadata %s ignored: %s", path, exc)
            return {}

    def _rebuild(self, photos: list[Path], metadata: dict[str, dict]) -> None:
        garments: dict[str, Garment] = {}
        problems = {k: v for k, v in self._problems.items() if k == "catalog.yaml"}
        for path in photos:
            garment_id = garment_id_for(path.stem)
            meta = metadata.get(path.stem) or metadata.get(garment_id) or {}
            try:
                category = garment_category(meta.get("category", GarmentCategory.TSHIRT))
                if not ID_PATTERN.match(garment_id):
                    raise ValueError("the file name gives no usable id; use letters, digits, - and _")
                if garment_id in garments:
                    raise ValueError(f"another photo already has the id '{garment_id}'")
                data = path.read_bytes()
                _verify_image(data)
                mask_path: Path | None = self.folder / MASK_FOLDER / f"{path.stem}.png"
                if mask_path is not None and mask_path.is_file():
                    data += mask_path.read_bytes()
                else:
                    mask_path = None
                digest = hashlib.sha256(data).hexdigest()[:32]
            except (OSError, ValueError) as exc:
                problems[path.name] = str(exc)
                log.warning("catalog photo %s skipped: %s", path.name, exc)
                continue
            name = str(meta.get("name") or path.stem.replace("-", " ").replace("_", " ").title())
            price = meta.get("price")
            garments[garment_id] = Garment(garment_id, name, category, str(price) if price is not None else None,
                                           path, digest, mask_path)
        self._garments = garments
        self._problems = problems
        live = {g.digest for g in garments.values()}
        self._analyses = {k: v for k, v in self._analyses.items() if k in live}
        log.info("catalog: %d garments from %s (%d skipped)", len(garments), self.folder, len(problems))

    # -- masks and cache --------------------------------------------------------------------------------
    def _supplied_mask(self, path: Path, garment: Garment, image: np.ndarray) -> np.ndarray | None:
        """The photo's own mask file `path`, or None (reported) when it cannot be used."""
        try:
            with Image.open(path) as supplied:
                mask = np.where(np.asarray(supplied.convert("L")) >= 128, 255, 0).astype(np.uint8)
        except (OSError, ValueError) as exc:
            why = f"mask file unreadable ({exc.__class__.__name__}); computing the mask instead"
        else:
            if mask.shape == image.shape[:2] and mask.any():
                return mask
            why = (f"mask file is {mask.shape[1]}x{mask.shape[0]}, the photo {image.shape[1]}x{image.shape[0]}"
                   if mask.shape != image.shape[:2] else "mask file is empty") + "; computing the mask instead"
        log.warning("catalog mask %s: %s", path, why)
        with self._lock:
            self._problems[garment.path.name] = why
        return None

    def _cached_mask(self, digest: str, image: np.ndarray, category: GarmentCategory) -> np.ndarray:
        key = f"{digest}.mask.png"
        data = self._read_cache(key)
        if data is not None:
            mask = np.asarray(Image.open(io.BytesIO(data)).convert("L"))
            if mask.shape == image.shape[:2]:
                return mask
        mask = self._mask_fn(image, category)
        buffer = io.BytesIO()
        Image.fromarray(mask).save(buffer, format="PNG")
        self._write_cache(key, buffer.getvalue())
        return mask

    def _read_cache(self, key: str) -> bytes | None:
        with self._lock:
            if key in self._memory:
                return self._memory[key]
        try:
            return (self.cache_dir / key).read_bytes()
        except OSError:
            return None

    def _write_cache(self, key: str, data: bytes) -> None:
        tmp = self.cache_dir / f".{key}.tmp"
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(data)
            tmp.replace(self.cache_dir / key)
        except OSError as exc:
            with contextlib.suppress(OSError):  # a half-written file on a full disk
                tmp.unlink(missing_ok=True)
            log.warning("catalog cache %s not writable (%s); keeping %s in memory", self.cache_dir, exc, key)
            with self._lock:
                self._memory[key] = data


def _verify_image(data: bytes) -> None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except Exception as exc:  # Pillow raises many types for damaged files
        raise ValueError(f"not a readable image ({exc.__class__.__name__})") from None


def _load_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(ImageOps.exif_transpose(image).convert("RGB"), dtype=np.uint8).copy()
