"""Every error leaves the API as the same JSON shape: {"error": {"code", "message", "request_id"}}.

Registered once on the app (Flask's errorhandler), so routes just raise.
"""
from __future__ import annotations

import logging

from flask import Flask, g, jsonify
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from server.pipeline.errors import PipelineError

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error with an HTTP status, a stable machine code and a message a person can act on."""

    def __init__(self, status: int, code: str, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after


# Codes for the HTTP errors werkzeug raises itself (routing, body limits, methods).
_HTTP_CODES = {
    400: ("bad_request", None),
    404: ("not_found", "No such route."),
    405: ("method_not_allowed", None),
    413: ("too_large", None),
    415: ("unsupported_media_type", None),
}


def error_response(status: int, code: str, message: str, retry_after: int | None = None):
    body = {"error": {"code": code, "message": message, "request_id": getattr(g, "request_id", None)}}
    response = jsonify(body)
    response.status_code = status
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return error_response(exc.status, exc.code, exc.message, exc.retry_after)

    @app.errorhandler(PipelineError)
    def _pipeline_error(exc: PipelineError):
        return error_response(exc.status, exc.code, exc.message, 30 if exc.status == 503 else None)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        code, message = _HTTP_CODES.get(status, ("http_error", None))
        if status == 413:
            message = "The request body is larger than this server accepts."
        response = error_response(status, code, message or exc.description or exc.name)
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            response.headers["Allow"] = ", ".join(sorted(exc.valid_methods))
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        # Logged with its traceback for staff; the client only learns that it failed and the request id.
        log.exception("unhandled error")
        return error_response(500, "internal", "The server failed to process this request. It has been logged.")
