"""What the training commands share: the split of a cache's rows, resuming a run, the seeded data order, the
learning-rate schedule and bringing a batch to the training resolution."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from server.pipeline.vocabulary import Coco18, Lip, mirrored
from server.train.checkpoint import load_checkpoint, save_checkpoint

CHECKPOINT_EVERY_S = 600


def add_arguments(parser: argparse.ArgumentParser, widths: list[int]) -> None:
    """The options every training command takes (besides its caches and its own losses)."""
    parser.add_argument("--run", type=Path, required=True, help="folder for checkpoints, log and contact sheets")
    parser.add_argument("--widths", type=int, nargs="+", default=widths)
    parser.add_argument("--height", type=int, choices=[128, 256], default=256, help="training resolution")
    parser.add_argument("--samples", type=int, default=60_000, help="samples to train on (sets the LR schedule)")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--validate-every", type=int, default=4000, help="samples")
    parser.add_argument("--init", type=Path,
                        help="start from these weights: a run's last.pt (e.g. a 128-px pre-training) or a shipped file")
    parser.add_argument("--limit", type=int, default=0, help="train on the first N rows only (tests)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--export", type=Path, help="write the shipped weights file from RUN/last.pt and stop")


def start(args: argparse.Namespace) -> None:
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    args.run.mkdir(parents=True, exist_ok=True)


def split_rows(folder: Path, done: np.ndarray, limit: int = 0, val_rows: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Cached rows (done == 1) of the training and the validation split (the last ids of the cache's meta.json);
    `limit` keeps the first rows only (tests, ablations), `val_rows` the first validation rows."""
    meta = json.loads((folder / "meta.json").read_text())
    val_start = len(meta["ids"]) - len(meta["val_ids"])
    rows = np.flatnonzero(np.asarray(done) == 1)
    train, val = rows[rows < val_start], rows[rows >= val_start]
    if val_rows:
        val = val[:val_rows]
    if limit:
        train, val = train[:limit], val[:max(8, limit // 4)]
    return train, val


def resume(run: Path, net: nn.Module, optimiser: torch.optim.Optimizer, init: Path | None, state: dict) -> None:
    """Continue RUN/last.pt exactly (network, optimiser, step, samples seen), or else start from `init`: a run's
    last.pt (e.g. a 128-px pre-training) or a shipped weights file."""
    last = run / "last.pt"
    if last.exists():
        saved = load_checkpoint(last)
        net.load_state_dict(saved["model"])
        optimiser.load_state_dict(saved["optimiser"])
        state.update({k: saved[k] for k in ("step", "samples_seen", "validation")})
        print(f"resumed at step {state['step']} ({state['samples_seen']} samples)", flush=True)
    elif init:
        blob = load_checkpoint(init)
        net.load_state_dict(blob["model"] if "model" in blob else blob["state_dict"])
        print(f"initialised from {init}", flush=True)


def batch_at(step: int, rows: int, batch: int, seed: int) -> tuple[torch.Tensor, torch.Generator]:
    """The row indices of training step `step` (a fresh seeded permutation per epoch) and the generator for that
    step's augmentation: both functions of the seed and the step, so a resumed run sees what it would have."""
    epoch, position = divmod(step, rows // batch)
    order = torch.randperm(rows, generator=torch.Generator().manual_seed(seed * 100_003 + epoch))
    return order[position * batch:(position + 1) * batch], torch.Generator().manual_seed(seed * 1_000_003 + step)


def learning_rate(step: int, steps: int, peak: float) -> float:
    """Linear warm-up over the first 3 % of the steps, then a cosine to zero. A function of the step, not a
    scheduler's state, so a resumed run with a larger --samples simply stretches the rest of the curve."""
    warmup = max(1, int(0.03 * steps))
    if step < warmup:
        return peak * (step + 1) / warmup
    return float(0.5 * peak * (1 + np.cos(np.pi * min(1.0, (step - warmup) / max(1, steps - warmup)))))


def at_height(batch: dict[str, torch.Tensor], height: int, images: tuple[str, ...],
              labels: tuple[str, ...]) -> dict[str, torch.Tensor]:
    """The batch at the training resolution: area-averaged `images` ((B, C, H, W) uint8), nearest `labels`
    ((B, H, W)); everything else (keypoints as fractions) as it is."""
    factor = batch[images[0]].shape[-2] // height
    if factor == 1:
        return batch
    out = dict(batch)
    for key in images:
        out[key] = F.avg_pool2d(batch[key].float(), factor).round().to(torch.uint8)
    for key in labels:
        out[key] = batch[key][:, factor // 2::factor, factor // 2::factor]
    return out


COCO_MIRROR = [mirrored(k) for k in Coco18]  # a flip swaps left and right
LIP_MIRROR = torch.tensor([mirrored(label) for label in Lip])


def flip(batch: dict[str, torch.Tensor], which: torch.Tensor, images: tuple[str, ...],
         labels: tuple[str, ...]) -> dict[str, torch.Tensor]:
    """Mirror the rows `which` (B,) bool: `images` and `labels` (LIP-20) flipped, left/right labels and the
    keypoints (frame fractions) swapped; everything else as it is."""
    out = dict(batch)
    for key in images + labels:
        out[key] = torch.where(which.view(-1, *[1] * (batch[key].dim() - 1)), batch[key].flip(-1), batch[key])
    for key in labels:
        out[key] = torch.where(which[:, None, None], LIP_MIRROR[out[key].long()].to(torch.uint8), out[key])
    kp = batch["keypoints"]
    swapped = kp[:, COCO_MIRROR].clone()
    swapped[..., 0] = torch.where(swapped[..., 2] > 0, 1 - swapped[..., 0], swapped[..., 0])
    out["keypoints"] = torch.where(which[:, None, None], swapped, kp)
    return out


def begin(args: argparse.Namespace, net: nn.Module) -> tuple[torch.optim.Optimizer, dict, int]:
    """AdamW, the run's state (RUN/last.pt resumed, or fresh from --init) and the number of steps --samples makes."""
    optimiser = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=1e-4)
    settings = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    state = {"step": 0, "samples_seen": 0, "validation": None, "args": settings}
    resume(args.run, net, optimiser, args.init, state)
    return optimiser, state, max(1, args.samples // args.batch)


def optimise(optimiser: torch.optim.Optimizer, loss: torch.Tensor, state: dict, steps: int,
             args: argparse.Namespace) -> None:
    """One step at the schedule's learning rate; the state counts it."""
    for group in optimiser.param_groups:
        group["lr"] = learning_rate(state["step"], steps, args.lr)
    optimiser.zero_grad(set_to_none=True)
    loss.backward()
    optimiser.step()
    state["step"] += 1
    state["samples_seen"] += args.batch


def write_record(run: Path, record: dict) -> None:
    """Append a validation record to RUN/log.jsonl and print it."""
    line = json.dumps(record)
    with open(run / "log.jsonl", "a") as log:
        log.write(line + "\n")
    print(line, flush=True)


def checkpoint(run: Path, net: nn.Module, optimiser: torch.optim.Optimizer, state: dict) -> None:
    save_checkpoint(run / "last.pt", {"model": net.state_dict(), "optimiser": optimiser.state_dict(), **state})
