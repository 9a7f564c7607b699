"""python -m server.pipeline.preprocess PERSON GARMENT --out DIR [--category tshirt]

Runs the preprocessing stage on a person photo and a garment photo and writes the official ACGPN dataset
layout (see dataset.py) plus overlays/ to look at. Exit status 2 with the reason when a photo is unusable.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from server.pipeline.errors import PipelineError
from server.pipeline.preprocess.dataset import write_pair
from server.pipeline.preprocess.overlays import draw_mask, draw_parsing, draw_skeleton
from server.pipeline.preprocess.stage import Preprocessor
from server.pipeline.vocabulary import GarmentCategory


def read_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.array(ImageOps.exif_transpose(image).convert("RGB"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server.pipeline.preprocess", description=__doc__.split("\n\n")[1])
    parser.add_argument("person", type=Path, help="person photo (JPEG/PNG)")
    parser.add_argument("garment", type=Path, help="garment product photo (JPEG/PNG)")
    parser.add_argument("--out", type=Path, required=True, help="output folder (ACGPN dataroot)")
    parser.add_argument("--category", default=GarmentCategory.TSHIRT, type=GarmentCategory,
                        choices=list(GarmentCategory))
    args = parser.parse_args(argv)

    preprocessor = Preprocessor()
    timings: dict[str, float] = {}
    try:
        person_rgb, garment_rgb = read_rgb(args.person), read_rgb(args.garment)
        person = preprocessor.analyze_person(person_rgb, category=args.category, timings=timings)
        garment = preprocessor.analyze_garment(garment_rgb, category=args.category, timings=timings)
    except PipelineError as error:
        print(f"error ({error.code}): {error.message}", file=sys.stderr)
        return 2
    person_name, garment_name = args.person.stem, args.garment.stem
    if garment_name == person_name:
        garment_name += "_garment"
    write_pair(args.out, person_name, person, garment_name, garment)
    overlays = args.out / "overlays"
    overlays.mkdir(parents=True, exist_ok=True)
    Image.fromarray(draw_skeleton(person.image, person.keypoints)).save(overlays / f"{person_name}_pose.jpg")
    Image.fromarray(draw_parsing(person.image, person.lip)).save(overlays / f"{person_name}_parsing.jpg")
    Image.fromarray(draw_mask(garment.image, garment.mask)).save(overlays / f"{garment_name}_mask.jpg")
    for warning in person.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(" ".join(f"{key}={ms:.0f}ms" for key, ms in timings.items()))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
