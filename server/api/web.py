"""The staff/phone web page at / and the API description."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, send_from_directory

bp = Blueprint("web", __name__, static_folder="../static", static_url_path="/static")
SERVER_DIR = Path(__file__).resolve().parents[1]


@bp.get("/")
def index():
    return send_from_directory(SERVER_DIR / "static", "index.html")


@bp.get("/openapi.yaml")
def openapi():
    return send_from_directory(SERVER_DIR, "openapi.yaml", mimetype="application/yaml")
