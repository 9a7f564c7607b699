"""Run the rest of the serving path over the parser cache's persons, once, and cache what the learned try-on
sees: the project's parse of each person (the shipped learned parser, with its clean-up) and the person's own
garment as the classical backend warps it onto them. The photo, keypoints and VITON's parse (the targets)
stay in the parser cache (`parser_cache.py`), row for row.

    .venv/bin/python -m server.train.tryon_cache --parser-cache CACHE --out TRYON_CACHE [--workers 2]

The garment mask is VITON's own (a catalog garment ships its exact mask too). Resumable like the parser
cache; rebuild it whenever the parser's weights or the garment warp change (meta.json records both).
"""
from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import numpy as np
import torch

from server.pipeline.backends.embedded.body_targets import body_targets
from server.pipeline.backends.embedded.warp import prepare_garment, warp_garment
from server.pipeline.backends.learned.inputs import NET_SIZE, garment_layer
from server.pipeline.backends.learned.length import lengthen_torso
from server.pipeline.preprocess.parsing.learned import WEIGHTS, LearnedParser, ParserInputs
from server.pipeline.vocabulary import Coco18, GarmentCategory
from server.train.parser_cache import Arrays, Mode, flush, open_arrays, rows_to_do, run_workers
from server.train.parser_cache import open_cache as open_parser_cache
from server.train.viton import DEFAULT_ROOT, VitonTrain

W, H = NET_SIZE
ARRAYS: Arrays = {  # name: (per-row shape, dtype)
    "lip": ((H, W), np.uint8),  # the project's parse
    "warped": ((H, W, 3), np.uint8),  # the classical warp of the person's own garment
    "alpha": ((H, W), np.uint8),
    "done": ((), np.int8),  # 1 = cached, -1 = not in the parser cache or the classical warp refused it
}
HIPS = (Coco18.R_HIP, Coco18.L_HIP)
# What the cached warps are (meta.json): a cache of another kind must be rebuilt, not resumed.
GARMENT_WARP = "classical landmark warp, torso lengthened to the worn top (learned/length.py)"


def open_cache(folder: Path, rows: int = 0, mode: Mode = "r") -> dict[str, np.memmap]:
    """The cache's arrays as memory maps; with mode "w+" they are created for `rows` rows."""
    return open_arrays(folder, ARRAYS, rows, mode)


def garment_masks(root: Path) -> np.ndarray:
    """VITON's garment masks, (N, 256, 192) bool in pairs.txt order."""
    packed = np.load(root / "cloth_mask.npz")
    return np.unpackbits(packed["bits"], axis=-1)[..., :W].astype(bool)


def parse(parser: LearnedParser, person: dict[str, np.ndarray]) -> np.ndarray | None:
    """The learned parser's serving path on one cached crop (it is already at the network's size). BlazePose's
    hips count as visible when their COCO-18 points are there (they are kept only at visibility ≥ 0.5)."""
    hips_visible = bool((person["keypoints"][list(HIPS), 2] > 0).any())
    return parser.network_labels(ParserInputs(person["rgb"], person["person_mask"], person["keypoints"],
                                              person["face"], (0, 0, W, H), hips_visible))


def _work(args: tuple[Path, Path, Path, list[int]]) -> int:
    folder, parser_folder, root, rows = args
    torch.set_num_threads(1)
    viton, people, cache = VitonTrain(root), open_parser_cache(parser_folder), open_cache(folder, mode="r+")
    parser, masks = LearnedParser(), garment_masks(root)
    for count, row in enumerate(rows):
        person = {k: np.array(people[k][row]) for k in ("rgb", "person_mask", "keypoints", "face")}
        lip = parse(parser, person)
        if lip is None:  # non-finite network output: serving would use the heuristic parser, training skips it
            print(f"row {row}: the learned parser gave non-finite numbers", flush=True)
            cache["done"][row] = -1
            continue
        keypoints = person["keypoints"].copy()
        keypoints[:, 0] *= W
        keypoints[:, 1] *= H
        mask = masks[row].astype(np.uint8) * 255
        try:
            prepared = prepare_garment(viton.garment(viton.ids[row]), mask, GarmentCategory.TSHIRT)
            targets = body_targets(prepared.landmarks, mask, keypoints, lip, GarmentCategory.TSHIRT)
            torso, sleeves = warp_garment(prepared, targets, (H, W))
            torso = lengthen_torso(torso, targets, lip)
        except Exception as error:  # the classical backend refuses this pair (no shoulders, no garment outline)
            print(f"row {row}: {type(error).__name__}: {error}", flush=True)
            cache["done"][row] = -1
            continue
        rgb, alpha = garment_layer(torso, sleeves)
        cache["lip"][row] = lip
        cache["warped"][row] = np.clip(rgb + 0.5, 0, 255).astype(np.uint8)
        cache["alpha"][row] = np.clip(alpha * 255 + 0.5, 0, 255).astype(np.uint8)
        cache["done"][row] = 1
        if count % 500 == 0:
            flush(cache, f"{count}/{len(rows)}")
    flush(cache)
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parser-cache", type=Path, default=Path("~/.cache/fitting-booth/parser-cache"))
    parser.add_argument("--out", type=Path, default=Path("~/.cache/fitting-booth/tryon-cache"))
    parser.add_argument("--data", type=Path, default=DEFAULT_ROOT, help="the VITON training split")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0, help="only the first N ids of each split (a quick look)")
    args = parser.parse_args()

    folder, parser_folder = args.out.expanduser(), args.parser_cache.expanduser()
    people_done = np.load(parser_folder / "done.npy")
    meta = json.loads((parser_folder / "meta.json").read_text())
    meta["parser_sha256"] = hashlib.sha256(WEIGHTS.read_bytes()).hexdigest()
    meta["garment_warp"] = GARMENT_WARP
    rows = len(people_done)
    if (folder / "done.npy").exists():
        saved = json.loads((folder / "meta.json").read_text())
        assert saved["parser_sha256"] == meta["parser_sha256"], "cache made with other parser weights: rebuild it"
        assert saved.get("garment_warp") == GARMENT_WARP, "cache made with another garment warp: rebuild it"
        done = np.load(folder / "done.npy")
    else:
        open_cache(folder, rows, "w+")
        (folder / "meta.json").write_text(json.dumps(meta))
        done = np.zeros(rows, np.int8)
    skipped = np.flatnonzero((done == 0) & (people_done != 1))  # persons the parser cache has not got
    if len(skipped):
        cache = open_cache(folder, mode="r+")
        cache["done"][skipped] = -1
        cache["done"].flush()
        done[skipped] = -1
    todo = rows_to_do(done, rows - len(meta["val_ids"]), args.limit)
    print(f"{len(todo)} of {rows} pairs to prepare into {folder}", flush=True)
    run_workers(_work, [(folder, parser_folder, args.data, todo[i::args.workers]) for i in range(args.workers)],
                folder)


if __name__ == "__main__":
    main()
