"""Time the procedural garment photos: one make_garment per category/pattern, and the whole built-in catalog.

Run: .venv/bin/python bench/catalog_generate.py
"""
from __future__ import annotations

import os
import platform
import statistics
import tempfile
import time
from functools import partial
from pathlib import Path

from server.catalog.generate import BUILTIN_CATALOG, make_garment, write_builtin_catalog
from server.pipeline.vocabulary import GarmentCategory


def _best_of(fn, repeats: int) -> tuple[float, float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main() -> None:
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")
    make_garment(GarmentCategory.TSHIRT, colour=(30, 40, 80))  # warm-up
    for category, pattern in [(GarmentCategory.TSHIRT, "plain"), (GarmentCategory.TSHIRT, "stripes"),
                              (GarmentCategory.TSHIRT, "print"), (GarmentCategory.LONG_SLEEVE, "heather"),
                              (GarmentCategory.TANK_TOP, "plain")]:
        best, median = _best_of(partial(make_garment, category, colour=(30, 40, 80), pattern=pattern), 5)
        print(f"make_garment {category:11s} {pattern:8s} 768x1024: best {best * 1000:6.1f} ms, "
              f"median {median * 1000:6.1f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        best, median = _best_of(lambda: write_builtin_catalog(Path(tmp)), 3)
    print(f"write_builtin_catalog ({len(BUILTIN_CATALOG)} PNGs + yaml): best {best:.2f} s, median {median:.2f} s")


if __name__ == "__main__":
    main()
