"""Errors the pipeline raises for input it cannot use. Each carries a stable code, a message a shopper or
staff member can act on, and the HTTP status the API answers with."""
from __future__ import annotations


class PipelineError(Exception):
    status = 400
    code = "bad_input"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class NoPersonFound(PipelineError):
    code = "no_person"


class BadFraming(PipelineError):
    """The person is too small, cut off, or turned away (advice in the message)."""

    code = "bad_framing"


class NoGarmentFound(PipelineError):
    code = "no_garment"


class UnsupportedCategory(PipelineError, ValueError):
    code = "unsupported_category"


class BackendUnavailable(PipelineError):
    """A configured model could not be loaded (missing or mismatched checkpoint files)."""

    status = 503
    code = "backend_unavailable"
