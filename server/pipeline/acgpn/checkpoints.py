"""Strict loading of the authors' checkpoints, latest_net_{G1,G2,U,G}.pth.

The official code builds the four networks in `Pix2PixHDModel.initialize` (ACGPN_inference/models/
pix2pixHD_model.py) and loads each bare `state_dict` with `BaseModel.load_network` (models/base_model.py);
docs/acgpn.md ("Checkpoints") gives the file format. Every problem – a missing file, an unreadable file,
missing/unexpected keys, wrong shapes – raises `CheckpointError` naming the file and what is wrong. Nothing
ever falls back to random weights (the official loader only prints "not exists yet!" and keeps them).
"""
from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import torch
from torch import nn

from server.pipeline.acgpn.unet import RefineUNet
from server.pipeline.acgpn.warping import ClothWarpingModule
from server.pipeline.vocabulary import ACGPN_CLASSES, Coco18

POSE_CHANNELS = len(Coco18)  # one pose-map channel per keypoint
# Each network's channels, inputs in the order `Pix2PixHDModel.forward` concatenates them.
G1_IN = 1 + 3 + ACGPN_CLASSES + POSE_CHANNELS + 1  # Em, Cin, one-hot(Lall), pose map, z1 (= 37)
G1_OUT = ACGPN_CLASSES  # layout logits
G2_IN = 1 + 3 + ACGPN_CLASSES + POSE_CHANNELS + 1  # Em, Cin, one-hot(Lp), pose map, z2 (= 37)
G2_OUT = 1  # garment-as-worn logit
G_IN = 3 + ACGPN_CLASSES + 3 + 3 + 1  # Ihole, one-hot(Lf), Cref, skin colour, z3 (= 24)
G_OUT = 3  # RGB logits
REFINE_CHANNELS = {"G1": (G1_IN, G1_OUT), "G2": (G2_IN, G2_OUT), "G": (G_IN, G_OUT)}

# checkpoint file → network name
CHECKPOINT_FILES = {
    "latest_net_G1.pth": "G1",
    "latest_net_G2.pth": "G2",
    "latest_net_U.pth": "U",
    "latest_net_G.pth": "G",
}
NET = TypeVar("NET", bound=nn.Module)


class CheckpointError(RuntimeError):
    """An ACGPN checkpoint is missing, unreadable or does not match the network."""


def build_network(name: str) -> nn.Module:
    """An unloaded network (random init) with the official module tree."""
    if name in REFINE_CHANNELS:
        return RefineUNet(*REFINE_CHANNELS[name])
    if name == "U":
        return ClothWarpingModule()
    raise ValueError(f"unknown ACGPN network {name!r}")


def expected_shapes(name: str) -> dict[str, tuple[int, ...]]:
    """state_dict key → shape of one network, computed without allocating weights."""
    with torch.device("meta"):
        net = build_network(name)
    return {k: tuple(v.shape) for k, v in net.state_dict().items()}


@dataclass
class AcgpnNetworks:
    g1: RefineUNet
    g2: RefineUNet
    u: ClothWarpingModule
    g: RefineUNet


def _read_state_dict(path: Path, *, mmap: bool) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise CheckpointError(f"ACGPN checkpoint {path} is missing (expected the authors' {path.name})")
    try:
        # mmap only works for the zip format (torch ≥ 1.6); the 2020 files may be in the legacy format.
        use_mmap = mmap and zipfile.is_zipfile(path)
        sd = torch.load(path, map_location="cpu", weights_only=True, mmap=use_mmap)
    except Exception as e:  # any unreadable file is reported the same way
        raise CheckpointError(f"ACGPN checkpoint {path} cannot be read: {type(e).__name__}: {e}") from e
    if not isinstance(sd, dict) or not all(isinstance(v, torch.Tensor) for v in sd.values()):
        raise CheckpointError(f"ACGPN checkpoint {path} is not a plain state_dict of tensors")
    return sd


def _check_keys(path: Path, name: str, sd: dict[str, torch.Tensor]) -> None:
    want = expected_shapes(name)
    missing = [k for k in want if k not in sd]
    unexpected = [k for k in sd if k not in want]
    wrong = [f"{k} {tuple(sd[k].shape)} (expected {want[k]})"
             for k in want if k in sd and tuple(sd[k].shape) != want[k]]
    problems = []
    if missing:
        problems.append(f"{len(missing)} missing keys (e.g. {', '.join(missing[:3])})")
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected keys (e.g. {', '.join(unexpected[:3])})")
    if wrong:
        problems.append(f"{len(wrong)} wrong shapes (e.g. {'; '.join(wrong[:3])})")
    if problems:
        raise CheckpointError(f"ACGPN checkpoint {path} does not match network {name}: " + "; ".join(problems))


def validate_checkpoint_dir(directory: Path | str | None) -> Path:
    """Check that all four files exist and carry exactly the expected keys and shapes; returns the folder.

    Cheap: zip-format files are memory-mapped, so no weights are read. Raises CheckpointError.
    """
    if directory is None:
        raise CheckpointError("no ACGPN checkpoint directory configured (server.acgpn.checkpoints_dir)")
    directory = Path(directory).expanduser()
    if not directory.is_dir():
        raise CheckpointError(f"ACGPN checkpoint directory {directory} does not exist")
    for file, name in CHECKPOINT_FILES.items():
        _check_keys(directory / file, name, _read_state_dict(directory / file, mmap=True))
    return directory


def _load_strict(path: Path, name: str, build: Callable[[], NET]) -> NET:
    """The network `build()` makes, with its checkpoint checked and loaded strictly, in eval mode."""
    sd = _read_state_dict(path, mmap=False)
    _check_keys(path, name, sd)
    net = build()
    net.load_state_dict(sd, strict=True)
    return net.eval()


def load_network(path: Path, name: str) -> nn.Module:
    """One network with its checkpoint loaded strictly, in eval mode, on the CPU."""
    return _load_strict(path, name, lambda: build_network(name))


def load_networks(directory: Path | str) -> AcgpnNetworks:
    """The four networks from `directory` (float32, CPU, eval). Raises CheckpointError."""
    directory = Path(directory).expanduser()
    if not directory.is_dir():
        raise CheckpointError(f"ACGPN checkpoint directory {directory} does not exist")
    paths = {name: directory / file for file, name in CHECKPOINT_FILES.items()}
    # In CHECKPOINT_FILES order (keyword arguments are evaluated left to right).
    return AcgpnNetworks(g1=_load_strict(paths["G1"], "G1", lambda: RefineUNet(G1_IN, G1_OUT)),
                         g2=_load_strict(paths["G2"], "G2", lambda: RefineUNet(G2_IN, G2_OUT)),
                         u=_load_strict(paths["U"], "U", ClothWarpingModule),
                         g=_load_strict(paths["G"], "G", lambda: RefineUNet(G_IN, G_OUT)))
