"""The base every config section derives from: unknown keys are errors, values are checked."""
from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    """A config section. Unknown keys are rejected so a typo never goes unnoticed."""

    model_config = ConfigDict(extra="forbid", frozen=True)
