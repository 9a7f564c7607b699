"""The binary noise maps z1, z2, z3 fed to G1, G2 and G (spec §3.8).

The official code saturates OpenCV's N(0, 255²) to uint8 and keeps only the 255s: Bernoulli(≈0.159).
We draw the same distribution from a seeded generator, so every request is repeatable.
"""
from __future__ import annotations

import zlib

import numpy as np
import torch

NOISE_P = 0.159


def parity_noise(seed: str, person: str, garment: str, height: int = 256, width: int = 192
                 ) -> list[torch.Tensor]:
    """The parity kit's recipe: three (1, 1, H, W) float32 {0, 1} maps from numpy generators keyed by
    crc32(f"{seed}:noise:{person}:{garment}:{k}")."""
    maps = []
    for k in (1, 2, 3):
        rng = np.random.default_rng(zlib.crc32(f"{seed}:noise:{person}:{garment}:{k}".encode()))
        maps.append(torch.from_numpy((rng.random((1, 1, height, width)) < NOISE_P).astype(np.float32)))
    return maps


def request_noise(seed: int, batch: int, height: int = 256, width: int = 192) -> list[torch.Tensor]:
    """Three (batch, 1, H, W) float32 {0, 1} maps from a CPU torch generator seeded with `seed` (the same
    on every device)."""
    gen = torch.Generator().manual_seed(int(seed))
    return [(torch.rand((batch, 1, height, width), generator=gen) < NOISE_P).float() for _ in range(3)]
