"""The learned LIP-20 parser: `ParserNet` on a 3:4 crop around the person, trained by `server.train.parser`
on the project's own MediaPipe outputs (docs/preprocessing.md says how and what it measures).

`crop_inputs` and `input_tensor` are the one definition of what the network sees; the training cache
(`server.train.parser_cache`) calls them too, so training inputs are serving inputs.
"""
from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import cv2
import numpy as np
import torch
from torch.nn import functional as F

from server.pipeline.acgpn.precision import native_bf16
from server.pipeline.errors import BackendUnavailable
from server.pipeline.preprocess.body import BodyObservation
from server.pipeline.preprocess.dataset import box_3x4, border_colour, crop_padded
from server.pipeline.preprocess.parsing.network import INPUTS, LIP_CLASSES, POSE_CHANNELS, ParserNet
from server.pipeline.preprocess.pose import coco18_from_blazepose

NET_SIZE = (192, 256)  # (width, height) the network runs at
CROP_MARGIN = 0.06  # as the ACGPN dataset framing (VITON's crops leave about this much around the person)
POSE_SIGMA = 0.02  # heat-map σ as a fraction of the crop height (5 px at 256)
WEIGHTS = Path(__file__).resolve().parents[3] / "weights" / "parser.pt"


@dataclass
class ParserInputs:
    """What the network sees, before it becomes a tensor: everything at NET_SIZE."""

    rgb: np.ndarray  # (256, 192, 3) uint8, the crop, padded with the photo's border colour
    person_mask: np.ndarray  # (256, 192) uint8, MediaPipe's person mask × 255
    keypoints: np.ndarray  # (18, 3) float32 COCO-18, x and y as fractions of the crop, 0 confidence = missing
    face: np.ndarray  # (256, 192) uint8, 255 inside the face-mesh hull
    box: tuple[int, int, int, int]  # the crop in the analysed image (may extend past its edges)


def crop_inputs(rgb: np.ndarray, body: BodyObservation) -> ParserInputs:
    """Frame the person 3:4 (box from MediaPipe's person mask) and bring every input to NET_SIZE."""
    height, width = rgb.shape[:2]
    box = box_3x4(body.person_mask > 0.5, margin=CROP_MARGIN)
    x0, y0, x1, y1 = box
    sx, sy = NET_SIZE[0] / (x1 - x0), NET_SIZE[1] / (y1 - y0)
    crop = cv2.resize(crop_padded(rgb, box, border_colour(rgb)), NET_SIZE, interpolation=cv2.INTER_AREA)
    mask = crop_padded((body.person_mask * 255).astype(np.uint8), box, 0)
    mask = cv2.resize(mask, NET_SIZE, interpolation=cv2.INTER_AREA)
    keypoints = coco18_from_blazepose(body.landmarks, width, height)
    present = keypoints[:, 2] > 0
    keypoints[present, 0] = (keypoints[present, 0] - x0) / (x1 - x0)
    keypoints[present, 1] = (keypoints[present, 1] - y0) / (y1 - y0)
    face = np.zeros(NET_SIZE[::-1], np.uint8)
    if body.face is not None:
        points = np.column_stack([(body.face[:, 0] - x0) * sx, (body.face[:, 1] - y0) * sy])
        cv2.fillConvexPoly(face, cv2.convexHull(np.round(points).astype(np.int32)), 255, cv2.LINE_AA)
    return ParserInputs(crop, mask, keypoints, face, box)


