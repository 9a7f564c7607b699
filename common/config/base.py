"""The base every config section derives from: unknown keys are errors, values are checked."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.fields import FieldInfo


class Section(BaseModel):
    """A config section. Unknown keys are rejected so a typo never goes unnoticed."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def subsection(field: FieldInfo) -> type[Section] | None:
    """The section a field holds, or None for a plain value."""
    annotation = field.annotation
    return annotation if isinstance(annotation, type) and issubclass(annotation, Section) else None
