"""ACGPN's TPS grid generator with its three persistent buffers: official class `TPSGridGen` in
ACGPN_inference/tps_grid_gen.py (itself from github.com/WarBean/tps_stn_pytorch). Formulas in
docs/acgpn.md, "U"."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from server.pipeline.tps import tps_coordinate_repr, tps_inverse_kernel

LATTICE = (-0.9, -0.45, 0.0, 0.45, 0.9)


def target_control_points() -> np.ndarray:
    """(25, 2) the fixed 5×5 lattice; point k = 5·i + j is (x, y) = (LATTICE[j], LATTICE[i])."""
    return np.array([(x, y) for y in LATTICE for x in LATTICE], np.float64)


class TPSGridGenerator(nn.Module):
    """Official `TPSGridGen(256, 192, target_points)`: control points → (B, H, W, 2) sampling grid.

    The buffers are part of the checkpoint (loaded values win); built here from the formulas so an
    unloaded module is still a valid identity-at-rest warp.
    """

    inverse_kernel: torch.Tensor  # (28, 28)
    padding_matrix: torch.Tensor  # (3, 2) zeros
    target_coordinate_repr: torch.Tensor  # (H·W, 28)

    def __init__(self, height: int = 256, width: int = 192) -> None:
        super().__init__()
        self.height, self.width = height, width
        ctrl = target_control_points()
        self.register_buffer("inverse_kernel", torch.from_numpy(tps_inverse_kernel(ctrl)).float())
        self.register_buffer("padding_matrix", torch.zeros(3, 2))
        self.register_buffer("target_coordinate_repr",
                             torch.from_numpy(tps_coordinate_repr(ctrl, height, width)).float())

    def forward(self, source_points: torch.Tensor) -> torch.Tensor:
        """source_points (B, 25, 2) → grid (B, H, W, 2) of (x, y) in [-1, 1] for grid_sample."""
        b = source_points.shape[0]
        y = torch.cat([source_points, self.padding_matrix.expand(b, 3, 2)], 1)    # (B, 28, 2)
        mapping = torch.matmul(self.inverse_kernel, y)                            # (B, 28, 2)
        coords = torch.matmul(self.target_coordinate_repr, mapping)               # (B, H*W, 2)
        return coords.view(b, self.height, self.width, 2)
