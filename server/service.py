"""The try-on service: one object per worker process holding the loaded models, the catalog and the
inference gate. Routes call `tryon()`; it runs preprocessing and the backend and reports per-stage times.
"""
from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from common.config import ServerConfig
from common.config.server import PreprocessConfig
from server.catalog.builtin import BuiltinCatalog
from server.catalog.catalog import Catalog, Garment, MaskFn
from server.errors import ApiError
from server.gate import Deadline, InferenceGate
from server.pipeline.backends.base import TryOnBackend
from server.pipeline.errors import BackendUnavailable
from server.pipeline.timing import timed
from server.pipeline.types import GarmentAnalysis, TryOnResult
from server.pipeline.vocabulary import GarmentCategory

if TYPE_CHECKING:
    from server.pipeline.preprocess import Preprocessor

log = logging.getLogger(__name__)


@dataclass
class Readiness:
    ready: bool = False
    backend: str | None = None
    reason: str = "loading models"


@dataclass
class Models:
    """What `TryOnService.load()` builds; the service has all of it or none."""

    preprocessor: Preprocessor
    backend: TryOnBackend
    catalog: Catalog


@dataclass
class TryOnOutcome:
    result: TryOnResult
    backend: str
    timings_ms: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


class TryOnService:
    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.readiness = Readiness()
        self.gate = InferenceGate(config.limits.concurrency, config.limits.max_queue, config.limits.request_timeout_s)
        self._models: Models | None = None
        self._builtin_catalog = BuiltinCatalog(Path(config.catalog.cache_dir).expanduser())
        self._loaded = threading.Event()

    # -- start-up ------------------------------------------------------------------------------------
    def load(self) -> None:
        """Load and warm every model; afterwards /readyz is green. Called once per worker."""
        from server.backend_choice import choose_backend

        started = time.monotonic()
        try:
            preprocessor, preprocess_note = _open_preprocessor(self.config.preprocess)
            backend, reason = choose_backend(self.config)
            reason += preprocess_note
            self.readiness = Readiness(False, backend.name, f"warming up: {reason}")
            preprocessor.warmup()
            backend.warmup()
            catalog = self._open_catalog(
                lambda image, category: preprocessor.analyze_garment(image, category=category).mask)
            for garment in catalog.garments():  # masks computed now (or read from cache), not per shopper
                catalog.analysis(garment)
            self._models = Models(preprocessor, backend, catalog)
            self.readiness = Readiness(True, backend.name, reason)
            log.info("ready in %.1f s: backend %s (%s)", time.monotonic() - started, backend.name, reason)
        except Exception as exc:
            self.readiness = Readiness(False, None, f"failed to start: {exc}")
            log.exception("model loading failed")
            raise
        finally:
            self._loaded.set()

    def _open_catalog(self, garment_mask: MaskFn) -> Catalog:
        cache_dir = Path(self.config.catalog.cache_dir).expanduser()
        if self.config.catalog.dir:
            folder = Path(self.config.catalog.dir).expanduser()
        else:
            folder = self._builtin_catalog.folder()
        return Catalog(folder, cache_dir, garment_mask)

    def wait_until_loaded(self, timeout: float | None = None) -> bool:
        return self._loaded.wait(timeout)

    # -- requests ------------------------------------------------------------------------------------
    def refuse_unless_ready(self) -> None:
        """A 503 answer while the models are loading or when loading failed."""
        if not self.readiness.ready:
            raise ApiError(503, "not_ready", f"The try-on server is not ready: {self.readiness.reason}.", retry_after=5)

    def require_ready(self) -> Models:
        """The loaded models, or the 503 answer of `refuse_unless_ready`."""
        self.refuse_unless_ready()
        if self._models is None:  # only a test sets `ready` without loading
            raise ApiError(503, "not_ready", "The try-on server has no models loaded.", retry_after=5)
        return self._models

    def garment(self, garment_id: str) -> Garment:
        garment = self.require_ready().catalog.get(garment_id)
        if garment is None:
            raise ApiError(404, "unknown_garment", f"There is no garment '{garment_id}' in the catalog.")
        return garment

    def tryon(self, person: np.ndarray, *, garment: Garment | None = None, garment_image: np.ndarray | None = None,
              category: GarmentCategory = GarmentCategory.TSHIRT, seed: int | None = None) -> TryOnOutcome:
        self.refuse_unless_ready()  # before the request queues
        if seed is None:
            seed = _seed_for(person, garment.digest if garment else garment_image)
        return self.gate.run(lambda deadline: self._tryon(person, garment, garment_image, category, seed, deadline))

    def _tryon(self, person_rgb: np.ndarray, garment: Garment | None, garment_image: np.ndarray | None,
               category: GarmentCategory, seed: int, deadline: Deadline) -> TryOnOutcome:
        """The pipeline, stage by stage; work whose request has been answered 504 stops between stages."""
        models = self.require_ready()
        timings: dict[str, float] = {}
        if garment is not None:
            with timed(timings, "garment_mask"):
                garment_analysis: GarmentAnalysis = models.catalog.analysis(garment)
            category = garment.category
        elif garment_image is not None:
            garment_analysis = models.preprocessor.analyze_garment(garment_image, category=category, timings=timings)
        else:
            raise ApiError(400, "invalid_request", "Give exactly one of 'garment_id' or 'garment_image'.")
        deadline.check()
        person = models.preprocessor.analyze_person(person_rgb, category=category, timings=timings)
        deadline.check()
        with timed(timings, "tryon"):
            result = models.backend.try_on(person, garment_analysis, seed=seed)
        for stage, ms in result.timings_ms.items():
            timings[f"tryon.{stage}"] = ms
        return TryOnOutcome(result, models.backend.name, timings, person.warnings + result.warnings)

    def close(self) -> None:
        self.gate.shutdown()
        self._builtin_catalog.close()


def _open_preprocessor(config: PreprocessConfig) -> tuple[Preprocessor, str]:
    """The configured pose and parsing models; the packaged ones when a configured model file is missing or
    broken (the booth keeps working, and /readyz says why)."""
    from server.pipeline.preprocess import Preprocessor

    try:
        preprocessor = Preprocessor(config)
        return preprocessor, f"; {preprocessor.parser_name} parser"
    except BackendUnavailable as exc:
        log.error("preprocessing models unavailable, using MediaPipe and the heuristic parser: %s", exc.message)
        return (Preprocessor(PreprocessConfig(parser="heuristic", pose="mediapipe")),
                f"; {exc.message}; packaged pose and heuristic parser serve")


def _seed_for(person: np.ndarray, garment: object) -> int:
    """The same photo and garment give the same result: the seed comes from the inputs."""
    digest = hashlib.blake2b(person.tobytes()[:: max(1, person.size // 65536)], digest_size=8)
    digest.update(garment.encode() if isinstance(garment, str) else np.asarray(garment).tobytes()[::97])
    return int.from_bytes(digest.digest()[:4], "little")
