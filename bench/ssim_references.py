"""What the paired "SSIM inside the garment" figure of `bench/eval_quality.py` means: the same figure for the
answer itself, slightly spoiled inside the garment region (blurred, shifted by a few pixels, filled with its own
mean colour, JPEG-compressed), on the same pairs and at the same scale.

    .venv/bin/python bench/ssim_references.py --data ../shared/eval/viton_dev
    .venv/bin/python bench/ssim_references.py --validation 100

A try-on cannot beat the answer it has never seen; these rows tell how exact a result must be to reach a given
figure (for instance the 0.75 floor of issue 12).
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.eval_quality import GARMENT, Sample, folder_pairs, ssim_map, validation_pairs

Spoil = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return cv2.imdecode(data, cv2.IMREAD_UNCHANGED)


SPOILS: dict[str, Spoil] = {
    "blurred, Gaussian σ 1 px": lambda image, garment: cv2.GaussianBlur(image, (0, 0), 1),
    "blurred, Gaussian σ 2 px": lambda image, garment: cv2.GaussianBlur(image, (0, 0), 2),
    "blurred, Gaussian σ 4 px": lambda image, garment: cv2.GaussianBlur(image, (0, 0), 4),
    "shifted 1 px sideways": lambda image, garment: np.roll(image, 1, axis=1),
    "shifted 2 px sideways": lambda image, garment: np.roll(image, 2, axis=1),
    "shifted 4 px sideways": lambda image, garment: np.roll(image, 4, axis=1),
    "JPEG quality 50": lambda image, garment: _jpeg(image, 50),
    "its own mean colour": lambda image, garment: np.broadcast_to(image[garment].mean(0).astype(np.uint8),
                                                                  image.shape),
}


def ssim_garment(spoil: Spoil, person: Sample) -> float:
    """The answer with its garment region replaced by the spoiled answer's, scored as eval_quality scores."""
    garment = np.isin(person.parse, GARMENT)
    result = person.image.copy()
    result[garment] = spoil(person.image, garment)[garment]
    return float(ssim_map(result, person.image)[garment].mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/eval/viton_dev"))
    ap.add_argument("--validation", type=int, default=0, help="the first N validation ids of the training split")
    args = ap.parse_args()
    if args.validation:
        pairs, load = validation_pairs(args.validation)
    else:
        pairs, load = folder_pairs(args.data), lambda pid, scale: Sample.from_folder(args.data, pid, scale)
    people = [load(pid, 1) for pid, _ in pairs["paired"]]
    print(f"{len(people)} photos; paired SSIM inside the garment of the answer itself, spoiled inside it")
    print("| the answer, inside the garment | ssim_garment |\n|---|---|")
    for name, spoil in SPOILS.items():
        print(f"| {name} | {np.mean([ssim_garment(spoil, person) for person in people]):.3f} |")


if __name__ == "__main__":
    main()
