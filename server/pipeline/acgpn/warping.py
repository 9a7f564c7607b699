"""U, the Clothes Warping Module: STN with thin-plate spline, then a refinement U-Net (official classes
`UnetMask` and `STNNet` in ACGPN_inference/models/networks.py, `grid_sample` in grid_sample.py, and the
blend in `Pix2PixHDModel.forward`; docs/acgpn.md, "U")."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from server.pipeline.acgpn.locnet import BoundedGridLocNet
from server.pipeline.acgpn.tps_grid import TPSGridGenerator
from server.pipeline.acgpn.unet import RefineUNet


def warp(x: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
    """Bilinear sampling with zero padding, multiplied by the sampled all-ones map (official canvas=0)."""
    ones = torch.ones_like(x[:, :1])
    coverage = F.grid_sample(ones, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False) * coverage


class TPSSTN(nn.Module):
    """Official `STNNet`: regress control points from [Em, Md, Cin], warp the garment and its mask."""

    def __init__(self) -> None:
        super().__init__()
        self.loc_net = BoundedGridLocNet()
        self.tps = TPSGridGenerator()

    def forward(self, cloth: torch.Tensor, target_mask: torch.Tensor, cloth_mask: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """cloth Cin (B,3,H,W), target_mask Md (B,1,H,W), cloth_mask Em (B,1,H,W) → warped Cin, warped Em."""
        points = self.loc_net(torch.cat([cloth_mask, target_mask, cloth], 1))     # (B, 25, 2)
        grid = self.tps(points)                                                   # (B, H, W, 2)
        return warp(cloth, grid), warp(cloth_mask, grid)


@dataclass
class WarpResult:
    refined: torch.Tensor  # Cref (B, 3, H, W) in [-1, 1]
    warped: torch.Tensor  # TPS-warped Cin (B, 3, H, W)
    warped_mask: torch.Tensor  # TPS-warped Em (B, 1, H, W)


class ClothWarpingModule(RefineUNet):
    """Official `UnetMask(4, 4)`: `stn` plus the refinement U-Net's layers at top level."""

    def __init__(self) -> None:
        super().__init__(1 + 3, 3 + 1)  # in: Md, warped Cin; out: RGB, alpha
        self.stn = TPSSTN()

    def warp_and_refine(self, cloth: torch.Tensor, target_mask: torch.Tensor, cloth_mask: torch.Tensor, *,
                        refine: Callable[[torch.Tensor], torch.Tensor] | None = None) -> WarpResult:
        """Cin, Md, Em → Cref = tanh(rgb)·(1 − α) + α·warped, α = sigmoid(channel 3)·Md, as the official
        `Pix2PixHDModel.forward` blends U's output (with a (B, 1, H, W) α instead of its batch-1-only (B, H, W)).

        `refine` runs the refinement U-Net (default: this module's forward), e.g. under autocast."""
        warped, warped_mask = self.stn(cloth, target_mask, cloth_mask)
        out = (refine or self.forward)(torch.cat([target_mask, warped], 1))     # (B, 4, H, W)
        alpha = torch.sigmoid(out[:, 3:4]) * target_mask                          # (B, 1, H, W)
        refined = torch.tanh(out[:, 0:3]) * (1 - alpha) + alpha * warped          # (B, 3, H, W)
        return WarpResult(refined, warped, warped_mask)
