"""Binary dilation with OpenCV's 3×3 "ellipse" (a 4-connected cross), in torch for any batch and device.

Equivalent to `cv2.dilate(mask·255, getStructuringElement(MORPH_ELLIPSE, (3, 3)), iterations=n) / 255` on a
{0, 1} mask (OpenCV's default border never wins a dilation, like zero padding here) – what the official
`morpho(mask, iter)` in ACGPN_inference/models/pix2pixHD_model.py computes, per sample, on the CPU.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def dilate_cross(mask: torch.Tensor, iterations: int = 1) -> torch.Tensor:
    """mask (B, 1, H, W) in {0, 1} → dilated mask, same shape and dtype."""
    out = mask
    for _ in range(iterations):
        p = F.pad(out, (1, 1, 1, 1))
        out = torch.maximum(
            torch.maximum(p[..., 1:-1, 1:-1], torch.maximum(p[..., :-2, 1:-1], p[..., 2:, 1:-1])),
            torch.maximum(p[..., 1:-1, :-2], p[..., 1:-1, 2:]))
    return out
