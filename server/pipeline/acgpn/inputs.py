"""Network inputs from the preprocessing stage's analyses (the production path, not the official loader).

The person photo is cropped to a 3:4 frame (see `compositing.frame_person`) and resized to 192×256; the
labels are resized NEAREST; keypoints are mapped into the frame and drawn as the official pose squares;
the garment is centred on a white 3:4 canvas around its mask.
"""
from __future__ import annotations

import cv2
import numpy as np
import torch

from server.pipeline.acgpn.compositing import NET_H, NET_W, Frame, crop
from server.pipeline.acgpn.official_data import pose_tensor
from server.pipeline.types import GarmentAnalysis, PersonAnalysis

GARMENT_MARGIN = 0.08  # share of the canvas left around the garment on each side


def _rgb_tensor(rgb: np.ndarray) -> torch.Tensor:
    """(H, W, 3) uint8 → (1, 3, H, W) float32 in [-1, 1]."""
    return torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1))).float().div(255).sub(0.5).div(0.5)[None]


def person_tensors(person: PersonAnalysis, frame: Frame) -> dict[str, torch.Tensor]:
    """label (1,1,H,W), image (1,3,H,W), pose (1,18,H,W) at 256×192 for the framed person."""
    img = crop(person.image, frame, border=cv2.BORDER_REPLICATE)
    lab = crop(person.labels, frame, border=cv2.BORDER_CONSTANT)
    img = cv2.resize(img, (NET_W, NET_H), interpolation=cv2.INTER_AREA)
    lab = cv2.resize(lab, (NET_W, NET_H), interpolation=cv2.INTER_NEAREST)
    kp = np.asarray(person.keypoints, np.float64).copy()
    seen = kp[:, 2] > 0
    kp[:, 0] = (kp[:, 0] - frame.x0) * NET_W / frame.width
    kp[:, 1] = (kp[:, 1] - frame.y0) * NET_H / frame.height
    kp[~seen] = 0.0  # the official map skips points at (0, 0)
    return {
        "label": torch.from_numpy(lab.astype(np.float32))[None, None],
        "image": _rgb_tensor(img),
        "pose": pose_tensor(kp)[None],
    }


def garment_tensors(garment: GarmentAnalysis) -> dict[str, torch.Tensor]:
    """color (1,3,H,W) in [-1, 1] and edge (1,1,H,W) in [0, 1]: the garment centred on a white 3:4 canvas."""
    ys, xs = np.nonzero(garment.mask > 127)
    h, w = garment.mask.shape
    if len(ys) == 0:
        top, bottom, left, right = 0, h, 0, w
    else:
        top, bottom, left, right = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    gh, gw = bottom - top, right - left
    scale = min(NET_H * (1 - 2 * GARMENT_MARGIN) / gh, NET_W * (1 - 2 * GARMENT_MARGIN) / gw)
    nh, nw = max(1, round(gh * scale)), max(1, round(gw * scale))
    img = cv2.resize(garment.image[top:bottom, left:right], (nw, nh), interpolation=cv2.INTER_AREA)
    mask = cv2.resize(garment.mask[top:bottom, left:right], (nw, nh), interpolation=cv2.INTER_AREA)
    canvas = np.full((NET_H, NET_W, 3), 255, np.uint8)
    canvas_mask = np.zeros((NET_H, NET_W), np.uint8)
    y0, x0 = (NET_H - nh) // 2, (NET_W - nw) // 2
    m = (mask.astype(np.float32) / 255)[..., None]
    canvas[y0:y0 + nh, x0:x0 + nw] = (m * img + (1 - m) * 255).astype(np.uint8)
    canvas_mask[y0:y0 + nh, x0:x0 + nw] = mask
    return {
        "color": _rgb_tensor(canvas),
        "edge": torch.from_numpy(canvas_mask.astype(np.float32) / 255)[None, None],
    }


def to_rgb_uint8(output: torch.Tensor) -> np.ndarray:
    """(B, 3, H, W) in [-1, 1] → (B, H, W, 3) uint8, clamped and rounded."""
    x = ((output.float().clamp(-1, 1) + 1) * 127.5 + 0.5).permute(0, 2, 3, 1)
    return x.to(torch.uint8).cpu().numpy()

