"""The learned correction of the classical garment warp (ACGPN's and CP-VTON's geometric matching, sized for a
CPU): a small convolutional regressor sees a clothing-agnostic picture of the person at WARP_SIZE (pose, coarse
silhouette, face and hair: `inputs.warp_input`) and the classically warped garment, and moves the GRID control
points of a thin-plate spline over the person's frame. The spline is a backward map, resolution-free: at serving
time it is evaluated at NET_SIZE, brought to the frame's full resolution (it is smooth) and applied to the
full-resolution warped garment with `cv2.remap`, so garment texture never passes through a network. Its last
layer starts at zero: an untrained correction is the identity, the classical warp exactly.
"""
from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from server.pipeline.backends.learned.inputs import WARP_IN_CHANNELS
from server.pipeline.tps import tps_coordinate_repr, tps_inverse_kernel

GRID = (8, 6)  # control points (rows, columns), evenly over the frame
WARP_SIZE = (128, 96)  # (height, width) the regressor sees


def control_points() -> np.ndarray:
    """(N, 2) control points (x, y) in the frame's align-corners [-1, 1] coordinates, row by row."""
    ys, xs = np.meshgrid(np.linspace(-1, 1, GRID[0]), np.linspace(-1, 1, GRID[1]), indexing="ij")
    return np.stack([xs.ravel(), ys.ravel()], 1)


@lru_cache(maxsize=8)
def tps_basis(height: int, width: int) -> torch.Tensor:
    """(height·width, N) float32: the spline's value at every pixel (row-major) is this times the control points'
    values (N, 2), the ACGPN grid generator's tables (`server.pipeline.tps`) with the affine part folded in."""
    ctrl = control_points()
    basis = tps_coordinate_repr(ctrl, height, width) @ tps_inverse_kernel(ctrl)[:, :len(ctrl)]
    return torch.from_numpy(basis.astype(np.float32))


def displacement(offsets: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Control-point offsets (B, N, 2) → the spline's displacement at every pixel (B, height, width, 2), (x, y) in
    [-1, 1] units: output pixel p takes the warped garment at p + displacement(p)."""
    return (tps_basis(height, width) @ offsets.float()).view(len(offsets), height, width, 2)


def resample(image: torch.Tensor, field: torch.Tensor) -> torch.Tensor:
    """image (B, C, H, W) float taken at p + field(p) (field (B, H, W, 2), as `displacement`), zero outside."""
    height, width = image.shape[-2:]
    ys, xs = torch.meshgrid(torch.linspace(-1, 1, height), torch.linspace(-1, 1, width), indexing="ij")
    grid = torch.stack([xs, ys], -1)[None] + field
    return F.grid_sample(image, grid, mode="bilinear", padding_mode="zeros", align_corners=True)


def second_differences(offsets: torch.Tensor) -> torch.Tensor:
    """(B, N, 2) → mean squared second difference of the control-point offsets along the grid's rows and
    columns: zero for any affine correction, large for a crumpled one (ACGPN's second-order constraint)."""
    grid = offsets.view(len(offsets), *GRID, 2)
    along_rows = grid[:, :, 2:] - 2 * grid[:, :, 1:-1] + grid[:, :, :-2]
    along_columns = grid[:, 2:] - 2 * grid[:, 1:-1] + grid[:, :-2]
    return (along_rows ** 2).mean() + (along_columns ** 2).mean()


def _down(c_in: int, c_out: int) -> nn.Sequential:
    """A stride-2 3×3 conv-BN-ReLU then a 3×3 conv-BN-ReLU."""
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(c_out),
                         nn.ReLU(inplace=True), nn.Conv2d(c_out, c_out, 3, padding=1, bias=False),
                         nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class WarpNet(nn.Module):
    """`inputs.warp_input` → offsets of the GRID control points."""

    def __init__(self, widths: tuple[int, ...] = (32, 48, 64, 96, 128)) -> None:
        super().__init__()
        self.encoder = nn.Sequential(*[_down(c_in, c_out) for c_in, c_out in zip((WARP_IN_CHANNELS,) + widths[:-1],
                                                                                  widths)])
        cells = (WARP_SIZE[0] >> len(widths)) * (WARP_SIZE[1] >> len(widths))
        last = nn.Linear(256, 2 * GRID[0] * GRID[1])
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)
        self.regress = nn.Sequential(nn.Flatten(), nn.Linear(widths[-1] * cells, 256), nn.ReLU(inplace=True), last)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, WARP_IN_CHANNELS, H, W) at any 3:4 size → offsets (B, N, 2), (x, y) in [-1, 1] units."""
        x = F.interpolate(x, size=WARP_SIZE, mode="area")   # (B, C, 128, 96)
        x = self.encoder(x)                                  # (B, w4, 4, 3)
        return self.regress(x).float().view(len(x), -1, 2)  # (B, N, 2)


def remap_full(field: torch.Tensor, *layers: np.ndarray) -> list[np.ndarray]:
    """The spline applied at full resolution: `field` (1, h, w, 2) from `displacement` at any 3:4 size, brought to
    the layers' size (smooth, so a bilinear resize is exact to a fraction of a pixel) and applied to each layer
    ((H, W) or (H, W, C) float32) with `cv2.remap`, zero outside."""
    height, width = layers[0].shape[:2]
    small = field[0].float().numpy()
    full = cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)
    xs = np.arange(width, dtype=np.float32)[None, :] + full[..., 0] * (width - 1) / 2
    ys = np.arange(height, dtype=np.float32)[:, None] + full[..., 1] * (height - 1) / 2
    return [cv2.remap(layer, xs, ys, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
            for layer in layers]
