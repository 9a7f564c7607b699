"""Liveness, readiness and Prometheus metrics (no auth: probes and scrapers on the LAN)."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from server.metrics import render

bp = Blueprint("health", __name__)


@bp.get("/livez")
def livez():
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    service = current_app.extensions["tryon"]
    state = service.readiness
    body = {"ready": state.ready, "backend": state.backend, "reason": state.reason}
    if state.ready:
        body["garments"] = len(service.catalog.garments())
        problems = service.catalog.problems
        if problems:
            body["catalog_problems"] = problems
    response = jsonify(body)
    response.status_code = 200 if state.ready else 503
    if not state.ready:
        response.headers["Retry-After"] = "5"
    return response


@bp.get("/metrics")
def metrics():
    payload, content_type = render()
    return current_app.response_class(payload, mimetype=content_type.split(";")[0], content_type=content_type)
