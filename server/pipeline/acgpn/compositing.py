"""Non-official improvements around the networks: 3:4 framing of any photo, and paste-back of the regions
ACGPN should not touch (face, hair, background, lower body) at the photo's full resolution.

Both are switchable (the CLI's --raw and the backend's `paste_back: false` give the official output).
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from server.pipeline.acgpn.model import AcgpnOutputs
from server.pipeline.vocabulary import Acgpn, Coco18

NET_H, NET_W = 256, 192
# ACGPN labels copied from the shopper's photo: background, hair, face, pants, legs, shoes.
UNTOUCHED = (Acgpn.BACKGROUND, Acgpn.HAIR, Acgpn.FACE, Acgpn.PANTS, Acgpn.LEFT_LEG, Acgpn.RIGHT_LEG,
             Acgpn.LEFT_SHOE, Acgpn.RIGHT_SHOE)
GARMENT = Acgpn.UPPER_CLOTHES
KNEES = (Coco18.R_KNEE, Coco18.L_KNEE)


def generated_layout(out: AcgpnOutputs) -> torch.Tensor:
    """The layout the result shows: Lf with the new garment region (Md) marked as clothes. (B, 1, H, W) long."""
    return out.lf.masked_fill(out.md > 0, GARMENT)


def _untouched(labels: torch.Tensor) -> torch.Tensor:
    keep = torch.zeros_like(labels, dtype=torch.bool)
    for k in UNTOUCHED:
        keep |= labels == k
    return keep


def paste_back_network_res(out: AcgpnOutputs, image: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
    """At 256×192: the person's own pixels where both their parsing and the generated layout are
    untouched regions, with a 3×3-feathered edge. image (B, 3, H, W) [-1, 1] → (B, 3, H, W)."""
    keep = (_untouched(label.to(out.lf.device).long()) & _untouched(generated_layout(out))).to(image.dtype)
    keep = F.avg_pool2d(keep, 3, stride=1, padding=1, count_include_pad=False) * keep
    return keep * image + (1 - keep) * out.output


@dataclass(frozen=True)
class Frame:
    """A 3:4 (w:h) box in photo pixels; may extend past the photo's edges (then padded)."""

    x0: int
    y0: int
    width: int
    height: int

    @property
    def x1(self) -> int:
        return self.x0 + self.width

    @property
    def y1(self) -> int:
        return self.y0 + self.height


def frame_person(person_mask: np.ndarray, keypoints: np.ndarray, *, margin: float = 0.06) -> Frame:
    """A 3:4 box around the person, framed like VITON (head to about the knees, body centred).

    person_mask (H, W) float in [0, 1]; keypoints (18, 3) COCO-18 in the same pixels. The box spans from
    the top of the person to their knees (or the bottom of the mask if knees are not seen), plus `margin`,
    and is widened (taller, keeping 3:4) if the person would not fit across.
    """
    ys, xs = np.nonzero(person_mask > 0.5)
    visible = keypoints[keypoints[:, 2] > 0]
    if len(ys) == 0 and len(visible) == 0:
        h, w = person_mask.shape
        return _fit_34(0, 0, w, h)
    if len(ys):
        top, bottom, left, right = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    else:
        top, bottom = visible[:, 1].min(), visible[:, 1].max()
        left, right = visible[:, 0].min(), visible[:, 0].max()
    knees = keypoints[list(KNEES)]
    knees = knees[knees[:, 2] > 0]
    if len(knees):
        bottom = min(bottom, float(knees[:, 1].max()))
    body_h = max(bottom - top, 1.0)
    height = body_h * (1 + 2 * margin)
    height = max(height, (right - left) * (1 + 2 * margin) / 0.75)
    width = 0.75 * height
    cx = (left + right) / 2
    y0 = top - margin * body_h
    return Frame(int(round(cx - width / 2)), int(round(y0)), int(round(width)), int(round(height)))


def _fit_34(x0: int, y0: int, w: int, h: int) -> Frame:
    """The smallest 3:4 box containing (x0, y0, w, h), centred on it."""
    height = max(h, w / 0.75)
    width = 0.75 * height
    return Frame(int(round(x0 + (w - width) / 2)), int(round(y0 + (h - height) / 2)),
                 int(round(width)), int(round(height)))


def crop(img: np.ndarray, frame: Frame, *, border: int) -> np.ndarray:
    """The frame's pixels; outside the photo `border` is cv2.BORDER_REPLICATE or BORDER_CONSTANT (zeros)."""
    h, w = img.shape[:2]
    pad = (max(0, -frame.y0), max(0, frame.y1 - h), max(0, -frame.x0), max(0, frame.x1 - w))
    inner = img[max(0, frame.y0):min(h, frame.y1), max(0, frame.x0):min(w, frame.x1)]
    if any(pad):
        inner = cv2.copyMakeBorder(inner, *pad, border, value=(0, 0, 0, 0))
    return inner


def paste_back_full_res(photo: np.ndarray, labels: np.ndarray, frame: Frame, result: np.ndarray,
                        layout: np.ndarray, *, paste_untouched: bool = True) -> np.ndarray:
    """Put the 256×192 try-on back into the full-resolution photo.

    photo (H, W, 3) uint8, labels (H, W) the person's ACGPN labels, result (256, 192, 3) uint8, layout
    (256, 192) the generated layout. Inside the frame, the result is upscaled (bicubic); where
    `paste_untouched` and both the person's and the generated label are untouched regions, the photo's own
    pixels are kept, feathered over ~1.5 network pixels. Outside the frame the photo is unchanged.
    """
    out = photo.copy()
    fy0, fx0 = max(0, frame.y0), max(0, frame.x0)
    fy1, fx1 = min(photo.shape[0], frame.y1), min(photo.shape[1], frame.x1)
    if fy1 <= fy0 or fx1 <= fx0:
        return out
    size = (frame.width, frame.height)
    up = cv2.resize(result, size, interpolation=cv2.INTER_CUBIC)
    region = (slice(fy0 - frame.y0, fy1 - frame.y0), slice(fx0 - frame.x0, fx1 - frame.x0))
    up = up[region].astype(np.float32)
    if paste_untouched:
        gen = cv2.resize(layout.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST)[region]
        own = labels[fy0:fy1, fx0:fx1]
        keep = (np.isin(own, UNTOUCHED) & np.isin(gen, UNTOUCHED)).astype(np.float32)
        sigma = 1.5 * frame.height / NET_H
        keep = cv2.GaussianBlur(keep, (0, 0), sigma) * keep  # soft inner edge, never bleeds outward
        keep = keep[..., None]
        up = keep * photo[fy0:fy1, fx0:fx1].astype(np.float32) + (1 - keep) * up
    out[fy0:fy1, fx0:fx1] = np.clip(up + 0.5, 0, 255).astype(np.uint8)
    return out
