"""Strict loading of the authors' checkpoints (latest_net_{G1,G2,U,G}.pth, spec §5).

Every problem – a missing file, an unreadable file, missing/unexpected keys, wrong shapes – raises
`CheckpointError` naming the file and what is wrong. Nothing ever falls back to random weights.
"""
from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from server.pipeline.acgpn.unet import RefineUNet
from server.pipeline.acgpn.warping import ClothWarpingModule

# checkpoint file → (network name, constructor)
CHECKPOINT_FILES = {
    "latest_net_G1.pth": "G1",
    "latest_net_G2.pth": "G2",
    "latest_net_U.pth": "U",
    "latest_net_G.pth": "G",
}


class CheckpointError(RuntimeError):
    """An ACGPN checkpoint is missing, unreadable or does not match the network."""


def build_network(name: str) -> nn.Module:
    """An unloaded network (random init) with the official module tree."""
    if name == "G1":
        return RefineUNet(37, 14)
    if name == "G2":
        return RefineUNet(37, 1)
    if name == "G":
        return RefineUNet(24, 3)
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


def validate_checkpoint_dir(directory: Path | str | None) -> None:
    """Check that all four files exist and carry exactly the expected keys and shapes.

    Cheap: zip-format files are memory-mapped, so no weights are read. Raises CheckpointError.
    """
    if directory is None:
        raise CheckpointError("no ACGPN checkpoint directory configured (server.acgpn.checkpoints_dir)")
    directory = Path(directory).expanduser()
    if not directory.is_dir():
        raise CheckpointError(f"ACGPN checkpoint directory {directory} does not exist")
    for file, name in CHECKPOINT_FILES.items():
        _check_keys(directory / file, name, _read_state_dict(directory / file, mmap=True))


def load_network(path: Path, name: str) -> nn.Module:
    """One network with its checkpoint loaded strictly, in eval mode, on the CPU."""
    sd = _read_state_dict(path, mmap=False)
    _check_keys(path, name, sd)
    net = build_network(name)
    net.load_state_dict(sd, strict=True)
    return net.eval()


def load_networks(directory: Path | str) -> AcgpnNetworks:
    """The four networks from `directory` (float32, CPU, eval). Raises CheckpointError."""
    directory = Path(directory).expanduser()
    if not directory.is_dir():
        raise CheckpointError(f"ACGPN checkpoint directory {directory} does not exist")
    nets = {name: load_network(directory / file, name) for file, name in CHECKPOINT_FILES.items()}
    return AcgpnNetworks(g1=nets["G1"], g2=nets["G2"], u=nets["U"], g=nets["G"])
