"""Liveness, readiness and Prometheus metrics (no auth: probes and scrapers on the LAN)."""
from __future__ import annotations

import re

from flask import Blueprint, current_app, jsonify

from server.metrics import render

bp = Blueprint("health", __name__)
# An absolute (or ~) path: its folders go, its last part stays ("/srv/acgpn/latest_net_G1.pth" → "latest_net_G1.pth").
_PATH = re.compile(r"(?<![\w.~/:])~?(?:/[^\s/'\"():;,]+)*/([^\s/'\"():;,]*)")


def without_paths(text: str) -> str:
    """/readyz is unauthenticated: it says why, never where the server keeps its files (the log does)."""
    return _PATH.sub(r"\1", text)


@bp.get("/livez")
def livez():
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    service = current_app.extensions["tryon"]
    state = service.readiness
    body = {"ready": state.ready, "backend": state.backend, "reason": without_paths(state.reason)}
    if state.ready:
        catalog = service.require_ready().catalog
        body["garments"] = len(catalog.garments())
        problems = catalog.problems
        if problems:
            body["catalog_problems"] = {name: without_paths(why) for name, why in problems.items()}
    response = jsonify(body)
    response.status_code = 200 if state.ready else 503
    if not state.ready:
        response.headers["Retry-After"] = "5"
    return response


@bp.get("/metrics")
def metrics():
    payload, content_type = render()
    return current_app.response_class(payload, mimetype=content_type.split(";")[0], content_type=content_type)
