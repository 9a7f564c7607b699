"""The garment list and thumbnails kept on disk, so the catalog still shows while the server is away."""
from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from kiosk.client import ClientError, Garment, TryOnClient

log = logging.getLogger(__name__)
SAFE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class Catalog:
    garments: list[Garment]
    thumbnails: dict[str, Path]  # garment id -> JPEG on disk (missing ids have no picture yet)
    online: bool  # False: read from the cache because the server did not answer


class CatalogCache:
    def __init__(self, cache_dir: Path) -> None:
        self.dir = Path(cache_dir).expanduser()
        self.thumbs = self.dir / "thumbnails"

    def refresh(self, client: TryOnClient) -> Catalog:
        """Fetch the list (and new thumbnails) from the server; when it does not answer, the cached copy.
        Raises the client's error only when there is nothing cached either."""
        try:
            garments = client.garments()
        except ClientError as exc:
            cached = self.load()
            if cached is None:
                raise
            log.info("catalog from cache (%d garments): %s", len(cached.garments), exc)
            return cached
        self.thumbs.mkdir(parents=True, exist_ok=True)
        # The server versions thumbnail URLs by content, so a changed URL means a changed picture.
        previous = self.load()
        known_urls = {g.id: g.thumbnail_url for g in previous.garments} if previous else {}
        for garment in garments:
            path = self._thumb_path(garment.id)
            if path is None or (path.exists() and known_urls.get(garment.id) == garment.thumbnail_url):
                continue
            try:
                _write_atomic(path, client.thumbnail(garment))
            except (ClientError, OSError, ValueError) as exc:
                log.warning("thumbnail %s: %s", garment.id, exc)
        _write_atomic(self.dir / "garments.json",
                      json.dumps([g.to_json() for g in garments], indent=1).encode("utf-8"))
        return Catalog(garments, self._existing_thumbs(garments), online=True)

    def load(self) -> Catalog | None:
        try:
            items = json.loads((self.dir / "garments.json").read_text(encoding="utf-8"))
            garments = [Garment.from_json(item) for item in items]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return Catalog(garments, self._existing_thumbs(garments), online=False)

    def _thumb_path(self, garment_id: str) -> Path | None:
        return self.thumbs / f"{garment_id}.jpg" if SAFE_ID.match(garment_id) else None

    def _existing_thumbs(self, garments: list[Garment]) -> dict[str, Path]:
        out = {}
        for garment in garments:
            path = self._thumb_path(garment.id)
            if path is not None and path.exists():
                out[garment.id] = path
        return out


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
