"""The classical (non-learned) try-on backend: landmarks → body targets → piecewise TPS warp → shading →
compositing. It needs no weights, so the server can always offer it."""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import numpy as np

from server.pipeline.backends.embedded.body_targets import Targets, body_targets
from server.pipeline.backends.embedded.compose import compose
from server.pipeline.backends.embedded.shading import shading_map
from server.pipeline.backends.embedded.warp import PreparedGarment, prepare_garment, warp_garment
from server.pipeline.preprocess.labels import lip_to_acgpn
from server.pipeline.timing import timed
from server.pipeline.types import GarmentAnalysis, PersonAnalysis, TryOnResult
from server.pipeline.vocabulary import Coco18, GarmentCategory, Lip

# Margin of the working box round the control points and arm polylines, in shoulder widths.
WORK_MARGIN = 0.45


class EmbeddedBackend:
    """TryOnBackend that warps the garment photo onto the person with thin-plate splines."""

    name = "embedded"

    def __init__(self, garment_cache_size: int = 32) -> None:
        self._cache: OrderedDict[bytes, PreparedGarment] = OrderedDict()
        self._cache_size = garment_cache_size
        self._lock = threading.Lock()

    def prepared(self, garment: GarmentAnalysis) -> PreparedGarment:
        """Landmarks and cut-out pieces of a garment, kept for the last few garments (keyed by content)."""
        digest = hashlib.blake2b(digest_size=16)
        for part in (garment.category.encode(), str(garment.image.shape).encode(), garment.mask.tobytes(),
                     garment.image.tobytes()):
            digest.update(part)
        key = digest.digest()
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        prepared = prepare_garment(garment.image, garment.mask, garment.category)
        with self._lock:
            self._cache[key] = prepared
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return prepared

    def warmup(self) -> None:
        """Run one try-on on a synthetic figure so numpy/OpenCV code paths are loaded before the first
        shopper (the backend has no models to load)."""
        person, garment = synthetic_pair()
        self.try_on(person, garment)

    def try_on(self, person: PersonAnalysis, garment: GarmentAnalysis, *, seed: int = 0) -> TryOnResult:
        """Dress `person` in `garment`. Deterministic for a given `seed`, which only seeds the grain of
        synthesised skin."""
        timings: dict[str, float] = {}
        with timed(timings, "landmarks"):
            prepared = self.prepared(garment)
            landmarks = prepared.landmarks
        with timed(timings, "targets"):
            (y0, y1, x0, x1), targets = targets_in_work_box(landmarks, garment, person.keypoints, person.lip)
            image, lip = person.image[y0:y1, x0:x1], person.lip[y0:y1, x0:x1]
        with timed(timings, "warp"):
            torso, sleeves = warp_garment(prepared, targets, lip.shape)
        with timed(timings, "shading"):
            shading = shading_map(image, lip)
        with timed(timings, "compose"):
            result = person.image.copy()
            result[y0:y1, x0:x1] = compose(image, lip, torso, sleeves, shading, targets.hem_line, targets.frame,
                                           neckline(targets), garment_openings(targets, garment.category), seed)
        return TryOnResult(image=result, timings_ms=timings, warnings=[])


def neckline(targets: Targets) -> np.ndarray:
    """(3, 2) the garment's neckline on the person: image-left corner, front point, image-right corner."""
    return np.array([targets.placed[k] for k in ("neck_l", "neck_front", "neck_r")])


def garment_openings(targets: Targets, category: GarmentCategory) -> np.ndarray:
    """Points round the garment's openings on the person, where old clothing left uncovered becomes skin:
    the neckline; for a tank top the whole outline (its armholes bare the shoulders). Elsewhere a gap
    between old and new garment keeps the old clothing (it reads as a layer, not as bare skin)."""
    if category == GarmentCategory.TANK_TOP:
        return targets.torso_dst
    return neckline(targets)


def targets_in_work_box(landmarks: dict[str, np.ndarray], garment: GarmentAnalysis, keypoints: np.ndarray,
                        lip: np.ndarray) -> tuple[tuple[int, int, int, int], Targets]:
    """The box (y0, y1, x0, x1) of `lip`'s image the garment and the skin zones can reach, and the body targets
    in that box's coordinates: everything after this works inside it."""
    full = body_targets(landmarks, garment.mask, keypoints, lip, garment.category)
    y0, y1, x0, x1 = _work_box(full, lip.shape)
    shifted = keypoints.copy()
    shifted[:, 0] -= x0 * (shifted[:, 2] > 0)
    shifted[:, 1] -= y0 * (shifted[:, 2] > 0)
    return (y0, y1, x0, x1), body_targets(landmarks, garment.mask, shifted, lip[y0:y1, x0:x1], garment.category)


def _work_box(targets: Targets, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """(y0, y1, x0, x1): bounding box of the garment's control points and the arms, with a margin."""
    frame = targets.frame
    pts = [targets.torso_dst, *[dst for _, dst in targets.sleeves], *frame.arms, frame.neck[None]]
    allp = np.concatenate(pts)
    margin = WORK_MARGIN * frame.shoulder_width
    h, w = shape
    x0, y0 = np.floor(allp.min(0) - margin).astype(int)
    x1, y1 = np.ceil(allp.max(0) + margin).astype(int)
    x0, y0 = max(0, x0), max(0, y0)
    x1, y1 = min(w, max(x1, x0 + 8)), min(h, max(y1, y0 + 8))
    return y0, y1, x0, x1


def synthetic_pair() -> tuple[PersonAnalysis, GarmentAnalysis]:
    """A stick-figure person (parsing + keypoints) and a T-shaped garment, 256x192."""
    h, w = 256, 192
    image = np.full((h, w, 3), 200, np.uint8)
    lip = np.zeros((h, w), np.uint8)
    lip[30:70, 76:116] = Lip.FACE
    lip[75:200, 56:136] = Lip.UPPER_CLOTHES
    lip[75:190, 40:56] = Lip.RIGHT_ARM  # image left
    lip[75:190, 136:152] = Lip.LEFT_ARM
    lip[200:, 60:132] = Lip.PANTS
    kp = np.zeros((len(Coco18), 3), np.float32)
    joints = {Coco18.NOSE: (96, 50), Coco18.NECK: (96, 78), Coco18.R_SHOULDER: (62, 82), Coco18.R_ELBOW: (50, 130),
              Coco18.R_WRIST: (46, 180), Coco18.L_SHOULDER: (130, 82), Coco18.L_ELBOW: (142, 130),
              Coco18.L_WRIST: (146, 180), Coco18.R_HIP: (72, 200), Coco18.L_HIP: (120, 200)}
    for joint, (x, y) in joints.items():
        kp[joint] = (x, y, 1.0)
    person = PersonAnalysis(image=image, keypoints=kp, lip=lip, labels=lip_to_acgpn(lip),
                            person_mask=(lip > 0).astype(np.float32))
    g = np.zeros((h, w), np.uint8)
    g[40:230, 50:142] = 255  # body
    g[40:100, 10:50] = 255  # sleeves
    g[40:100, 142:182] = 255
    g[40:55, 80:112] = 0  # neckline
    garment = GarmentAnalysis(image=np.full((h, w, 3), 90, np.uint8), mask=g, category=GarmentCategory.TSHIRT)
    return person, garment
