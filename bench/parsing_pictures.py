"""Heuristic and learned parsing side by side on the kiosk's demo photo (skimage's astronaut, 768×1024) and on
the same person put in front of generated shop-like backgrounds: a picture to look at, for docs/.

    .venv/bin/python bench/parsing_pictures.py docs/images/parsing_heuristic_vs_learned.jpg

Rows: photo, heuristic parser, learned parser (LIP palette over the photo). No VITON image is used.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from common.config.server import PreprocessConfig
from kiosk.demo import demo_portrait
from server.pipeline.errors import PipelineError
from server.pipeline.preprocess import Preprocessor
from server.pipeline.preprocess.body import BodyModel
from server.pipeline.preprocess.overlays import draw_parsing
from server.train.backgrounds import random_background

BACKGROUND_SEEDS = (3, 11, 21, 40)
TILE = (240, 320)


def scenes() -> list[np.ndarray]:
    """The demo portrait, then the astronaut cut out with MediaPipe's person mask onto generated backgrounds."""
    portrait = np.asarray(demo_portrait())
    height, width = portrait.shape[:2]
    body = BodyModel(hands=False)
    observed = body.observe(portrait)
    body.close()
    if observed is None:
        raise SystemExit("MediaPipe found nobody in the demo portrait")
    alpha = observed.person_mask[..., None]
    out = [portrait]
    for seed in BACKGROUND_SEEDS:
        background = random_background(np.random.default_rng(seed), width, height).astype(np.float32)
        out.append((alpha * portrait + (1 - alpha) * background).astype(np.uint8))
    return out


def label(tile: np.ndarray, text: str) -> np.ndarray:
    cv2.putText(tile, text, (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 2, cv2.LINE_AA)
    return tile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    parsers = {name: Preprocessor(PreprocessConfig(parser=name)) for name in ("heuristic", "learned")}
    columns = []
    for photo in scenes():
        tiles = [cv2.resize(photo, TILE, interpolation=cv2.INTER_AREA)]
        for name, preprocessor in parsers.items():
            try:
                overlay = draw_parsing(photo, preprocessor.analyze_person(photo).lip)
                tiles.append(label(cv2.resize(overlay, TILE, interpolation=cv2.INTER_AREA), name))
            except PipelineError as error:
                tiles.append(label(np.zeros((TILE[1], TILE[0], 3), np.uint8), f"{name}: {error.code}"))
        columns.append(np.vstack(tiles))
    Image.fromarray(np.hstack(columns)).save(args.out, quality=88)
    print(args.out)


if __name__ == "__main__":
    main()
