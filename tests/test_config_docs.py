"""Each config key is described once, in common/config: config.yaml is generated from it, the README's table agrees."""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic.fields import FieldInfo

from common.config import Config
from common.config.base import Section, subsection
from common.config.document import render

REPO = Path(__file__).resolve().parents[1]


def test_shipped_config_yaml_is_generated_from_the_schema():
    assert (REPO / "config.yaml").read_text(encoding="utf-8") == render(), (
        "config.yaml differs from the schema in common/config: run `python -m common.config.document`")


def test_shipped_config_yaml_holds_the_defaults():
    assert yaml.safe_load(render()) == Config().model_dump(mode="json")


def test_every_key_is_described():
    undescribed = [key for key, field in _fields(Config) if not field.description]
    assert undescribed == [], "describe each config key in common/config with Field(description=...)"


def test_readme_table_names_schema_keys_with_their_defaults():
    rows = _readme_config_rows()
    assert rows
    defaults = Config().model_dump(mode="json")
    for key, default in rows:
        assert yaml.safe_load(default) == _at(defaults, key), f"README: `{key}` default `{default}`"


def _readme_config_rows() -> list[tuple[str, str]]:
    """(dotted key, default cell) for each key in the README's Configuration table.

    A cell may name several keys, the later ones relative to the first's parent (`server.limits.max_body_mb`,
    `max_pixels`), with one default each in the same order."""
    section = (REPO / "README.md").read_text(encoding="utf-8").split("\n## Configuration\n")[1].split("\n## ")[0]
    rows = []
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        keys, defaults = (re.findall(r"`([^`]*)`", cell) for cell in line.split(" | ")[:2])
        assert len(keys) == len(defaults), f"README: one default per key in {line!r}"
        parent = keys[0].rpartition(".")[0]
        rows += [(key if "." in key else f"{parent}.{key}", default) for key, default in zip(keys, defaults)]
    return rows


def _at(tree: dict[str, Any], key: str) -> Any:
    for part in key.split("."):
        assert isinstance(tree, dict) and part in tree, f"README names `{key}`, which is not a config key"
        tree = tree[part]
    return tree


def _fields(model: type[Section], prefix: str = "") -> Iterator[tuple[str, FieldInfo]]:
    for name, field in model.model_fields.items():
        yield prefix + name, field
        if section := subsection(field):
            yield from _fields(section, f"{prefix}{name}.")
