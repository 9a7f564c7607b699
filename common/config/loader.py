"""Reading config.yaml and turning validation failures into one readable message."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from common.config.base import Section, subsection
from common.config.schema import Config

ENV_VAR = "TRYON_CONFIG"
SHIPPED = Path(__file__).resolve().parents[2] / "config.yaml"


class ConfigError(Exception):
    """The configuration file is missing, unreadable or invalid; the message says where and why."""


def default_config_path() -> Path:
    """$TRYON_CONFIG, else /etc/fitting-booth/config.yaml when installed, else the repo's config.yaml."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    etc = Path("/etc/fitting-booth/config.yaml")
    if etc.exists():
        return etc
    return SHIPPED


def load_config(path: str | os.PathLike[str] | None = None, overrides: dict[str, Any] | None = None) -> Config:
    """Load and validate the whole file. `overrides` is a nested dict merged over the file (tests, CLI)."""
    path = Path(path) if path is not None else default_config_path()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc}") from exc
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a mapping with 'server' and 'kiosk' sections")
    data = _merge(raw, overrides or {})
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        lines = [_describe(err) for err in exc.errors()]
        raise ConfigError(f"{path}: invalid configuration:\n  " + "\n  ".join(lines)) from None


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _describe(err: ErrorDetails) -> str:
    """One line per problem: dotted key, what is wrong, what is allowed."""
    loc = ".".join(str(p) for p in err["loc"])
    if err["type"] == "extra_forbidden":
        parent = _model_at(Config, err["loc"][:-1])
        allowed = ", ".join(parent.model_fields) if parent else "?"
        return f"{loc}: unknown key (allowed here: {allowed})"
    got = err["input"]
    return f"{loc}: {err['msg']} (got {got!r})"


def _model_at(model: type[Section], loc: tuple[int | str, ...]) -> type[Section] | None:
    for part in loc:
        field = model.model_fields.get(str(part))
        section = subsection(field) if field is not None else None
        if section is None:
            return None
        model = section
    return model
