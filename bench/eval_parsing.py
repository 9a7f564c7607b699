"""Human parsing against VITON's own LIP parses, heuristic and learned parser side by side in one run.

    .venv/bin/python bench/eval_parsing.py [--sets dev val] [--parsers heuristic learned] [--overlays DIR]

Sets: `dev` = the 24 photos of ../shared/eval/viton_dev (evaluation only), `val` = the 500 held-out ids of the
training split (never trained on). Each photo goes through the whole preprocessing (`analyze_person`), as a
shopper's does. Labels are compared in ACGPN's 14 (hair 1, upper clothes 4, pants 8, left arm 11, face 12,
right arm 13): IoU with intersections and unions summed over the set, and per photo the mean IoU over those
of the six labels that cover ≥ 100 px of either map. Research-only data: overlays go to a folder of your choice
(outside the repository), never into it.
"""
from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np
from PIL import Image

from common.config.server import PreprocessConfig
from server.pipeline.errors import PipelineError
from server.pipeline.preprocess import Preprocessor
from server.pipeline.preprocess.labels import lip_to_acgpn
from server.pipeline.preprocess.overlays import draw_parsing
from server.pipeline.vocabulary import Acgpn
from server.train.viton import VitonTrain

SHARED = Path(__file__).resolve().parents[2] / "shared"
LABELS = {"hair": Acgpn.HAIR, "upper": Acgpn.UPPER_CLOTHES, "pants": Acgpn.PANTS, "left arm": Acgpn.LEFT_ARM,
          "face": Acgpn.FACE, "right arm": Acgpn.RIGHT_ARM}
MIN_PIXELS = 100


def dev_set() -> list[tuple[str, np.ndarray, np.ndarray]]:
    root = SHARED / "eval" / "viton_dev"
    out = []
    for path in sorted((root / "image").glob("*.jpg")):
        with Image.open(path) as photo, Image.open(root / "image-parse" / f"{path.stem}.png") as parse:
            out.append((path.stem, np.array(photo.convert("RGB")), np.array(parse)))
    return out


def val_set() -> list[tuple[str, np.ndarray, np.ndarray]]:
    viton = VitonTrain()
    return [(i, viton.person(i), viton.parse(i)) for i in viton.val_ids]


def evaluate(preprocessor: Preprocessor, photos, overlays: Path | None) -> dict:
    inter, union = np.zeros(14), np.zeros(14)
    per_photo, refused, times = {}, [], []
    for name, rgb, parse in photos:
        timings: dict[str, float] = {}
        try:
            analysis = preprocessor.analyze_person(rgb, timings=timings)
        except PipelineError as error:
            refused.append(f"{name} ({error.code})")
            continue
        times.append(timings["parsing"])
        truth = lip_to_acgpn(parse)
        scores = []
        for label in LABELS.values():
            p, t = analysis.labels == label, truth == label
            i, u = (p & t).sum(), (p | t).sum()
            inter[label] += i
            union[label] += u
            if u >= MIN_PIXELS:
                scores.append(i / u)
        per_photo[name] = float(np.mean(scores))
        if overlays:
            Image.fromarray(np.hstack([draw_parsing(rgb, analysis.lip), draw_parsing(rgb, parse)])).save(
                overlays / f"{name}_{preprocessor.parser_name}.jpg", quality=90)
    iou = {name: inter[label] / max(union[label], 1) for name, label in LABELS.items()}
    return {"iou": iou, "mean": float(np.mean(list(iou.values()))), "per_photo": per_photo, "refused": refused,
            "parsing_ms": float(np.median(times)) if times else float("nan")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", nargs="+", choices=["dev", "val"], default=["dev", "val"])
    parser.add_argument("--parsers", nargs="+", choices=["heuristic", "learned"], default=["heuristic", "learned"])
    parser.add_argument("--overlays", type=Path, help="write photo overlays (prediction | VITON) here")
    args = parser.parse_args()
    if args.overlays:
        args.overlays.mkdir(parents=True, exist_ok=True)

    sets = {"dev": dev_set, "val": val_set}
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    print("| set | parser | " + " | ".join(LABELS) + " | mean of 6 | worst photo | photos < 0.60 | refused | "
          "parsing ms (median) |")
    print("|---" * (len(LABELS) + 8) + "|")
    for set_name in args.sets:
        photos = sets[set_name]()
        for parser_name in args.parsers:
            preprocessor = Preprocessor(PreprocessConfig(parser=parser_name))
            preprocessor.warmup()
            started = time.monotonic()
            result = evaluate(preprocessor, photos, args.overlays if set_name == "dev" else None)
            preprocessor.close()
            worst = min(result["per_photo"], key=result["per_photo"].get)
            below = sum(v < 0.6 for v in result["per_photo"].values())
            print(f"| {set_name} ({len(photos)}) | {parser_name} | "
                  + " | ".join(f"{v:.3f}" for v in result["iou"].values())
                  + f" | **{result['mean']:.3f}** | {result['per_photo'][worst]:.2f} ({worst}) | {below} | "
                  f"{len(result['refused'])} | {result['parsing_ms']:.0f} |", flush=True)
            if result["refused"]:
                print(f"<!-- refused: {', '.join(result['refused'])}; {time.monotonic() - started:.0f} s -->")


if __name__ == "__main__":
    main()