def crop_labels(labels: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """A label map of the analysed image → the same crop as `crop_inputs`, at NET_SIZE (nearest)."""
    return cv2.resize(crop_padded(labels, box, 0), NET_SIZE, interpolation=cv2.INTER_NEAREST)


def pose_maps(keypoints: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """(B, 18, 3) keypoints as crop fractions → (B, 18, H, W) Gaussian heat maps (zero for a missing joint)."""
    ys = (torch.arange(height, dtype=torch.float32) + 0.5) / height
    xs = (torch.arange(width, dtype=torch.float32) + 0.5) / width
    kx, ky, present = keypoints[..., 0, None, None], keypoints[..., 1, None, None], keypoints[..., 2, None, None] > 0
    # Distances in units of the crop height, so a joint is as round in the map as in the photo.
    d2 = ((xs[None, None, None, :] - kx) * width / height) ** 2 + (ys[None, None, :, None] - ky) ** 2
    return torch.exp(-d2 / (2 * POSE_SIGMA**2)) * present


def input_tensor(rgb: torch.Tensor, person_mask: torch.Tensor, keypoints: torch.Tensor, face: torch.Tensor,
                 variant: str, heuristic: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Batched uint8 inputs → the network's float input.

    rgb (B, 3, H, W), person_mask and face (B, 1, H, W), keypoints (B, 18, 3), heuristic (B, H, W) LIP-20 labels
    → (B, INPUTS[variant], H, W)."""
    channels = [(rgb.float() / 255 - 0.5) / 0.25]
    if variant != "photo":
        height, width = rgb.shape[-2:]
        channels += [person_mask.float() / 255, pose_maps(keypoints.float(), height, width), face.float() / 255]
    if variant == "photo+mediapipe+heuristic":
        assert heuristic is not None, "this variant needs the heuristic parse"
        channels.append(F.one_hot(heuristic.long(), LIP_CLASSES).permute(0, 3, 1, 2).float())
    x = torch.cat(channels, dim=1)
    assert x.shape[1] == INPUTS[variant], (x.shape, variant)
    return x


def load_parser_net(path: Path) -> tuple[ParserNet, str]:
    """Strict load of a file written by `server.train.parser --export`: {"variant", "widths", "state_dict"}.
    Raises BackendUnavailable naming the file and what is wrong with it."""
    path = Path(path)
    if not path.is_file():
        raise BackendUnavailable(f"learned parser weights not found: {path.name}")
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
        variant, widths = blob["variant"], tuple(blob["widths"])
        if variant not in INPUTS or variant == "photo+mediapipe+heuristic":
            raise ValueError(f"unknown input variant {variant!r}")
        net = ParserNet(INPUTS[variant], widths)
        net.load_state_dict(blob["state_dict"], strict=True)
    except Exception as error:  # a truncated, foreign or mismatched file: say which and why
        raise BackendUnavailable(f"learned parser weights {path.name} do not load: {error}") from error
    if not all(torch.isfinite(p).all() for p in net.state_dict().values() if p.is_floating_point()):
        raise BackendUnavailable(f"learned parser weights {path.name} contain non-finite numbers")
    return net.eval(), variant


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class LearnedParser:
    """`HumanParser` with the trained `ParserNet`; raises BackendUnavailable when its weights do not load."""

    name = "learned"

    def __init__(self, weights: Path = WEIGHTS) -> None:
        self.net, self.variant = load_parser_net(weights)
        self._bfloat16 = native_bf16(torch.device("cpu"))
        self._lock = threading.Lock()  # BatchNorm in eval mode is stateless, but torch threads are shared

    def logits(self, inputs: ParserInputs) -> torch.Tensor:
        """(1, 20, 256, 192) float32 logits for one crop."""
        x = input_tensor(torch.from_numpy(inputs.rgb).permute(2, 0, 1)[None],
                         torch.from_numpy(inputs.person_mask)[None, None],
                         torch.from_numpy(inputs.keypoints)[None],
                         torch.from_numpy(inputs.face)[None, None], self.variant)
        with self._lock, torch.inference_mode(), torch.autocast("cpu", torch.bfloat16, enabled=self._bfloat16):
            out = self.net(x).float()
        if not torch.isfinite(out).all():
            raise BackendUnavailable("the learned parser produced non-finite numbers")
        return out

    def parse(self, rgb: np.ndarray, body: BodyObservation) -> np.ndarray:
        """(H, W, 3) uint8 → (H, W) uint8 LIP-20: logits upsampled to the crop box, arg-max, pasted back."""
        height, width = rgb.shape[:2]
        inputs = crop_inputs(rgb, body)
        x0, y0, x1, y1 = inputs.box
        logits = F.interpolate(self.logits(inputs), size=(y1 - y0, x1 - x0), mode="bilinear", align_corners=False)
        labels = logits[0].argmax(0).to(torch.uint8).numpy()
        lip = np.zeros((height, width), np.uint8)
        sx0, sy0, sx1, sy1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
        lip[sy0:sy1, sx0:sx1] = labels[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0]
        return lip
