"""Train the learned try-on (`LearnedTryOn`: the warp correction and the renderer) on the parser cache (photos,
keypoints, VITON's parse) and the try-on cache (the project's parse, the classically warped garment) of the same
rows.

    .venv/bin/python -m server.train.tryon --parser-cache PARSER_CACHE --cache TRYON_CACHE --run runs/tryon \\
        [--train warp|render] [--height 128] [--samples 60000] [--vgg 0.5] [--init runs/tryon-128/last.pt]
    .venv/bin/python -m server.train.tryon --run runs/tryon --export server/weights/tryon.pt

Training is paired (each person with the garment they wear, so the photo is the answer). The warp correction's
losses: L1 between the corrected warp and the garment on the person, L1 between its alpha and VITON's garment
mask, the grid's second-order constraint. The renderer's, inside the try-on region: L1 (arms weighted
ARM_WEIGHT), 1 − SSIM, optionally the VGG16 perceptual loss, cross-entropy of the layout, and an L1 that asks the
composition mask to keep the warped garment exactly where VITON's parse has garment. `--train warp` trains the
correction alone on its losses (the renderer is not even run), `--train render` the renderer alone on its own
(the correction frozen: trained along, it drifts from its own best); `--train all` both on all. Rerunning the same
command resumes from `RUN/last.pt` exactly (model, optimiser, schedule, data order). The validation rows (the
last 500 ids of pairs.txt) are never trained on; their figures go to `RUN/log.jsonl` and a contact sheet (photo |
classical warp | corrected warp | try-on | rendered | keep) to `RUN/sheet-*.png`.
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

from server.pipeline.backends.learned.inputs import (
    BAND_GROW,
    LAYOUT,
    compose,
    grow,
    label_mask,
    network_input,
    skin_colour,
    to_unit,
    warp_input,
)
from server.pipeline.backends.learned.network import LearnedTryOn
from server.pipeline.backends.learned.warp import displacement, resample, second_differences
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
WARP_L1_WEIGHT = 1.0
WARP_MASK_WEIGHT = 1.0
WARP_GRID_WEIGHT = 1.0
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


def run_net(net: LearnedTryOn, batch: dict[str, torch.Tensor], render: bool = True) -> dict[str, torch.Tensor]:
    """The warp correction on the classically warped garment, then (`render`) the renderer and the try-on
    composed from it, all in [-1, 1]."""
    photo = batch["photo"]
    with torch.autocast("cpu", torch.bfloat16):
        offsets = net.warp(warp_input(batch["lip"], batch["keypoints"], batch["warped"], batch["alpha"]))
    field = displacement(offsets, *photo.shape[-2:])
    warped = resample(batch["warped"].float(), field)  # (B, 3, H, W) 0..255
    alpha = resample(batch["alpha"].float(), field)    # (B, 1, H, W) 0..255
    out = {"offsets": offsets, "warped": to_unit(warped), "alpha": alpha / 255, "photo": to_unit(photo)}
    return run_renderer(net, batch, out) if render else out


def run_renderer(net: LearnedTryOn, batch: dict[str, torch.Tensor], warp: dict[str, torch.Tensor]
                 ) -> dict[str, torch.Tensor]:
    """The renderer on the corrected warp (`run_net`'s output without `render`) and the try-on composed."""
    warped, alpha = (warp["warped"] + 1) * 127.5, warp["alpha"] * 255
    x, region, blank = network_input(batch["photo"], batch["lip"], batch["keypoints"], warped, alpha, batch["skin"],
                                     batch.get("hide_arms"), batch.get("hide_band"))
    with torch.autocast("cpu", torch.bfloat16):
        rendered, keep, layout = net.render.heads(x)
    tryon = compose(warp["photo"], warp["warped"], warp["alpha"], rendered, keep, region, blank)
    return {**warp, "tryon": tryon, "render": rendered, "keep": keep * warp["alpha"], "layout": layout,
            "region": region}


def warp_losses(out: dict[str, torch.Tensor], batch: dict[str, torch.Tensor], reach: int) -> dict[str, torch.Tensor]:
    """The corrected warp against the garment on the person (VITON's parse): L1 of the colours where it covers
    that garment, L1 of its alpha against the garment's mask (not judged where arms are in front), and the
    second-order grid constraint. With `reach` (pixels at 256×192) the mask counts as garment only the worn
    garment within that distance of the classical warp: a correction, not a new shape. Trained paired, an
    unbounded correction learns to cover whatever the person wears (most VITON tops have sleeves), and then
    stretches a tank top over a shopper's shoulders."""
    garment = label_mask(batch["target"], LIP_CLOTHES)
    if reach:
        garment = garment * grow((batch["alpha"] > 127).float(), max(1, round(reach * garment.shape[-2] / 256)))
    arms = label_mask(batch["target"], LIP_ARMS)
    area = garment.sum().clamp(min=1)
    colours = (out["warped"] - out["photo"]).abs().mean(1, keepdim=True)
    return {
        "warp_l1": WARP_L1_WEIGHT * (colours * garment * out["alpha"]).sum() / area,
        "warp_mask": WARP_MASK_WEIGHT * ((out["alpha"] - garment).abs() * (1 - arms)).sum() / area,
        "warp_grid": WARP_GRID_WEIGHT * second_differences(out["offsets"]),
    }


def render_losses(out: dict[str, torch.Tensor], batch: dict[str, torch.Tensor], vgg: Vgg16Loss | None,
                  vgg_weight: float) -> dict[str, torch.Tensor]:
    region, photo = out["region"], out["photo"]
    area = region.sum().clamp(min=1)
    arms, garment = label_mask(batch["target"], LIP_ARMS), label_mask(batch["target"], LIP_CLOTHES)
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
def validate(net: LearnedTryOn, data: Pairs, height: int) -> dict[str, float]:
    """On the validation rows, in the frame: SSIM inside the garment (VITON's parse), PSNR outside garment and
    arms, the layout's pixel accuracy inside the try-on region; PSNR in the band around the old clothes when
    it is hidden too (`hide_band`: what a garment that leaves skin or background bare asks for); and the
    corrected warp's share of the garment it covers and of its own pixels that fall outside garment and arms.
    Summed over pixels, then averaged per row."""
    net.eval()
    ssims, psnrs, band_psnrs, correct, counted = [], [], [], 0.0, 0.0
    covered, spilled, garment_area, warp_area = 0.0, 0.0, 0.0, 0.0
    for start in range(0, len(data), 32):
        batch = at_height(data.take(torch.arange(start, min(start + 32, len(data)))), height)
        out = run_net(net, batch)
        tryon = as_uint8(out["tryon"])
        smap = ssim_map(tryon, out["photo"])[:, 0]
        banded = run_renderer(net, {**batch, "hide_band": torch.full((len(tryon),), BAND_GROW)}, out)
        band = (banded["region"] - out["region"])[:, 0] > 0
        band_mse = (((as_uint8(banded["tryon"]) - out["photo"]) * 127.5) ** 2).mean(1)
        garment = torch.isin(batch["target"], torch.tensor(LIP_CLOTHES, dtype=torch.uint8))
        outside = ~torch.isin(batch["target"], torch.tensor(GARMENT_AND_ARMS, dtype=torch.uint8))
        warp = out["alpha"][:, 0] > 0.5
        covered, garment_area = covered + float((warp & garment).sum()), garment_area + float(garment.sum())
        spilled, warp_area = spilled + float((warp & outside).sum()), warp_area + float(warp.sum())
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
            "layout_accuracy": correct / max(counted, 1), "psnr_band": float(np.mean(band_psnrs)),
            "warp_covers": covered / max(garment_area, 1), "warp_spills": spilled / max(warp_area, 1)}


