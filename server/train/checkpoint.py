"""Training checkpoints: written atomically (a crash mid-write leaves the previous one intact)."""
from __future__ import annotations

import os
from pathlib import Path

import torch


def save_checkpoint(path: Path, state: dict) -> None:
    tmp = Path(path).with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: Path) -> dict:
    # Our own files: weights_only keeps torch.load from running code a tampered file might carry.
    return torch.load(path, map_location="cpu", weights_only=True)
