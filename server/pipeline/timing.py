"""Per-stage wall-clock timings, in milliseconds, as every stage reports them in `timings_ms`."""
from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def timed(timings: dict[str, float], key: str) -> Iterator[None]:
    """Add the time spent in the block to timings[key] (ms); a key timed twice adds up."""
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[key] = timings.get(key, 0.0) + (time.perf_counter() - start) * 1000
