"""The interface every try-on backend implements."""
from __future__ import annotations

from typing import Protocol

from server.pipeline.types import GarmentAnalysis, PersonAnalysis, TryOnResult


class TryOnBackend(Protocol):
    name: str

    def warmup(self) -> None:
        """Run once on a synthetic input so the first shopper does not pay for lazy initialisation."""

    def try_on(self, person: PersonAnalysis, garment: GarmentAnalysis, *, seed: int = 0) -> TryOnResult:
        """Dress `person` in `garment`. `seed` makes any randomness repeatable per request."""
