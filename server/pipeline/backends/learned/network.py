"""The learned try-on's networks, after ACGPN's decomposition (Yang et al., CVPR 2020) sized for a CPU: the warp
correction (`warp.WarpNet`) and the renderer, one small U-Net (`server.pipeline.unet`) with three heads:

* render (3): the pixels of the try-on region the warped garment does not supply: arms, hands, neck and
  chest skin, background uncovered by a shorter or narrower garment, garment the warp missed;
* keep (1): the composition mask, the share of the warped full-resolution garment kept per pixel;
* layout (4): what each pixel of the dressed person is (`inputs.LAYOUT`), ACGPN's semantic generation,
  trained with cross-entropy against VITON's parse; it shapes the features the other heads use.
"""
from __future__ import annotations

import torch
from torch import nn

from server.pipeline.backends.learned.inputs import IN_CHANNELS, LAYOUT
from server.pipeline.backends.learned.warp import WarpNet
from server.pipeline.unet import UNet

OUT_CHANNELS = 3 + 1 + len(LAYOUT)


class TryOnNet(UNet):
    def __init__(self, widths: tuple[int, ...] = (16, 32, 64, 96, 128)) -> None:
        super().__init__(IN_CHANNELS, widths, OUT_CHANNELS)

    def heads(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """x (B, IN_CHANNELS, H, W) → render (B, 3, H, W) in [-1, 1], keep (B, 1, H, W) in [0, 1], layout
        logits (B, 4, H, W): the U-Net's output channels, each through its own activation."""
        out = self(x).float()
        return torch.tanh(out[:, :3]), torch.sigmoid(out[:, 3:4]), out[:, 4:]


class LearnedTryOn(nn.Module):
    """What the learned backend runs, trained and shipped as one: the warp correction, then the renderer."""

    def __init__(self, widths: tuple[int, ...] = (16, 32, 64, 96, 128),
                 warp_widths: tuple[int, ...] = (32, 48, 64, 96, 128)) -> None:
        super().__init__()
        self.warp = WarpNet(warp_widths)
        self.render = TryOnNet(widths)
