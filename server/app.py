"""The Flask application factory.

`create_app(config)` builds the app and starts loading the models: in a background thread by default, so
/livez answers at once and /readyz turns green when the models are warm; `load="sync"` blocks instead
(tests, and gunicorn workers that should not take traffic before they are warm).
"""
from __future__ import annotations

import hmac
import logging
import re
import threading
import time
import uuid
from typing import Literal

from flask import Flask, g, request
from flask.json.provider import DefaultJSONProvider
from flask_cors import CORS

from common.config import Config, load_config
from server.api import health, legacy, v1, web
from server.api.requests import InMemoryRequest
from server.errors import ApiError, register_error_handlers
from server.metrics import ERRORS, REQUESTS
from server.service import TryOnService

log = logging.getLogger("server.access")


class UnsortedJSON(DefaultJSONProvider):
    sort_keys = False  # answers keep the order their fields are written in
_REQUEST_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# Metric label values must be bounded: any other method name a client makes up counts as "other".
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"})


def create_app(config: Config | None = None, *, load: Literal["background", "sync", "none"] = "background") -> Flask:
    config = config or load_config()
    server_config = config.server
    app = Flask(__name__, static_folder=None)
    app.request_class = InMemoryRequest
    app.config["TRYON"] = server_config
    app.config["MAX_CONTENT_LENGTH"] = int(server_config.limits.max_body_mb * 1024 * 1024)
    app.json = UnsortedJSON(app)

    service = TryOnService(server_config)
    app.extensions["tryon"] = service

    if server_config.cors_origins:
        CORS(app, origins=server_config.cors_origins, expose_headers=["X-Request-ID", "Retry-After"])

    app.register_blueprint(v1.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(web.bp)
    app.register_blueprint(legacy.bp)
    register_error_handlers(app)
    _install_request_hooks(app, server_config.auth_token)

    if load == "sync":
        service.load()
    elif load == "background":
        threading.Thread(target=_load_quietly, args=(service,), name="model-loader", daemon=True).start()
    return app


def _load_quietly(service: TryOnService) -> None:
    try:
        service.load()
    except Exception:  # reported by /readyz and logged by service.load
        pass


def _install_request_hooks(app: Flask, token: str | None) -> None:
    expected = token.encode() if token else None

    @app.before_request
    def _start():
        g.started = time.perf_counter()
        supplied = request.headers.get("X-Request-ID", "")
        g.request_id = supplied if _REQUEST_ID.match(supplied) else uuid.uuid4().hex
        if expected is not None and request.path.startswith("/v1/"):
            header = request.headers.get("Authorization", "")
            scheme, _, value = header.partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), expected):
                raise ApiError(401, "unauthorized", "A valid 'Authorization: Bearer <token>' header is required.")

    @app.after_request
    def _finish(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        route = request.url_rule.rule if request.url_rule else "unmatched"
        method = request.method if request.method in _METHODS else "other"
        REQUESTS.labels(route=route, method=method, code=str(response.status_code)).inc()
        if response.status_code >= 400 and response.is_json:
            ERRORS.labels(code=(response.get_json(silent=True) or {}).get("error", {}).get("code", "unknown")).inc()
        if response.status_code == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        ms = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        log.info("%s %s %s", request.method, request.path, response.status_code,
                 extra={"method": request.method, "path": request.path, "status": response.status_code,
                        "ms": round(ms, 1)})
        return response
