"""The learned human parser's network: a small U-Net (Ronneberger et al., MICCAI 2015) that maps a 3:4 person
crop and what MediaPipe saw in it to LIP-20 logits.

Input channels (`parser_channels`): the RGB crop, and for the "photo + MediaPipe" variant the person mask, one
Gaussian heat map per COCO-18 keypoint and the face-mesh hull. Four stride-2 levels, two 3×3 conv-BN-ReLU per
level, bilinear upsampling, skip concatenation [upsampled, encoder].
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

LIP_CLASSES = 20
POSE_CHANNELS = 18
INPUTS = {
    "photo": 3,  # RGB
    "photo+mediapipe": 3 + 1 + POSE_CHANNELS + 1,  # RGB, person mask, COCO-18 heat maps, face hull
}


def _conv_bn_relu(c_in: int, c_out: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]


class DoubleConv(nn.Sequential):
    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__(*_conv_bn_relu(c_in, c_out), *_conv_bn_relu(c_out, c_out))


class ParserNet(nn.Module):
    """U-Net, widths (w0, w1, w2, w3, w4) from full resolution to the 1/16 bottleneck."""

    def __init__(self, in_channels: int, widths: tuple[int, ...] = (16, 32, 48, 96, 128),
                 classes: int = LIP_CLASSES) -> None:
        super().__init__()
        self.down = nn.ModuleList(
            [DoubleConv(c_in, c_out) for c_in, c_out in zip((in_channels,) + widths[:-1], widths)])
        self.up = nn.ModuleList(
            [DoubleConv(deep + skip, skip) for deep, skip in zip(widths[:0:-1], widths[-2::-1])])
        self.head = nn.Conv2d(widths[0], classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, C, H, W), H and W divisible by 16 → logits (B, 20, H, W)."""
        skips = []
        for i, block in enumerate(self.down):
            x = block(x if i == 0 else F.max_pool2d(x, 2))  # (B, w_i, H/2^i, W/2^i)
            skips.append(x)
        x = skips.pop()                                      # (B, w4, H/16, W/16)
        for block in self.up:
            skip = skips.pop()
            x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            x = block(torch.cat([x, skip], dim=1))           # (B, w_i, H/2^i, W/2^i)
        return self.head(x)                                  # (B, 20, H, W)