def as_uint8(image: torch.Tensor) -> torch.Tensor:
    """[-1, 1] → the same range, rounded as the uint8 result is."""
    return ((image + 1) * 127.5).round().clamp(0, 255) / 127.5 - 1


def psnr(squared_errors: torch.Tensor) -> float:
    """PSNR (dB) of squared errors in 0..255 units."""
    return float(10 * torch.log10(255 ** 2 / squared_errors.mean().clamp(min=1e-3)))


@torch.inference_mode()
def contact_sheet(net: LearnedTryOn, data: Pairs, height: int, path: Path) -> None:
    """Photo | classical warp over the photo | corrected warp over the photo | try-on | rendered pixels | keep
    mask, for 6 validation rows."""
    net.eval()
    batch = at_height(data.take(torch.arange(0, len(data), max(1, len(data) // 6))[:6]), height)
    out = run_net(net, batch)

    def u8(x: torch.Tensor) -> torch.Tensor:
        return ((x.float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 1)

    alpha = batch["alpha"].float() / 255
    classical = out["photo"] * (1 - alpha) + to_unit(batch["warped"]) * alpha
    corrected = out["photo"] * (1 - out["alpha"]) + out["warped"] * out["alpha"]
    columns = [u8(out["photo"]), u8(classical), u8(corrected), u8(out["tryon"]), u8(out["render"]),
               u8(out["keep"].expand(-1, 3, -1, -1) * 2 - 1)]
    rows = [torch.cat([c[i] for c in columns], 1) for i in range(len(batch["photo"]))]
    Image.fromarray(torch.cat(rows, 0).numpy()).save(path)
    net.train()


def export(run: Path, out: Path) -> None:
    """Write the shipped weights file: the network and what `load_tryon_net` needs to rebuild it."""
    state = load_checkpoint(run / "last.pt")
    widths, warp_widths = state["args"]["widths"], state["args"]["warp_widths"]
    torch.save({"widths": widths, "warp_widths": warp_widths, "state_dict": state["model"],
                "samples_seen": state["samples_seen"], "validation": state["validation"]}, out)
    print(f"wrote {out}: widths {widths}, warp widths {warp_widths}, {state['samples_seen']} samples seen, "
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
    parser.add_argument("--band-widths", type=float, nargs=2, default=[BAND_GROW, BAND_GROW],
                        metavar=("LOW", "HIGH"), help="the hidden band's width, drawn per sample in [LOW, HIGH] "
                                                      "(shares of the frame's height)")
    parser.add_argument("--train", choices=["all", "warp", "render"], default="all",
                        help="warp: the warp correction alone, on its own losses (fast at --height 128); render: "
                             "the renderer alone, the correction frozen; all: both networks on all losses")
    parser.add_argument("--warp-widths", type=int, nargs="+", default=[32, 48, 64, 96, 128])
    parser.add_argument("--warp-reach", type=int, default=8,
                        help="pixels (at 256×192) beyond the classical warp the correction is asked to cover "
                             "(0: no bound)")
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

    net = LearnedTryOn(tuple(args.widths), tuple(args.warp_widths))
    vgg = Vgg16Loss() if args.vgg > 0 else None
    optimiser, state, steps = loop.begin(args, net)
    saved_at, started, history = time.monotonic(), time.monotonic(), []
    while state["step"] < steps:
        index, generator = loop.batch_at(state["step"], len(train), args.batch, args.seed)
        batch = at_height(flip(train.take(index), torch.rand(args.batch, generator=generator) < 0.5), args.height)
        if args.hide_arms:
            batch["hide_arms"] = torch.rand(args.batch, generator=generator) < args.hide_arms
        if args.hide_band:
            low, high = args.band_widths
            widths = low + (high - low) * torch.rand(args.batch, generator=generator)
            batch["hide_band"] = widths * (torch.rand(args.batch, generator=generator) < args.hide_band)
        if args.train == "warp":
            terms = warp_losses(run_net(net, batch, render=False), batch, args.warp_reach)
        elif args.train == "render":
            net.warp.eval()  # its BatchNorm statistics frozen too
            with torch.no_grad():
                warp = run_net(net, batch, render=False)
            terms = render_losses(run_renderer(net, batch, warp), batch, vgg, args.vgg)
        else:
            out = run_net(net, batch)
            terms = {**render_losses(out, batch, vgg, args.vgg), **warp_losses(out, batch, args.warp_reach)}
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
