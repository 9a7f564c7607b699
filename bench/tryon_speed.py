"""Speed of one try-on on a 768x1024 photo, preprocessing included.

    .venv/bin/python bench/tryon_speed.py [--backend learned|embedded] [--runs 15]

Times Preprocessor.analyze_person + the backend's try_on per run (the garment's mask is computed once,
as the catalog caches it). The photo is the scikit-image astronaut scaled to 1024 px high and cropped to
768x1024 (portrait, like the booth camera). Prints per-stage medians and the total's median and p90 and the
process's CPU time per run (a better guide than wall time when other work shares the cores), with the
machine's details, as a Markdown block for docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server.catalog.generate import make_garment
from server.pipeline.backends.embedded import EmbeddedBackend
from server.pipeline.backends.learned import LearnedBackend
from server.pipeline.preprocess import Preprocessor
from server.pipeline.vocabulary import GarmentCategory

TARGET_MS = 450.0


def booth_photo() -> np.ndarray:
    from skimage import data

    photo = cv2.resize(data.astronaut(), (1024, 1024), interpolation=cv2.INTER_CUBIC)
    return np.ascontiguousarray(photo[:, 128:896])  # (1024, 768, 3)


def _cpu_seconds() -> float:
    """User + system CPU seconds of this process (all threads): on a loaded machine wall time includes
    waiting for a core, CPU time does not."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backend", choices=["learned", "embedded"], default="learned")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--category", default=GarmentCategory.TSHIRT, type=GarmentCategory, choices=list(GarmentCategory))
    args = ap.parse_args()

    photo = booth_photo()
    pre = Preprocessor()
    backend = LearnedBackend() if args.backend == "learned" else EmbeddedBackend()
    pre.warmup()
    backend.warmup()
    rgb, _ = make_garment(args.category, colour=(28, 36, 88))
    garment = pre.analyze_garment(rgb, category=args.category)  # cached by the catalog in the server

    stages: dict[str, list[float]] = {}
    totals, cpu = [], []
    for _ in range(args.runs):
        timings: dict[str, float] = {}
        start, start_cpu = time.perf_counter(), _cpu_seconds()
        person = pre.analyze_person(photo, category=args.category, timings=timings)
        result = backend.try_on(person, garment)
        totals.append((time.perf_counter() - start) * 1000)
        cpu.append((_cpu_seconds() - start_cpu) * 1000)
        for key, ms in {**timings, **{f"tryon.{k}": v for k, v in result.timings_ms.items()}}.items():
            stages.setdefault(key, []).append(ms)
    pre.close()

    totals.sort()
    p90 = totals[min(len(totals) - 1, int(round(0.9 * (len(totals) - 1))))]
    load = os.getloadavg()
    print(f"machine: {cpu_name()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"photo 768x1024, garment {args.category}, backend {args.backend}, {args.runs} runs after warm-up\n")
    print("| stage | median ms |")
    print("|---|---|")
    for key, values in stages.items():
        print(f"| {key} | {statistics.median(values):.1f} |")
    median = statistics.median(totals)
    print(f"| **total (preprocess + try-on)** | **{median:.1f}** (p90 {p90:.1f}) |")
    print(f"| CPU time of this process per run (all threads) | {statistics.median(cpu):.1f} |")
    print(f"\ntarget < {TARGET_MS:.0f} ms: {'met' if median < TARGET_MS else 'NOT met'}")


if __name__ == "__main__":
    main()
