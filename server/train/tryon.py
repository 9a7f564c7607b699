"""Train the learned try-on's renderer (`TryOnNet`) on the parser cache (photos, keypoints, VITON's parse) and the
try-on cache (the project's parse, the classically warped garment) of the same rows.

    .venv/bin/python -m server.train.tryon --parser-cache PARSER_CACHE --cache TRYON_CACHE --run runs/tryon \\
        [--height 128] [--samples 60000] [--vgg 0.5] [--init runs/tryon-128/last.pt]
    .venv/bin/python -m server.train.tryon --run runs/tryon --export server/weights/tryon.pt

Training is paired (each person with the garment they wear, so the photo is the answer). Losses inside the
try-on region: L1 (arms weighted ARM_WEIGHT), 1 − SSIM, optionally the VGG16 perceptual loss, cross-entropy of
the layout, and an L1 that asks the composition mask to keep the warped garment exactly where VITON's parse has
garment. Rerunning the same command resumes from `RUN/last.pt` exactly (model, optimiser, schedule, data
order). The validation rows (the last 500 ids of pairs.txt) are never trained on; their figures go to
`RUN/log.jsonl` and a contact sheet (photo | warped input | try-on | rendered | keep) to `RUN/sheet-*.png`.
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

from server.pipeline.backends.learned.inputs import LAYOUT, compose, network_input, skin_colour, to_unit
from server.pipeline.backends.learned.network import TryOnNet
from server.pipeline.vocabulary import LIP_ARMS, LIP_CLOTHES, Lip
from server.train import loop
from server.train.checkpoint import load_checkpoint
from server.train.parser_cache import open_cache as open_parser_cache
from server.train.tryon_cache import open_cache
from server.train.vgg import Vgg16Loss

ARM_WEIGHT = 2.0  # extra L1 weight on the target's arm pixels (skin is what a shopper judges first)
SSIM_WEIGHT = 1.0
LAYOUT_WEIGHT = 0.5
KEEP_WEIGHT = 1.0
GARMENT_AND_ARMS = (*LIP_CLOTHES, *LIP_ARMS)


class Pairs:
    """The cached rows held in memory as tensors."""

    def __init__(self, people: Mapping[str, np.ndarray], tryon: Mapping[str, np.ndarray], rows: np.ndarray) -> None:
        self.rows = rows
        self.photo = torch.from_numpy(np.ascontiguousarray(people["rgb"][rows])).permute(0, 3, 1, 2)  # (N, 3, H, W)
        self.keypoints = torch.from_numpy(np.ascontiguousarray(people["keypoints"][rows]))  # (N, 18, 3)
        self.target = torch.from_numpy(np.ascontiguousarray(people["target"][rows]))  # (N, H, W) VITON LIP-20
        self.lip = torch.from_numpy(np.ascontiguousarray(tryon["lip"][rows]))  # (N, H, W) the project's parse
        self.warped = torch.from_numpy(np.ascontiguousarray(tryon["warped"][rows])).permute(0, 3, 1, 2)
        self.alpha = torch.from_numpy(np.ascontiguousarray(tryon["alpha"][rows]))[:, None]  # (N, 1, H, W)
        self.skin = torch.from_numpy(np.stack([skin_colour(photo, lip) for photo, lip in zip(
            self.photo.permute(0, 2, 3, 1).numpy(), self.lip.numpy())]))  # (N, 3)

    def __len__(self) -> int:
        return len(self.rows)

    def take(self, index: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"photo": self.photo[index], "keypoints": self.keypoints[index].clone(), "target": self.target[index],
                "lip": self.lip[index], "warped": self.warped[index], "alpha": self.alpha[index],
                "skin": self.skin[index]}


def flip(batch: dict[str, torch.Tensor], which: torch.Tensor) -> dict[str, torch.Tensor]:
    """Mirror the rows `which` (B,) bool: images flipped, left/right joints and labels swapped."""
    return loop.flip(batch, which, images=("photo", "warped", "alpha"), labels=("lip", "target"))


def at_height(batch: dict[str, torch.Tensor], height: int) -> dict[str, torch.Tensor]:
    return loop.at_height(batch, height, images=("photo", "warped", "alpha"), labels=("lip", "target"))


def ssim_map(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-pixel SSIM (Wang et al., 2004) of images in [-1, 1], (B, 3, H, W) → (B, 1, H, W), channel mean, with
    the settings `bench/eval_quality.py` scores by (scikit-image's: 7×7 uniform window, sample covariance)."""
    c1, c2, n = (0.01 * 2) ** 2, (0.03 * 2) ** 2, 49

    def mean(x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(x, 7, stride=1, padding=3, count_include_pad=False)

    ma, mb = mean(a), mean(b)
    va, vb = (mean(a * a) - ma ** 2) * n / (n - 1), (mean(b * b) - mb ** 2) * n / (n - 1)
    cov = (mean(a * b) - ma * mb) * n / (n - 1)
    s = ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma ** 2 + mb ** 2 + c1) * (va + vb + c2))
    return s.mean(1, keepdim=True)


