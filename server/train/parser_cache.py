"""Run the project's own preprocessing over VITON's training persons, once, and cache what the learned parser
sees (its inputs) beside what it should say (VITON's LIP-20 parse as the target).

Each person is first put on another background in a kiosk-like frame and light (`composite.py`), then goes
through the serving path: person selection, MediaPipe, `crop_inputs`. The cache holds research-only data: it
lives outside the repository.

    .venv/bin/python -m server.train.parser_cache --out ~/.cache/fitting-booth/parser-cache [--workers 2]

Resumable: finished rows are flagged in done.npy, and a rerun only fills in the rest.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import time
from pathlib import Path
from typing import Literal

import numpy as np

from server.pipeline.preprocess.body import BodyModel
from server.pipeline.preprocess.parsing.learned import NET_SIZE, crop_inputs, crop_labels
from server.pipeline.preprocess.people import PeopleFinder
from server.pipeline.vocabulary import Coco18
from server.train.backgrounds import random_background
from server.train.composite import CANVAS, compose
from server.train.viton import DEFAULT_ROOT, VitonTrain

W, H = NET_SIZE
Arrays = dict[str, tuple[tuple[int, ...], type[np.generic]]]  # name: (per-row shape, dtype)
Mode = Literal["r", "r+", "w+"]
ARRAYS: Arrays = {
    "rgb": ((H, W, 3), np.uint8),
    "person_mask": ((H, W), np.uint8),
    "face": ((H, W), np.uint8),
    "keypoints": ((len(Coco18), 3), np.float32),
    "target": ((H, W), np.uint8),
    "done": ((), np.int8),  # 1 = cached, -1 = MediaPipe found nobody (left out of training)
}


def open_cache(folder: Path, rows: int = 0, mode: Mode = "r") -> dict[str, np.memmap]:
    """The cache's arrays as memory maps; with mode "w+" they are created for `rows` rows."""
    return open_arrays(folder, ARRAYS, rows, mode)


def open_arrays(folder: Path, arrays: Arrays, rows: int = 0, mode: Mode = "r") -> dict[str, np.memmap]:
    """`arrays` ({name: (per-row shape, dtype)}) as .npy memory maps in `folder`; "w+" creates them."""
    folder = Path(folder)
    if mode == "w+":
        folder.mkdir(parents=True, exist_ok=True)
        return {name: np.lib.format.open_memmap(folder / f"{name}.npy", "w+", dtype, (rows,) + shape)
                for name, (shape, dtype) in arrays.items()}
    return {name: np.load(folder / f"{name}.npy", mmap_mode=mode) for name in arrays}


def _work(args: tuple[Path, Path, list[int], int]) -> int:
    folder, root, rows, seed = args
    viton, cache = VitonTrain(root), open_cache(folder, mode="r+")
    people, body_model = PeopleFinder(), BodyModel(hands=False)  # the learned parser's serving path
    for count, row in enumerate(rows):
        person_id = viton.ids[row]
        rng = np.random.default_rng([seed, row])
        scene = compose(viton.person(person_id), viton.parse(person_id), random_background(rng, *CANVAS), rng)
        selection = people.select(scene.image)
        region = selection.region(scene.image)
        body = body_model.observe(region)
        if body is None:
            cache["done"][row] = -1
            continue
        x0, y0, x1, y1 = selection.box
        inputs = crop_inputs(region, body)
        cache["rgb"][row], cache["person_mask"][row], cache["face"][row] = inputs.rgb, inputs.person_mask, inputs.face
        cache["keypoints"][row] = inputs.keypoints
        cache["target"][row] = crop_labels(np.ascontiguousarray(scene.lip[y0:y1, x0:x1]), inputs.box)
        cache["done"][row] = 1
        if count % 200 == 0:
            flush(cache, f"{count}/{len(rows)}")
    flush(cache)
    people.close()
    body_model.close()
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("~/.cache/fitting-booth/parser-cache"))
    parser.add_argument("--data", type=Path, default=DEFAULT_ROOT, help="the VITON training split")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=0, help="only the first N ids of each split (a quick look)")
    args = parser.parse_args()

    folder = args.out.expanduser()
    viton = VitonTrain(args.data)
    rows = len(viton.ids)
    meta = {"data": str(args.data), "ids": viton.ids, "val_ids": viton.val_ids, "seed": args.seed, "net_size": NET_SIZE}
    if (folder / "done.npy").exists():
        assert json.loads((folder / "meta.json").read_text())["seed"] == args.seed, "cache made with another seed"
        done = np.load(folder / "done.npy")
    else:
        open_cache(folder, rows, "w+")
        (folder / "meta.json").write_text(json.dumps(meta))
        done = np.zeros(rows, np.int8)
    todo = rows_to_do(done, rows - len(viton.val_ids), args.limit)
    print(f"{len(todo)} of {rows} persons to preprocess into {folder}", flush=True)
    run_workers(_work, [(folder, args.data, todo[i::args.workers], args.seed) for i in range(args.workers)], folder)


def flush(cache: dict[str, np.memmap], progress: str = "") -> None:
    """Write the memory maps' pages out (a killed worker keeps what it flushed); print `progress` if given."""
    for array in cache.values():
        array.flush()
    if progress:
        print(f"[{multiprocessing.current_process().name}] {progress}", flush=True)


def rows_to_do(done: np.ndarray, val_start: int, limit: int = 0) -> list[int]:
    """Rows not done yet, validation rows first (so that training can start on a partly filled cache); with
    `limit`, only the first `limit` rows of each split."""
    todo = [r for r in [*range(val_start, len(done)), *range(val_start)] if done[r] == 0]
    if limit:
        todo = [r for r in todo if r < limit or val_start <= r < val_start + limit]
    return todo


def run_workers(work, shards: list[tuple], folder: Path) -> None:
    """`work` on each shard in its own process (spawned: MediaPipe and torch do not survive a fork), then a
    summary of the cache's done flags."""
    started = time.monotonic()
    with multiprocessing.get_context("spawn").Pool(len(shards)) as pool:
        pool.map(work, shards)
    done = np.load(folder / "done.npy")
    print(f"done in {time.monotonic() - started:.0f} s: {(done == 1).sum()} cached, {(done == -1).sum()} left out, "
          f"{(done == 0).sum()} left", flush=True)


if __name__ == "__main__":
    main()
