"""`python -m server.pipeline.acgpn`: run ACGPN on a dataroot in the official layout (parity kit CLI).

    python -m server.pipeline.acgpn --checkpoints CKDIR --dataroot DATAROOT --pairs PAIRS.txt --out OUTDIR \
        [--noise-seed SEED] [--raw] [--dump] [--float64] [--device DEV] [--precision auto|float32|bfloat16]

Writes OUTDIR/<person stem>__<garment stem>.png (RGB 192×256) per pair, and with --dump an .npz of every
intermediate the parity checker reads. Exit status 0 when every pair was written.
"""
from __future__ import annotations

import argparse
import secrets
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from server.pipeline.acgpn.checkpoints import CheckpointError, load_networks
from server.pipeline.acgpn.compositing import paste_back_network_res
from server.pipeline.acgpn.model import ACGPN, AcgpnInputs, AcgpnOutputs
from server.pipeline.acgpn.noise import Noise, parity_noise, request_noise
from server.pipeline.acgpn.official_data import OfficialSample, load_official_sample
from server.pipeline.acgpn.precision import use_bf16_after_g1


def to_uint8(output: torch.Tensor) -> np.ndarray:
    """(1, 3, H, W) in [-1, 1] → (H, W, 3) uint8, the official way: (x + 1) / 2 · 255 in float32, truncated."""
    x = ((output[0].float().permute(1, 2, 0) + 1) / 2 * 255).cpu().numpy()
    return np.clip(x, 0, 255).astype(np.uint8)


def dump(path: Path, s: OfficialSample, noise: Noise, o: AcgpnOutputs, u8: np.ndarray) -> None:
    arrays = {
        "label": s.label, "image": s.image, "color": s.color, "edge": s.edge, "pose": s.pose,
        "z1": noise[0], "z2": noise[1], "z3": noise[2], "g1_sigmoid": o.g1_sigmoid, "mc": o.mc, "md": o.md,
        "warped_cloth": o.warped_cloth, "warped_mask": o.warped_mask, "cref": o.cref, "output": o.output,
    }
    out = {k: v.detach().cpu().numpy() for k, v in arrays.items()}
    out["lp"] = o.lp.cpu().numpy().astype(np.uint8)
    out["lf"] = o.lf.cpu().numpy().astype(np.uint8)
    out["output_u8"] = u8
    np.savez_compressed(path, **out)


def read_pairs(path: Path) -> list[tuple[str, str]]:
    pairs = []
    for line in Path(path).read_text().splitlines():
        parts = line.split()
        if parts:
            if len(parts) != 2:
                raise ValueError(f"{path}: expected 'person garment' per line, got {line!r}")
            pairs.append((parts[0], parts[1]))
    return pairs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m server.pipeline.acgpn", description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoints", required=True, type=Path, help="folder with latest_net_{G1,G2,U,G}.pth")
    ap.add_argument("--dataroot", required=True, type=Path, help="test_img/ test_label/ test_pose/ ...")
    ap.add_argument("--pairs", required=True, type=Path, help="lines 'person.jpg garment.jpg'")
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--noise-seed", help="parity noise recipe seed; without it, fresh random noise")
    ap.add_argument("--raw", action="store_true", help="official output: no paste-back of original pixels")
    ap.add_argument("--dump", action="store_true", help="also write an .npz of every intermediate")
    ap.add_argument("--float64", action="store_true", help="compute in float64 (the parity proof)")
    ap.add_argument("--device", default="cpu", help="torch device (default cpu)")
    ap.add_argument("--precision", choices=("auto", "float32", "bfloat16"), default="float32",
                    help="networks after G1 (G2, U's U-Net, G): float32 (default, the official numbers), "
                         "bfloat16, or auto = bfloat16 where the hardware has it natively")
    args = ap.parse_args(argv)
    if args.float64 and args.precision != "float32":
        ap.error("--float64 runs every network in float64; it cannot be combined with --precision")

    try:
        nets = load_networks(args.checkpoints)
    except CheckpointError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    dtype = torch.float64 if args.float64 else torch.float32
    bf16 = use_bf16_after_g1(args.precision, torch.device(args.device))
    model = ACGPN(nets, bf16_after_g1=bf16).to(args.device)
    if args.float64:
        model.to(dtype)  # weights upcast from their float32 values (bf16 is excluded above)
    args.out.mkdir(parents=True, exist_ok=True)
    rng_seed = secrets.randbits(63)  # fresh per run; pair i uses rng_seed + i
    for index, (person, garment) in enumerate(read_pairs(args.pairs)):
        sample = load_official_sample(args.dataroot, person, garment, dtype)
        noise = (parity_noise(args.noise_seed, person, garment) if args.noise_seed is not None
                 else request_noise(rng_seed + index, 1))
        with torch.inference_mode():
            out = model(AcgpnInputs(sample.label, sample.image, sample.color, sample.edge, sample.pose, noise))
        result = out.output if args.raw else paste_back_network_res(out, sample.image.to(out.output), sample.label)
        u8 = to_uint8(result)
        stem = f"{Path(person).stem}__{Path(garment).stem}"
        Image.fromarray(u8).save(args.out / f"{stem}.png")
        if args.dump:
            dump(args.out / f"{stem}.npz", sample, noise, out, u8)
        print(f"{stem}: written", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
