"""The binary noise maps z1, z2, z3 fed to G1, G2 and G.

The official `Pix2PixHDModel.gen_noise` (ACGPN_inference/models/pix2pixHD_model.py) saturates OpenCV's
N(0, 255²) to uint8 and keeps only the 255s: Bernoulli(≈0.159), P(N(0, 255) ≥ 254.5).
We draw the same distribution from a seeded generator, so every request is repeatable.
"""
from __future__ import annotations

import zlib

import numpy as np
import torch

NOISE_P = 0.159


Noise = tuple[torch.Tensor, torch.Tensor, torch.Tensor]  # z1, z2, z3


def parity_noise(seed: str, person: str, garment: str, height: int = 256, width: int = 192) -> Noise:
    """The parity kit's recipe: three (1, 1, H, W) float32 {0, 1} maps from numpy generators keyed by
    crc32(f"{seed}:noise:{person}:{garment}:{k}")."""

    def one(k: int) -> torch.Tensor:
        rng = np.random.default_rng(zlib.crc32(f"{seed}:noise:{person}:{garment}:{k}".encode()))
        return torch.from_numpy((rng.random((1, 1, height, width)) < NOISE_P).astype(np.float32))

    return one(1), one(2), one(3)


def request_noise(seed: int, batch: int, height: int = 256, width: int = 192) -> Noise:
    """Three (batch, 1, H, W) float32 {0, 1} maps from a CPU torch generator seeded with `seed` (the same
    on every device), drawn in the order z1, z2, z3."""
    gen = torch.Generator().manual_seed(int(seed))

    def one() -> torch.Tensor:
        return (torch.rand((batch, 1, height, width), generator=gen) < NOISE_P).float()

    return one(), one(), one()  # evaluated left to right
