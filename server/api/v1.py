"""The /v1 JSON API: try-on and the garment catalog."""
from __future__ import annotations

import base64
import logging
import time
from pathlib import Path

from flask import Blueprint, current_app, g, jsonify, request, url_for

from server.api.requests import parse_tryon_request
from server.images import encode_jpeg
from server.metrics import observe_timings

log = logging.getLogger(__name__)
bp = Blueprint("v1", __name__, url_prefix="/v1")


@bp.post("/tryon")
def tryon():
    service = current_app.extensions["tryon"]
    config = current_app.config["TRYON"]
    started = time.perf_counter()
    parsed = parse_tryon_request(request, max_pixels=config.limits.max_pixels,
                                 max_side=config.limits.max_side)
    decode_ms = (time.perf_counter() - started) * 1000
    garment = service.garment(parsed.garment_id) if parsed.garment_id else None
    outcome = service.tryon(parsed.person, garment=garment, garment_image=parsed.garment_image,
                            category=parsed.category, seed=parsed.seed)
    t0 = time.perf_counter()
    jpeg = encode_jpeg(outcome.result.image, config.output_jpeg_quality)
    timings = {"decode": decode_ms, **outcome.timings_ms, "encode": (time.perf_counter() - t0) * 1000}
    timings["total"] = (time.perf_counter() - started) * 1000
    observe_timings(timings)
    if config.save_images and config.save_dir:
        _save_debug_images(Path(config.save_dir).expanduser(), g.request_id, parsed.person, jpeg)
    log.info("try-on done", extra={"backend": outcome.backend, "garment_id": parsed.garment_id,
                                   "ms": round(timings["total"], 1)})
    return jsonify({
        "image": base64.b64encode(jpeg).decode("ascii"),
        "garment_id": parsed.garment_id,
        "backend": outcome.backend,
        "timings_ms": {k: round(v, 1) for k, v in timings.items()},
        "request_id": g.request_id,
        "warnings": outcome.warnings,
    })


@bp.get("/garments")
def garments():
    service = current_app.extensions["tryon"]
    catalog = service.require_ready().catalog
    items = [{
        "id": garment.id,
        "name": garment.name,
        "category": garment.category,
        "price": garment.price,
        # Versioned by content, so caches (the kiosk's, browsers') notice a replaced photo.
        "thumbnail_url": url_for("v1.thumbnail", garment_id=garment.id, v=garment.digest[:12]),
    } for garment in catalog.garments()]
    return jsonify({"garments": items})


@bp.get("/garments/<garment_id>/thumbnail")
def thumbnail(garment_id: str):
    service = current_app.extensions["tryon"]
    garment = service.garment(garment_id)
    response = current_app.response_class(service.require_ready().catalog.thumbnail(garment), mimetype="image/jpeg")
    response.set_etag(garment.digest)
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response.make_conditional(request)


def _save_debug_images(folder: Path, request_id: str, person, result_jpeg: bytes) -> None:
    """Only with server.save_images: true (debugging). Never on in a store."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    Image.fromarray(person).save(folder / f"{request_id}-person.jpg", quality=90)
    (folder / f"{request_id}-result.jpg").write_bytes(result_jpeg)
