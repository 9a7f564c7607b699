"""Reading a try-on request from JSON (base64 images) or a multipart form (curl -F)."""
from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from typing import IO

import numpy as np
from flask import Request
from werkzeug.exceptions import HTTPException

from server.errors import ApiError
from server.images import decode_base64, decode_image
from server.pipeline.errors import UnsupportedCategory
from server.pipeline.vocabulary import GarmentCategory, garment_category

JSON_FIELDS = {"person_image", "garment_id", "garment_image", "category", "seed"}
log = logging.getLogger(__name__)


class InMemoryRequest(Request):
    """Flask's request, except that multipart file parts stay in memory (the body is already bounded by
    `limits.max_body_mb`): werkzeug spools a part over 500 KB to an unlinked temporary file, and a shopper's
    photo is never written to disk."""

    def _get_file_stream(self, total_content_length: int | None, content_type: str | None,
                         filename: str | None = None, content_length: int | None = None) -> IO[bytes]:
        return io.BytesIO()


def read_body(request: Request) -> bytes:
    """The whole request body (kept for get_json / files), or 400 when the client sent a broken one.

    The WSGI server raises its own exception types while it reads a malformed body (gunicorn: InvalidChunkSize,
    ChunkMissingTerminator, NoMoreData; werkzeug's server: OSError), so anything but werkzeug's own HTTP
    errors (413) raised by the read is the client's fault, not the server's.
    """
    try:
        return request.get_data(cache=True)
    except HTTPException:
        raise
    except Exception as exc:  # see the docstring
        log.info("unreadable request body: %s", type(exc).__name__)
        raise ApiError(400, "invalid_request", "The request body could not be read (broken chunked encoding, "
                                               "or the body ended early).") from None


@dataclass
class TryOnRequest:
    person: np.ndarray
    garment_id: str | None
    garment_image: np.ndarray | None
    category: GarmentCategory
    seed: int | None


def parse_tryon_request(request: Request, *, max_pixels: int, max_side: int) -> TryOnRequest:
    read_body(request)
    mimetype = request.mimetype
    if mimetype == "application/json":
        try:
            body = request.get_json(silent=True)
        except RecursionError:  # json.loads on '[[[[...' thousands deep; silent=True only covers ValueError
            raise ApiError(400, "invalid_json", "The JSON body is nested too deeply.") from None
        if not isinstance(body, dict):
            raise ApiError(400, "invalid_json", "The body must be a JSON object.")
        unknown = set(body) - JSON_FIELDS
        if unknown:
            raise ApiError(400, "invalid_request",
                           f"Unknown field(s): {', '.join(sorted(unknown))}. "
                           f"Allowed: {', '.join(sorted(JSON_FIELDS))}.")
        person_bytes = decode_base64(body.get("person_image"), "person_image")
        garment_b64 = body.get("garment_image")
        garment_bytes = decode_base64(garment_b64, "garment_image") if garment_b64 is not None else None
        garment_id, raw_category, seed = body.get("garment_id"), body.get("category"), body.get("seed")
    elif mimetype == "multipart/form-data":
        person_file = request.files.get("person_image")
        if person_file is None:
            raise ApiError(400, "invalid_request", "Missing the 'person_image' file field.")
        person_bytes = person_file.read()
        garment_file = request.files.get("garment_image")
        garment_bytes = garment_file.read() if garment_file is not None else None
        garment_id, raw_category = request.form.get("garment_id"), request.form.get("category")
        seed = request.form.get("seed")
        if seed is not None:
            try:
                seed = int(seed)
            except ValueError:
                raise ApiError(400, "invalid_request", "'seed' must be an integer.") from None
    else:
        raise ApiError(415, "unsupported_media_type",
                       "Send application/json (base64 images) or multipart/form-data (file fields).")

    if (garment_id is None) == (garment_bytes is None):
        raise ApiError(400, "invalid_request", "Give exactly one of 'garment_id' or 'garment_image'.")
    if garment_id is not None and (not isinstance(garment_id, str) or not garment_id):
        raise ApiError(400, "invalid_request", "'garment_id' must be a non-empty string.")
    try:
        category = GarmentCategory.TSHIRT if raw_category is None else garment_category(raw_category)
    except UnsupportedCategory as exc:
        raise ApiError(400, exc.code, f"'category': {exc.message}") from None
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32):
        raise ApiError(400, "invalid_request", "'seed' must be an integer from 0 to 4294967295.")

    person = decode_image(person_bytes, "person_image", max_pixels=max_pixels, max_side=max_side)
    garment_image = (decode_image(garment_bytes, "garment_image", max_pixels=max_pixels, max_side=max_side)
                     if garment_bytes is not None else None)
    return TryOnRequest(person, garment_id, garment_image, category, seed)