def layout_target(lip: torch.Tensor) -> torch.Tensor:
    """VITON's LIP-20 parse (B, H, W) → layout classes (`inputs.LAYOUT`) (B, H, W) int64."""
    table = torch.zeros(len(Lip), dtype=torch.long)
    table[list(LIP_CLOTHES)] = LAYOUT.index("garment")
    table[Lip.LEFT_ARM], table[Lip.RIGHT_ARM] = LAYOUT.index("left_arm"), LAYOUT.index("right_arm")
    return table[lip.long()]


def run_net(net: TryOnNet, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The network on a batch and the try-on composed from it, all in [-1, 1]."""
    x, region = network_input(batch["photo"], batch["lip"], batch["keypoints"], batch["warped"], batch["alpha"],
                              batch["skin"], batch.get("hide_arms"), batch.get("hide_band"))
    with torch.autocast("cpu", torch.bfloat16):
        render, keep, layout = net.heads(x)
    photo, warped, alpha = to_unit(batch["photo"]), to_unit(batch["warped"]), batch["alpha"].float() / 255
    tryon = compose(photo, warped, alpha, render, keep, region)
    return {"tryon": tryon, "render": render, "keep": keep * alpha, "layout": layout, "region": region,
            "photo": photo, "alpha": alpha}


def losses(out: dict[str, torch.Tensor], batch: dict[str, torch.Tensor], vgg: Vgg16Loss | None,
           vgg_weight: float) -> dict[str, torch.Tensor]:
    region, photo = out["region"], out["photo"]
    area = region.sum().clamp(min=1)
    arms = torch.isin(batch["target"], torch.tensor(LIP_ARMS, dtype=torch.uint8))[:, None].float()
    garment = torch.isin(batch["target"], torch.tensor(LIP_CLOTHES, dtype=torch.uint8))[:, None].float()
    terms = {
        "l1": ((out["tryon"] - photo).abs().mean(1, keepdim=True) * region * (1 + ARM_WEIGHT * arms)).sum() / area,
        "ssim": SSIM_WEIGHT * ((1 - ssim_map(out["tryon"], photo)) * region).sum() / area,
        "layout": LAYOUT_WEIGHT * (F.cross_entropy(out["layout"], layout_target(batch["target"]), reduction="none")
                                   * region[:, 0]).sum() / area,
        "keep": KEEP_WEIGHT * ((out["keep"] - garment * out["alpha"]).abs() * region).sum() / area,
    }
    if vgg is not None:
        terms["vgg"] = vgg_weight * vgg(out["tryon"], photo)
    return terms


@torch.inference_mode()
def validate(net: TryOnNet, data: Pairs, height: int) -> dict[str, float]:
    """On the validation rows, in the frame: SSIM inside the garment (VITON's parse), PSNR outside garment and
    arms, the layout's pixel accuracy inside the try-on region; and PSNR in the band around the old clothes when
    it is hidden too (`hide_band`: what a garment that leaves skin or background bare asks for). Summed over
    pixels, then averaged per row."""
    net.eval()
    ssims, psnrs, band_psnrs, correct, counted = [], [], [], 0.0, 0.0
    for start in range(0, len(data), 32):
        batch = at_height(data.take(torch.arange(start, min(start + 32, len(data)))), height)
        out = run_net(net, batch)
        tryon = as_uint8(out["tryon"])
        smap = ssim_map(tryon, out["photo"])[:, 0]
        banded = run_net(net, {**batch, "hide_band": torch.ones(len(tryon), dtype=torch.bool)})
        band = (banded["region"] - out["region"])[:, 0] > 0
        band_mse = (((as_uint8(banded["tryon"]) - out["photo"]) * 127.5) ** 2).mean(1)
        garment = torch.isin(batch["target"], torch.tensor(LIP_CLOTHES, dtype=torch.uint8))
        outside = ~torch.isin(batch["target"], torch.tensor(GARMENT_AND_ARMS, dtype=torch.uint8))
        mse = (((tryon - out["photo"]) * 127.5) ** 2).mean(1)
        for i in range(len(tryon)):
            if garment[i].any():
                ssims.append(float(smap[i][garment[i]].mean()))
            psnrs.append(psnr(mse[i][outside[i]]))
            if band[i].any():
                band_psnrs.append(psnr(band_mse[i][band[i]]))
        inside = out["region"][:, 0] > 0
        correct += float((out["layout"].argmax(1) == layout_target(batch["target"]))[inside].sum())
        counted += float(inside.sum())
    net.train()
    return {"ssim_garment": float(np.mean(ssims)), "psnr_outside": float(np.mean(psnrs)),
            "layout_accuracy": correct / max(counted, 1), "psnr_band": float(np.mean(band_psnrs))}


def as_uint8(image: torch.Tensor) -> torch.Tensor:
    """[-1, 1] → the same range, rounded as the uint8 result is."""
    return ((image + 1) * 127.5).round().clamp(0, 255) / 127.5 - 1


def psnr(squared_errors: torch.Tensor) -> float:
    """PSNR (dB) of squared errors in 0..255 units."""
    return float(10 * torch.log10(255 ** 2 / squared_errors.mean().clamp(min=1e-3)))


@torch.inference_mode()
def contact_sheet(net: TryOnNet, data: Pairs, height: int, path: Path) -> None:
    """Photo | warped garment over the photo | try-on | rendered pixels | keep mask, for 6 validation rows."""
    net.eval()
    batch = at_height(data.take(torch.arange(0, len(data), max(1, len(data) // 6))[:6]), height)
    out = run_net(net, batch)

    def u8(x: torch.Tensor) -> torch.Tensor:
        return ((x.float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 1)

    over = out["photo"] * (1 - out["alpha"]) + to_unit(batch["warped"]) * out["alpha"]
    columns = [u8(out["photo"]), u8(over), u8(out["tryon"]), u8(out["render"]),
               u8(out["keep"].expand(-1, 3, -1, -1) * 2 - 1)]
    rows = [torch.cat([c[i] for c in columns], 1) for i in range(len(batch["photo"]))]
    Image.fromarray(torch.cat(rows, 0).numpy()).save(path)
    net.train()


def export(run: Path, out: Path) -> None:
    """Write the shipped weights file: the network and what `load_tryon_net` needs to rebuild it."""
    state = load_checkpoint(run / "last.pt")
    torch.save({"widths": state["args"]["widths"], "state_dict": state["model"], "samples_seen": state["samples_seen"],
                "validation": state["validation"]}, out)
    print(f"wrote {out}: widths {state['args']['widths']}, {state['samples_seen']} samples seen, "
          f"validation {state['validation']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parser-cache", type=Path, default=Path("~/.cache/fitting-booth/parser-cache"))
    parser.add_argument("--cache", type=Path, default=Path("~/.cache/fitting-booth/tryon-cache"))
    parser.add_argument("--vgg", type=float, default=0.0, help="weight of the VGG16 perceptual loss (0: off)")
    parser.add_argument("--hide-arms", type=float, default=0.0,
                        help="share of training samples whose arms are hidden too (to learn painting skin)")
    parser.add_argument("--hide-band", type=float, default=0.0,
                        help="share of training samples with a band around the old clothes hidden too (to learn "
                             "painting neck, shoulder skin and background where a new garment leaves them bare)")
    parser.add_argument("--val-rows", type=int, default=300, help="validation rows used (of the 500)")
    loop.add_arguments(parser, widths=[16, 32, 64, 96, 128])
    args = parser.parse_args()
    if args.export:
        return export(args.run, args.export)

    loop.start(args)
    people, tryon = open_parser_cache(args.parser_cache.expanduser()), open_cache(args.cache.expanduser())
    train_rows, val_rows = loop.split_rows(args.cache.expanduser(), tryon["done"], args.limit, args.val_rows)
    train, val = Pairs(people, tryon, train_rows), Pairs(people, tryon, val_rows)
    print(f"{len(train)} training rows, {len(val)} validation rows, {args.height} px", flush=True)

    net = TryOnNet(tuple(args.widths))
    vgg = Vgg16Loss() if args.vgg > 0 else None
    optimiser, state, steps = loop.begin(args, net)
    saved_at, started, history = time.monotonic(), time.monotonic(), []
    while state["step"] < steps:
        index, generator = loop.batch_at(state["step"], len(train), args.batch, args.seed)
        batch = at_height(flip(train.take(index), torch.rand(args.batch, generator=generator) < 0.5), args.height)
        if args.hide_arms:
            batch["hide_arms"] = torch.rand(args.batch, generator=generator) < args.hide_arms
        if args.hide_band:
            batch["hide_band"] = torch.rand(args.batch, generator=generator) < args.hide_band
        terms = losses(run_net(net, batch), batch, vgg, args.vgg)
        loss = sum(terms.values(), torch.zeros(()))
        loop.optimise(optimiser, loss, state, steps, args)
        history.append({k: v.item() for k, v in terms.items()})
        final = state["step"] == steps
        if state["samples_seen"] % args.validate_every < args.batch or final:
            state["validation"] = validate(net, val, args.height)
            contact_sheet(net, val, args.height, args.run / f"sheet-{state['samples_seen']:07d}.png")
            record = {"samples": state["samples_seen"], "lr": optimiser.param_groups[0]["lr"],
                      **{k: float(np.mean([h[k] for h in history])) for k in history[0]},
                      "samples_per_s": len(history) * args.batch / (time.monotonic() - started),
                      **state["validation"]}
            loop.write_record(args.run, record)
            history, started = [], time.monotonic()
        if time.monotonic() - saved_at > loop.CHECKPOINT_EVERY_S or final:
            loop.checkpoint(args.run, net, optimiser, state)
            saved_at = time.monotonic()


if __name__ == "__main__":
    main()
