"""Train the learned human parser (`ParserNet`) on the cache written by `server.train.parser_cache`.

    .venv/bin/python -m server.train.parser --cache ~/.cache/fitting-booth/parser-cache --run runs/parser \\
        [--variant photo+mediapipe] [--height 256] [--samples 60000] [--init runs/parser-128/last.pt]
    .venv/bin/python -m server.train.parser --run runs/parser --export server/weights/parser.pt

Rerunning the same command resumes from `RUN/last.pt` exactly (model, optimiser, schedule, data order). The
validation rows (the last 500 ids of pairs.txt) are never trained on; their IoU is logged to `RUN/log.jsonl`
and a contact sheet (photo | prediction | target) is written at every validation.
"""
from __future__ import annotations

import argparse
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.nn import functional as F

from server.pipeline.preprocess.labels import LIP_TO_ACGPN_TABLE
from server.pipeline.preprocess.parsing.learned import input_tensor
from server.pipeline.preprocess.parsing.network import INPUTS, ParserNet
from server.pipeline.vocabulary import LIP_CLOTHES, Acgpn, Lip
from server.train import loop
from server.train.checkpoint import load_checkpoint
from server.train.parser_cache import open_cache

# The ACGPN labels the try-on relies on, as docs/preprocessing.md reports them.
REPORTED = {"hair": Acgpn.HAIR, "upper": Acgpn.UPPER_CLOTHES, "pants": Acgpn.PANTS, "left_arm": Acgpn.LEFT_ARM,
            "face": Acgpn.FACE, "right_arm": Acgpn.RIGHT_ARM}
CLOTHES = torch.zeros(len(Lip), dtype=torch.bool)  # indexed by LIP label: what can be recoloured
CLOTHES[[Lip.HAT, Lip.GLOVE, Lip.SUNGLASSES, *LIP_CLOTHES, Lip.SOCKS, Lip.PANTS, Lip.JUMPSUITS, Lip.SCARF, Lip.SKIRT,
         Lip.LEFT_SHOE, Lip.RIGHT_SHOE]] = True
RECOLOUR_P = 0.6


class Batches:
    """The cached rows held in memory as tensors, served in a seeded per-epoch order."""

    def __init__(self, cache: Mapping[str, np.ndarray], rows: np.ndarray) -> None:
        self.rows = rows
        self.rgb = torch.from_numpy(np.ascontiguousarray(cache["rgb"][rows])).permute(0, 3, 1, 2)  # (N, 3, H, W)
        self.mask = torch.from_numpy(np.ascontiguousarray(cache["person_mask"][rows]))[:, None]  # (N, 1, H, W)
        self.face = torch.from_numpy(np.ascontiguousarray(cache["face"][rows]))[:, None]
        self.keypoints = torch.from_numpy(np.ascontiguousarray(cache["keypoints"][rows]))  # (N, 18, 3)
        self.target = torch.from_numpy(np.ascontiguousarray(cache["target"][rows]))  # (N, H, W)

    def __len__(self) -> int:
        return len(self.rows)

    def take(self, index: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"rgb": self.rgb[index], "mask": self.mask[index], "face": self.face[index],
                "keypoints": self.keypoints[index].clone(),
                "target": self.target[index]}


