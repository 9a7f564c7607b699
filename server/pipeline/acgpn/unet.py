"""The "Refine" U-Net shared by G1, G2 and G (and, with an STN in front, by U): official class `Refine` in
ACGPN_inference/models/networks.py (`UnetMask` there has the same layers plus an STN).

Four 2×2 max-poolings, 3×3 convolutions with bias, affine-free InstanceNorm, ReLU, nearest-neighbour
upsampling; skip concatenation is always [encoder feature, upsampled feature]. The `nn.Sequential`
indices are those of the published checkpoints (conv at 0 and 3, IN/ReLU in between), so
`load_state_dict(strict=True)` works on the authors' files. The last conv has no activation; callers apply
sigmoid or tanh.
"""
from __future__ import annotations

import torch
from torch import nn


def instance_norm(channels: int) -> nn.InstanceNorm2d:
    """ACGPN's InstanceNorm: no affine parameters, no running statistics (so no state_dict entries)."""
    return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)


def _double_conv(c_in: int, c_out: int) -> nn.Sequential:
    """Conv-IN-ReLU twice (parameter indices 0 and 3)."""
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1), instance_norm(c_out), nn.ReLU(),
        nn.Conv2d(c_out, c_out, 3, padding=1), instance_norm(c_out), nn.ReLU(),
    )


def _up(c_in: int, c_out: int) -> nn.Sequential:
    """Nearest ×2, Conv-IN-ReLU (parameter index 1)."""
    return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"),
                         nn.Conv2d(c_in, c_out, 3, padding=1), instance_norm(c_out), nn.ReLU())


class RefineUNet(nn.Module):
    """Official `Refine(input_nc, output_nc)`: G1 = (37, 14), G2 = (37, 1), G = (24, 3), inside U (4, 4)
    (the sums are spelled out in `checkpoints`)."""

    def __init__(self, input_nc: int, output_nc: int) -> None:
        super().__init__()
        self.conv1 = _double_conv(input_nc, 64)
        self.conv2 = _double_conv(64, 128)
        self.conv3 = _double_conv(128, 256)
        self.conv4 = _double_conv(256, 512)
        self.conv5 = _double_conv(512, 1024)
        self.pool = nn.MaxPool2d(2)
        self.drop = nn.Dropout(0.5)  # only active in training; kept for a faithful module tree
        self.up6, self.conv6 = _up(1024, 512), _double_conv(1024, 512)
        self.up7, self.conv7 = _up(512, 256), _double_conv(512, 256)
        self.up8, self.conv8 = _up(256, 128), _double_conv(256, 128)
        self.up9 = _up(128, 64)
        self.conv9 = nn.Sequential(
            nn.Conv2d(128, 64, 3, padding=1), instance_norm(64), nn.ReLU(),
            nn.Conv2d(64, 64, 3, padding=1), instance_norm(64), nn.ReLU(),
            nn.Conv2d(64, output_nc, 3, padding=1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, input_nc, H, W), H and W divisible by 16 → logits (B, output_nc, H, W)."""
        c1 = self.conv1(x)                                        # (B, 64, H, W)
        c2 = self.conv2(self.pool(c1))                            # (B, 128, H/2, W/2)
        c3 = self.conv3(self.pool(c2))                            # (B, 256, H/4, W/4)
        c4 = self.drop(self.conv4(self.pool(c3)))                 # (B, 512, H/8, W/8)
        c5 = self.drop(self.conv5(self.pool(c4)))                 # (B, 1024, H/16, W/16)
        c6 = self.conv6(torch.cat([c4, self.up6(c5)], 1))         # (B, 512, H/8, W/8)
        c7 = self.conv7(torch.cat([c3, self.up7(c6)], 1))         # (B, 256, H/4, W/4)
        c8 = self.conv8(torch.cat([c2, self.up8(c7)], 1))         # (B, 128, H/2, W/2)
        return self.conv9(torch.cat([c1, self.up9(c8)], 1))       # (B, output_nc, H, W)
