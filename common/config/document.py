"""Write the commented config.yaml from the schema: its defaults, and each key's description as its comment.

The shipped config.yaml is this module's output (a test checks it), so a key is described once, in common/config.
Run `python -m common.config.document` after changing the schema.
"""
from __future__ import annotations

import math
import textwrap
from collections.abc import Iterator
from typing import Any, Literal, get_args, get_origin

import yaml
from pydantic.fields import FieldInfo

from common.config.base import subsection
from common.config.loader import SHIPPED
from common.config.schema import Config

HEADER = """\
# Fitting booth configuration: one file, two sections, server and kiosk.
# Unknown keys and bad values stop the program at start with a message naming them.
# Installed systems read /etc/fitting-booth/config.yaml; $TRYON_CONFIG overrides the path.
"""
COMMENT_COLUMN = 29
WIDTH = 120


def render() -> str:
    """The text of config.yaml for the schema as it is now."""
    defaults = Config().model_dump(mode="json")
    sections = ["\n".join(_entry(name, field, defaults[name], 0)) for name, field in Config.model_fields.items()]
    return HEADER + "\n" + "\n\n".join(sections) + "\n"


def _entry(name: str, field: FieldInfo, value: Any, depth: int) -> Iterator[str]:
    indent = "  " * depth
    section = subsection(field)
    if section is None:
        yield from _commented(f"{indent}{name}: {_flow(value)}", _comment(field))
        return
    yield from _commented(f"{indent}{name}:", _comment(field))
    for child_name, child in section.model_fields.items():
        yield from _entry(child_name, child, value[child_name], depth + 1)


def _commented(line: str, comment: str) -> Iterator[str]:
    """`line` with `comment` beside it from COMMENT_COLUMN on, wrapped onto comment lines in that column."""
    if not comment:
        yield line
        return
    column = max(COMMENT_COLUMN, len(line) + 2)
    for i, part in enumerate(textwrap.wrap(comment, WIDTH - column - 2)):
        yield f"{line if i == 0 else '':<{column}}# {part}"


def _comment(field: FieldInfo) -> str:
    """The allowed values when they are a fixed set, then the description."""
    choices = " | ".join(map(str, _choices(field.annotation)))
    return "; ".join(part for part in (choices, field.description) if part)


def _choices(annotation: Any) -> tuple[Any, ...]:
    """The allowed values of a Literal (or a list of one), else ()."""
    if get_origin(annotation) is Literal:
        return get_args(annotation)
    if get_origin(annotation) is list:
        return _choices(get_args(annotation)[0])
    return ()


def _flow(value: Any) -> str:
    """`value` as YAML on one line (lists in flow style)."""
    return yaml.safe_dump(value, default_flow_style=True, width=math.inf).splitlines()[0]


def main() -> None:
    SHIPPED.write_text(render(), encoding="utf-8")
    print(f"wrote {SHIPPED}")


if __name__ == "__main__":
    main()