def recolour_clothes(rgb: torch.Tensor, target: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Give the clothes of some photos another colour (a rotation, scaling and shift of their YCbCr chroma, and
    a brightness change): VITON's garment colours are not a cue for what is clothing. This is also how
    skin-coloured, orange and brown clothes get into the training data (the heuristic parser's worst case).

    rgb (B, 3, H, W) uint8, target (B, H, W) LIP-20 → (B, 3, H, W) uint8."""
    n = len(rgb)
    x = rgb.float()
    r, g, b = x[:, 0], x[:, 1], x[:, 2]
    luma = 0.299 * r + 0.587 * g + 0.114 * b
    cb, cr = -0.168736 * r - 0.331264 * g + 0.5 * b, 0.5 * r - 0.418688 * g - 0.081312 * b

    def per_sample(low: float, high: float) -> torch.Tensor:
        return (low + (high - low) * torch.rand(n, generator=generator)).view(n, 1, 1)

    angle, saturation = per_sample(0, 2 * np.pi), per_sample(0.4, 1.6)
    cb, cr = (saturation * (torch.cos(angle) * cb - torch.sin(angle) * cr) + per_sample(-30, 30),
              saturation * (torch.sin(angle) * cb + torch.cos(angle) * cr) + per_sample(-30, 30))
    luma = luma * per_sample(0.6, 1.3)
    recoloured = torch.stack([luma + 1.402 * cr, luma - 0.344136 * cb - 0.714136 * cr, luma + 1.772 * cb], 1)
    chosen = (torch.rand(n, generator=generator) < RECOLOUR_P).view(n, 1, 1)
    clothes = (CLOTHES[target.long()] & chosen)[:, None]
    return torch.where(clothes, recoloured.clamp(0, 255).round(), x).to(torch.uint8)


def augment(batch: dict[str, torch.Tensor], generator: torch.Generator) -> dict[str, torch.Tensor]:
    """Horizontal flips with left/right swapped, clothes recoloured, and colour jitter on the photo (the light
    and background variety is already in the cached composites, where MediaPipe saw it)."""
    flip = torch.rand(len(batch["rgb"]), generator=generator) < 0.5
    out = loop.flip(batch, flip, images=("rgb", "mask", "face"), labels=("target",))
    rgb = recolour_clothes(out["rgb"], out["target"], generator).float()
    n = len(rgb)
    gain = 1 + 0.25 * (2 * torch.rand(n, 1, 1, 1, generator=generator) - 1)
    bias = 20 * (2 * torch.rand(n, 1, 1, 1, generator=generator) - 1)
    grey = rgb.mean(1, keepdim=True)
    saturation = 1 + 0.4 * (2 * torch.rand(n, 1, 1, 1, generator=generator) - 1)
    rgb = (grey + (rgb - grey) * saturation) * gain + bias
    out["rgb"] = rgb.clamp(0, 255).to(torch.uint8)
    return out


def at_height(batch: dict[str, torch.Tensor], height: int) -> dict[str, torch.Tensor]:
    return loop.at_height(batch, height, images=("rgb", "mask", "face"), labels=("target",))


def forward(net: ParserNet, batch: dict[str, torch.Tensor], variant: str) -> torch.Tensor:
    x = input_tensor(batch["rgb"], batch["mask"], batch["keypoints"], batch["face"], variant)
    with torch.autocast("cpu", torch.bfloat16):
        return net(x).float()  # (B, 20, H, W)


@torch.inference_mode()
def validate(net: ParserNet, data: Batches, variant: str, height: int) -> dict[str, float]:
    """IoU of each reported ACGPN label, intersections and unions summed over the validation rows."""
    net.eval()
    acgpn = torch.from_numpy(LIP_TO_ACGPN_TABLE)
    inter, union = torch.zeros(14), torch.zeros(14)
    for start in range(0, len(data), 32):
        batch = at_height(data.take(torch.arange(start, min(start + 32, len(data)))), height)
        pred = acgpn[forward(net, batch, variant).argmax(1)]
        truth = acgpn[batch["target"].long()]
        for label in REPORTED.values():
            p, t = pred == label, truth == label
            inter[label] += (p & t).sum()
            union[label] += (p | t).sum()
    net.train()
    iou = {name: float(inter[label] / union[label].clamp(min=1)) for name, label in REPORTED.items()}
    iou["mean6"] = float(np.mean(list(iou.values())))
    return iou


@torch.inference_mode()
def contact_sheet(net: ParserNet, data: Batches, variant: str, height: int, path: Path) -> None:
    """Photo | prediction | target for 8 validation rows, in a fixed palette."""
    net.eval()
    batch = at_height(data.take(torch.arange(0, len(data), max(1, len(data) // 8))[:8]), height)
    pred = forward(net, batch, variant).argmax(1)
    palette = torch.from_numpy(np.random.default_rng(1).integers(40, 255, (20, 3)).astype(np.uint8))
    palette[0] = 0
    tiles = [torch.cat([batch["rgb"][i].permute(1, 2, 0), palette[pred[i]], palette[batch["target"][i].long()]], 1)
             for i in range(len(pred))]
    tiles += [torch.zeros_like(tiles[0])] * (-len(tiles) % 4)
    Image.fromarray(torch.cat([torch.cat(tiles[i:i + 4], 1) for i in range(0, len(tiles), 4)], 0).numpy()).save(path)
    net.train()


def export(run: Path, out: Path) -> None:
    """Write the shipped weights file: the network and what `load_parser_net` needs to rebuild it."""
    state = load_checkpoint(run / "last.pt")
    args = state["args"]
    torch.save({"variant": args["variant"], "widths": args["widths"], "state_dict": state["model"],
                "samples_seen": state["samples_seen"], "validation": state["validation"]}, out)
    print(f"wrote {out}: {args['variant']}, widths {args['widths']}, {state['samples_seen']} samples seen, "
          f"validation {state['validation']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=Path("~/.cache/fitting-booth/parser-cache"))
    parser.add_argument("--variant", choices=list(INPUTS), default="photo+mediapipe")
    loop.add_arguments(parser, widths=[16, 32, 64, 128, 192])
    args = parser.parse_args()
    if args.export:
        return export(args.run, args.export)

    loop.start(args)
    cache = open_cache(args.cache.expanduser())
    train_rows, val_rows = loop.split_rows(args.cache.expanduser(), cache["done"], args.limit)
    train, val = Batches(cache, train_rows), Batches(cache, val_rows)
    print(f"{len(train)} training rows, {len(val)} validation rows, variant {args.variant}, {args.height} px",
          flush=True)

    net = ParserNet(INPUTS[args.variant], tuple(args.widths))
    optimiser, state, steps = loop.begin(args, net)
    saved_at, started, losses = time.monotonic(), time.monotonic(), []
    while state["step"] < steps:
        index, generator = loop.batch_at(state["step"], len(train), args.batch, args.seed)
        batch = at_height(augment(train.take(index), generator), args.height)
        loss = F.cross_entropy(forward(net, batch, args.variant), batch["target"].long())
        loop.optimise(optimiser, loss, state, steps, args)
        losses.append(loss.item())
        final = state["step"] == steps
        if state["samples_seen"] % args.validate_every < args.batch or final:
            state["validation"] = validate(net, val, args.variant, args.height)
            contact_sheet(net, val, args.variant, args.height, args.run / f"sheet-{state['samples_seen']:07d}.png")
            record = {"samples": state["samples_seen"], "loss": float(np.mean(losses)),
                      "lr": optimiser.param_groups[0]["lr"],
                      "samples_per_s": len(losses) * args.batch / (time.monotonic() - started), **state["validation"]}
            loop.write_record(args.run, record)
            losses, started = [], time.monotonic()
        if time.monotonic() - saved_at > loop.CHECKPOINT_EVERY_S or final:
            loop.checkpoint(args.run, net, optimiser, state)
            saved_at = time.monotonic()


if __name__ == "__main__":
    main()
