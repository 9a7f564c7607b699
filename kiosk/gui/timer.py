"""A deadline on the booth's clock, and the number a screen last showed for it."""
from __future__ import annotations

import math


class Timer:
    """Started at `start`, due `seconds` later (by default never: a stopwatch).

    `show` tells a state whether the number it draws (whole seconds left, quarter seconds elapsed…) has
    changed since it last drew it, so the screen is redrawn only when what it says changes.
    """

    def __init__(self, start: float, seconds: float = math.inf) -> None:
        self.start = start
        self.deadline = start + seconds
        self.shown: int | None = None

    def due(self, now: float) -> bool:
        return now >= self.deadline

    def seconds_left(self, now: float) -> int:
        """Whole seconds to the deadline, rounded up: 3, 2, 1 for a three-second countdown."""
        return math.ceil(self.deadline - now)

    def elapsed(self, now: float) -> float:
        return now - self.start

    def show(self, value: int) -> bool:
        """Whether `value` is new on screen; from now on it is the one shown."""
        if value == self.shown:
            return False
        self.shown = value
        return True
