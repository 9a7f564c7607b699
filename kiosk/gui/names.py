"""The names of the booth's states and of the buttons a shopper taps, in one place: a misspelt name is then
an AttributeError at import (and a mypy error) instead of the error screen at run time."""
from __future__ import annotations

from enum import StrEnum


class StateName(StrEnum):
    IDLE = "idle"
    CATALOG = "catalog"
    PREVIEW = "preview"
    COUNTDOWN = "countdown"
    SENDING = "sending"
    RESULT = "result"
    UNREACHABLE = "unreachable"
    BUSY = "busy"
    REJECTED = "rejected"
    NO_CAMERA = "no_camera"
    ERROR = "error"


class Tap(StrEnum):
    """A tap's target: the view tags a button `tap:<target>`; a garment's cell is `tap:garment:<id>`."""

    ANY = "*"  # in a state's tap table: a tap on anything the table does not name
    START = "start"
    HOME = "home"
    GARMENT = "garment"
    CAPTURE = "capture"
    BACK = "back"
    CANCEL = "cancel"
    TOGGLE = "toggle"
    ANOTHER = "another"
    RETAKE = "retake"
    BROWSE = "browse"
