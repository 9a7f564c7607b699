"""The built-in catalog on disk: written once per version into the catalog cache, atomically.

Several gunicorn workers start at the same moment and each may find the folder missing. Each draws the
garments into a private temporary folder next to it and renames that into place in one step, so a reader
sees either no folder or a complete one (never a half-written photo); a worker that loses the race drops
its copy. The folder name carries a hash of the catalog's definition, so a new version of the built-in
garments is written afresh instead of an old folder being served. When the cache folder cannot be written
(full or read-only disk) the garments go to a temporary folder that is removed again when the server stops.
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

log = logging.getLogger(__name__)
STALE_STAGING_S = 600  # a staging folder this old belongs to a process that died while writing


def builtin_version() -> str:
    """Changes whenever the generator or the garment list changes."""
    from server.catalog import generate

    return hashlib.sha256(Path(generate.__file__).read_bytes()).hexdigest()[:12]


class BuiltinCatalog:
    """Owns the folder the built-in catalog is served from; `close()` removes it if it was temporary."""

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = cache_dir
        self._fallback: tempfile.TemporaryDirectory | None = None

    def folder(self) -> Path:
        """The folder holding the complete built-in catalog, written now if needed."""
        target = self.cache_dir / f"builtin-{builtin_version()}"
        if (target / "catalog.yaml").exists():
            return target
        try:
            self._write_atomically(target)
            self._remove_older_versions(target)
            return target
        except OSError as exc:
            # Removed at close() and, failing that, when the process exits (TemporaryDirectory's finalizer).
            self._fallback = tempfile.TemporaryDirectory(prefix="fitting-booth-catalog-")
            log.warning("cannot write the built-in catalog to %s (%s); using %s until the server stops",
                        target, exc, self._fallback.name)
            from server.catalog.generate import write_builtin_catalog

            write_builtin_catalog(Path(self._fallback.name))
            return Path(self._fallback.name)

    def close(self) -> None:
        if self._fallback is not None:
            self._fallback.cleanup()
            self._fallback = None

    def _write_atomically(self, target: Path) -> None:
        from server.catalog.generate import write_builtin_catalog

        self.cache_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=self.cache_dir))
        try:
            write_builtin_catalog(staging)
            os.rename(staging, target)  # atomic; fails if another worker's complete copy is already there
        except OSError:
            if not (target / "catalog.yaml").exists():
                raise
            log.debug("another process wrote %s first; using its copy", target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _remove_older_versions(self, current: Path) -> None:
        """Folders of earlier versions ("builtin", "builtin-<hash>") are never read again, nor are staging
        folders left by a process killed while writing."""
        stale = [p for p in self.cache_dir.glob(".builtin-*") if time.time() - p.stat().st_mtime > STALE_STAGING_S]
        for old in [self.cache_dir / "builtin", *self.cache_dir.glob("builtin-*"), *stale]:
            if old != current and old.is_dir():
                with contextlib.suppress(OSError):
                    shutil.rmtree(old)
