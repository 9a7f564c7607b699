"""The earlier systems' clients, served unchanged (only the server address changes for them):

- the Raspberry Pi script: POST /pose_app/pose_json, a JSON body {"person_img", "cloth_img"} (base64) sent
  without any Content-Type header → {"result_img": <base64 PNG>};
- the mobile app: POST /pose_app/pose_mobile, a JSON body {"index": 0-9, "photo_data": <base64 JPEG>} sent as
  text/plain;charset=UTF-8; `index` picks a catalog garment (server.legacy.mobile_garments, else the first
  ten in catalog order) → {"result_img": <base64 PNG>};
- the second system's API: POST /vitons, multipart fields `image` (person) and `cloth` (garment), up to
  10 MB → the result as raw PNG bytes, open to any origin (its test page posts from another one).

Errors keep the usual status and JSON error object. These clients cannot send a token: with
server.auth_token set, a route answers only if server.legacy.without_token lists it (or the token comes).
"""
from __future__ import annotations

import base64
import hmac
import json
import logging

from flask import Blueprint, Response, current_app, jsonify, request

from common.config.server import ServerConfig
from server.api.requests import read_body
from server.catalog.catalog import Catalog, Garment
from server.errors import ApiError
from server.images import decode_base64, decode_image, encode_png
from server.metrics import observe_timings
from server.pipeline.vocabulary import GarmentCategory

log = logging.getLogger(__name__)
bp = Blueprint("legacy", __name__)
VITONS_MAX_BODY = 10 * 1024 * 1024
MOBILE_INDEXES = range(10)


@bp.before_request
def _route_allowed() -> None:
    """Off unless listed in server.legacy.routes; closed while a token is configured unless listed in
    server.legacy.without_token (or the client does send the right token)."""
    config: ServerConfig = current_app.config["TRYON"]
    name = (request.endpoint or "").removeprefix("legacy.")
    if name not in config.legacy.routes:
        raise ApiError(404, "not_found", "No such route.")
    if config.auth_token and name not in config.legacy.without_token:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), config.auth_token.encode()):
            raise ApiError(401, "unauthorized", f"This server needs a token, which the earlier clients cannot send; "
                                                f"list '{name}' in server.legacy.without_token to open it to them.")


@bp.after_request
def _open_vitons_to_any_origin(response: Response) -> Response:
    if request.endpoint == "legacy.vitons":
        response.headers["Access-Control-Allow-Origin"] = "*"
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "POST"
            response.headers["Access-Control-Allow-Headers"] = request.headers.get(
                "Access-Control-Request-Headers", "Content-Type")
    return response


@bp.post("/pose_app/pose_json")
def pose_json():
    body = _json_object()  # whatever the Content-Type says (the script sends none)
    person = _image(body.get("person_img"), "person_img")
    cloth = _image(body.get("cloth_img"), "cloth_img")
    return jsonify({"result_img": base64.b64encode(_try_on(person, garment_image=cloth)).decode("ascii")})


@bp.post("/pose_app/pose_mobile")
def pose_mobile():
    body = _json_object()  # sent as text/plain;charset=UTF-8
    index = body.get("index")
    if isinstance(index, str) and index.strip().isdigit():
        index = int(index)
    if isinstance(index, bool) or not isinstance(index, int) or index not in MOBILE_INDEXES:
        raise ApiError(400, "invalid_request", "'index' must be a garment number from 0 to 9.")
    person = _image(body.get("photo_data"), "photo_data")
    service = current_app.extensions["tryon"]
    catalog = service.require_ready().catalog
    garment = mobile_garment(catalog, current_app.config["TRYON"].legacy.mobile_garments, index)
    return jsonify({"result_img": base64.b64encode(_try_on(person, garment=garment)).decode("ascii")})


@bp.route("/vitons", methods=["POST", "OPTIONS"], provide_automatic_options=False)
def vitons():
    if request.method == "OPTIONS":  # a browser's preflight from the test page's origin
        return Response(status=204)
    request.max_content_length = min(VITONS_MAX_BODY, current_app.config["MAX_CONTENT_LENGTH"])
    read_body(request)
    if request.mimetype != "multipart/form-data":
        raise ApiError(415, "unsupported_media_type", "Send multipart/form-data with the 'image' and 'cloth' files.")
    files = {}
    for field in ("image", "cloth"):
        upload = request.files.get(field)
        if upload is None:
            raise ApiError(400, "invalid_request", f"Missing the '{field}' file field.")
        files[field] = _decode(upload.read(), field)
    return Response(_try_on(files["image"], garment_image=files["cloth"]), mimetype="image/png")


def mobile_garment(catalog: Catalog, configured: list[str], index: int) -> Garment:
    """The garment the mobile app's button `index` stands for."""
    garments = [catalog.get(i) for i in configured] if configured else catalog.garments()[:len(MOBILE_INDEXES)]
    if index >= len(garments):
        where = (f"server.legacy.mobile_garments lists {len(garments)} garments" if configured else
                 f"the catalog has {len(garments)} garments; list ten ids in server.legacy.mobile_garments")
        raise ApiError(404, "unknown_garment", f"The mobile app's garment {index} is not set: {where}.")
    garment = garments[index]
    if garment is None:
        raise ApiError(404, "unknown_garment", f"The mobile app's garment {index} is '{configured[index]}', "
                                               "which is not in the catalog.")
    return garment


def _json_object() -> dict:
    data = read_body(request)
    try:
        body = json.loads(data)
    except (ValueError, RecursionError):
        raise ApiError(400, "invalid_json", "The body must be a JSON object.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "The body must be a JSON object.")
    return body


def _image(text: object, field: str):
    return _decode(decode_base64(text, field), field)


def _decode(data: bytes, field: str):
    limits = current_app.config["TRYON"].limits
    return decode_image(data, field, max_pixels=limits.max_pixels, max_side=limits.max_side)


def _try_on(person, *, garment: Garment | None = None, garment_image=None) -> bytes:
    """The try-on as the earlier clients get it: a PNG."""
    service = current_app.extensions["tryon"]
    outcome = service.tryon(person, garment=garment, garment_image=garment_image, category=GarmentCategory.TSHIRT)
    png = encode_png(outcome.result.image)
    observe_timings(outcome.timings_ms)
    log.info("try-on done", extra={"backend": outcome.backend, "garment_id": garment.id if garment else None})
    return png
