"""Time each preprocessing stage on a 768×1024 person photo and a 768×1024 garment photo.

    .venv/bin/python bench/preprocess_speed.py [--runs 20]

The person photo is skimage's astronaut scaled to 768×768 and padded on top with its background colour to
768×1024 (she is still cut at the waist, as in the original); the garment is a generated navy T-shirt.
Prints the median and 90th percentile of every stage in ms (wall clock), after a warm-up, plus the process's
CPU time per call (all threads), which says more than the wall clock when other work shares the cores.
"""
from __future__ import annotations

import argparse
import os
import platform
import time

import cv2
import numpy as np

from server.catalog.generate import make_garment
from server.pipeline.preprocess import Preprocessor
from server.pipeline.vocabulary import GarmentCategory


def person_photo() -> np.ndarray:
    from skimage import data

    astronaut = cv2.resize(data.astronaut(), (768, 768), interpolation=cv2.INTER_CUBIC)
    top = np.empty((256, 768, 3), np.uint8)
    top[:] = np.median(astronaut[:8].reshape(-1, 3), axis=0)
    return np.vstack([top, astronaut])


def summarise(samples: list[dict[str, float]]) -> dict[str, tuple[float, float]]:
    keys = list(samples[0])
    return {k: (float(np.median([s[k] for s in samples])), float(np.percentile([s[k] for s in samples], 90)))
            for k in keys}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    start = time.perf_counter()
    preprocessor = Preprocessor()
    load_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    preprocessor.warmup()
    warmup_ms = (time.perf_counter() - start) * 1000
    person, (garment, _) = person_photo(), make_garment(GarmentCategory.TSHIRT, colour=(34, 47, 84))

    person_runs: list[dict[str, float]] = []
    garment_runs: list[dict[str, float]] = []
    for _ in range(args.runs):
        for analyze, photo, runs in ((preprocessor.analyze_person, person, person_runs),
                                     (preprocessor.analyze_garment, garment, garment_runs)):
            timings: dict[str, float] = {}
            start, cpu = time.perf_counter(), time.process_time()
            analyze(photo, timings=timings)
            timings["total"] = (time.perf_counter() - start) * 1000
            timings["total, CPU time of this process"] = (time.process_time() - cpu) * 1000
            runs.append(timings)

    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"model load {load_ms:.0f} ms, warm-up {warmup_ms:.0f} ms, {args.runs} runs")
    print("| stage | median ms | p90 ms |\n|---|---|---|")
    for name, runs in (("person 768×1024", person_runs), ("garment 768×1024", garment_runs)):
        for key, (median, p90) in summarise(runs).items():
            print(f"| {name}: {key} | {median:.0f} | {p90:.0f} |")


if __name__ == "__main__":
    main()
