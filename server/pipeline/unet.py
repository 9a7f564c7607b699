"""The small U-Net (Ronneberger et al., MICCAI 2015) both learned models are built on: the human parser and
the try-on's renderer.

Four stride-2 levels, two 3×3 conv-BN-ReLU per level, bilinear upsampling, skip concatenation [upsampled,
encoder], a 1×1 head.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import torch
from torch import nn
from torch.nn import functional as F

from server.pipeline.errors import BackendUnavailable

Net = TypeVar("Net", bound=nn.Module)


def _conv_bn_relu(c_in: int, c_out: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]


class DoubleConv(nn.Sequential):
    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__(*_conv_bn_relu(c_in, c_out), *_conv_bn_relu(c_out, c_out))


class UNet(nn.Module):
    """U-Net, widths (w0, w1, w2, w3, w4) from full resolution to the 1/16 bottleneck."""

    def __init__(self, in_channels: int, widths: tuple[int, ...], out_channels: int) -> None:
        super().__init__()
        self.down = nn.ModuleList(
            [DoubleConv(c_in, c_out) for c_in, c_out in zip((in_channels,) + widths[:-1], widths)])
        self.up = nn.ModuleList(
            [DoubleConv(deep + skip, skip) for deep, skip in zip(widths[:0:-1], widths[-2::-1])])
        self.head = nn.Conv2d(widths[0], out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, C, H, W), H and W divisible by 16 → (B, out_channels, H, W)."""
        skips = []
        for i, block in enumerate(self.down):
            x = block(x if i == 0 else F.max_pool2d(x, 2))  # (B, w_i, H/2^i, W/2^i)
            skips.append(x)
        x = skips.pop()                                      # (B, w4, H/16, W/16)
        for block in self.up:
            skip = skips.pop()
            x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            x = block(torch.cat([x, skip], dim=1))           # (B, w_i, H/2^i, W/2^i)
        return self.head(x)                                  # (B, out_channels, H, W)


def load_weights(path: Path, what: str, build: Callable[[dict[str, Any]], Net]) -> tuple[Net, dict[str, Any]]:
    """Strict load of an exported weights file ({"state_dict", ...}): `build` makes the network from the file's
    other entries, every key and shape must match, every number be finite. Returns the network in eval mode and
    the file's entries; raises BackendUnavailable naming the file (`what`: whose weights) and what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise BackendUnavailable(f"{what} weights not found: {path.name}")
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
        net = build(blob)
        net.load_state_dict(blob["state_dict"], strict=True)
    except Exception as error:  # a truncated, foreign or mismatched file: say which and why
        raise BackendUnavailable(f"{what} weights {path.name} do not load: {error}") from error
    if not all(torch.isfinite(p).all() for p in net.state_dict().values() if p.is_floating_point()):
        raise BackendUnavailable(f"{what} weights {path.name} contain non-finite numbers")
    return net.eval(), blob
