"""The learned LIP-20 parser: `ParserNet` on a 3:4 crop around the person, trained by `server.train.parser`
on the project's own MediaPipe outputs (docs/preprocessing.md says how and what it measures).

`crop_inputs` and `input_tensor` are the one definition of what the network sees; the training cache
(`server.train.parser_cache`) calls them too, so training inputs are serving inputs.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from scipy.ndimage import distance_transform_edt

from server.pipeline.acgpn.precision import native_bf16
from server.pipeline.preprocess.body import BodyObservation
from server.pipeline.preprocess.dataset import border_colour, box_3x4, crop_padded
from server.pipeline.preprocess.labels import resize_labels, upsample_labels
from server.pipeline.preprocess.parsing.heuristic import HeuristicParser
from server.pipeline.preprocess.parsing.network import INPUTS, ParserNet
from server.pipeline.preprocess.pose import MIN_VISIBILITY, coco18_from_blazepose
from server.pipeline.unet import load_weights
from server.pipeline.vocabulary import LIP_ARMS, BlazePose, Lip

NET_SIZE = (192, 256)  # (width, height) the network runs at
CROP_MARGIN = 0.06  # as the ACGPN dataset framing (VITON's crops leave about this much around the person)
POSE_SIGMA = 0.02  # heat-map σ as a fraction of the crop height (5 px at 256)
STRAY_SHARE = 0.2  # a label's part smaller than this share of its largest part is relabelled
LOWER_BODY = (Lip.PANTS, Lip.SKIRT, Lip.LEFT_LEG, Lip.RIGHT_LEG, Lip.LEFT_SHOE, Lip.RIGHT_SHOE)
HAIR_REACH = 0.1  # hair must come this close to the face (a fraction of the crop height)
MIN_FACE_PIXELS = 50
ARM_CHROMA_DISTANCE = 24.0  # YCrCb chroma units between an arm part's median and the face's
WEIGHTS = Path(__file__).resolve().parents[3] / "weights" / "parser.pt"


log = logging.getLogger(__name__)


@dataclass
class ParserInputs:
    """What the network sees, before it becomes a tensor: everything at NET_SIZE."""

    rgb: np.ndarray  # (256, 192, 3) uint8, the crop, padded with the photo's border colour
    person_mask: np.ndarray  # (256, 192) uint8, MediaPipe's person mask × 255
    keypoints: np.ndarray  # (18, 3) float32 COCO-18, x and y as fractions of the crop, 0 confidence = missing
    face: np.ndarray  # (256, 192) uint8, 255 inside the face-mesh hull
    box: tuple[int, int, int, int]  # the crop in the analysed image (may extend past its edges)
    hips_visible: bool = True  # BlazePose sees a hip (visibility ≥ 0.5) in the photo


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
    hips_visible = bool((body.landmarks[[BlazePose.LEFT_HIP, BlazePose.RIGHT_HIP], 2] >= MIN_VISIBILITY).any())
    return ParserInputs(crop, mask, keypoints, face, box, hips_visible)


def crop_labels(labels: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """A label map of the analysed image → the same crop as `crop_inputs`, at NET_SIZE (nearest, centred)."""
    return resize_labels(crop_padded(labels, box, 0), NET_SIZE)


def pose_maps(keypoints: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """(B, 18, 3) keypoints as crop fractions → (B, 18, H, W) Gaussian heat maps (zero for a missing joint)."""
    ys = (torch.arange(height, dtype=torch.float32) + 0.5) / height
    xs = (torch.arange(width, dtype=torch.float32) + 0.5) / width
    kx, ky, present = keypoints[..., 0, None, None], keypoints[..., 1, None, None], keypoints[..., 2, None, None] > 0
    # Distances in units of the crop height, so a joint is as round in the map as in the photo.
    d2 = ((xs[None, None, None, :] - kx) * width / height) ** 2 + (ys[None, None, :, None] - ky) ** 2
    return torch.exp(-d2 / (2 * POSE_SIGMA**2)) * present


def input_tensor(rgb: torch.Tensor, person_mask: torch.Tensor, keypoints: torch.Tensor, face: torch.Tensor,
                 variant: str) -> torch.Tensor:
    """Batched uint8 inputs → the network's float input.

    rgb (B, 3, H, W), person_mask and face (B, 1, H, W), keypoints (B, 18, 3) → (B, INPUTS[variant], H, W)."""
    channels = [(rgb.float() / 255 - 0.5) / 0.25]
    if variant != "photo":
        height, width = rgb.shape[-2:]
        channels += [person_mask.float() / 255, pose_maps(keypoints.float(), height, width), face.float() / 255]
    x = torch.cat(channels, dim=1)
    assert x.shape[1] == INPUTS[variant], (x.shape, variant)
    return x


def load_parser_net(path: Path) -> tuple[ParserNet, str]:
    """Strict load of a file written by `server.train.parser --export`: {"variant", "widths", "state_dict"}.
    Raises BackendUnavailable naming the file and what is wrong with it."""

    def build(blob: dict[str, Any]) -> ParserNet:
        if blob["variant"] not in INPUTS:
            raise ValueError(f"unknown input variant {blob['variant']!r}")
        return ParserNet(INPUTS[blob["variant"]], tuple(blob["widths"]))

    net, blob = load_weights(path, "learned parser", build)
    return net, blob["variant"]


def drop_stray_parts(labels: np.ndarray, rgb: np.ndarray, hips_visible: bool = True) -> np.ndarray:
    """Parts of the parse that cannot be right take the label of the nearest part that is kept:

    * a connected part smaller than STRAY_SHARE of its label's largest part (a patch of 'hair' on a shirt);
    * an arm part whose colour is not the face's skin colour: LIP's arms are bare skin, so such a part is
      clothing unlike any the network was trained on (measured: every arm of the 24 VITON dev photos lies
      within 15.7 of its face in YCrCb chroma; the patches found on the kiosk demo's orange suit 30 to 47);
    * a hair part that does not reach the face's surroundings (hair grows from the head);
    * any lower-body part (trousers, skirt, legs, shoes) when BlazePose sees no hip: on a photo cut at the
      chest the bottom of a jacket is not trousers. (A rule on the hip line's height was tried first: with
      BlazePose's hips a little low on VITON's photos it cost 3.5 points of trousers IoU on the validation split.)
    These are the failures seen on photos unlike VITON's (the astronaut's suit, helmet, chest-high framing).
    """
    height = labels.shape[0]
    stray = np.zeros(labels.shape, bool)
    chroma = None
    face = labels == Lip.FACE
    if face.sum() >= MIN_FACE_PIXELS:
        chroma = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)[..., 1:].astype(np.float32)
        skin = np.median(chroma[face], axis=0)
        reach = max(3, round(HAIR_REACH * height))
        near_face = cv2.dilate(face.astype(np.uint8), np.ones((reach, reach), np.uint8)) > 0
    for label in np.unique(labels):
        if label == Lip.BACKGROUND:
            continue
        count, parts, stats, _ = cv2.connectedComponentsWithStats((labels == label).astype(np.uint8), connectivity=8)
        areas = stats[1:, cv2.CC_STAT_AREA]
        small = np.flatnonzero(areas < STRAY_SHARE * areas.max()) + 1
        if len(small):
            stray |= np.isin(parts, small)
        for part in range(1, count):
            if label in LOWER_BODY and not hips_visible:
                stray |= parts == part
            elif label in LIP_ARMS and chroma is not None:
                inside = parts == part
                if np.linalg.norm(np.median(chroma[inside], axis=0) - skin) > ARM_CHROMA_DISTANCE:
                    stray |= inside
            elif label == Lip.HAIR and chroma is not None and not near_face[parts == part].any():
                stray |= parts == part
    if not stray.any():
        return labels
    nearest = distance_transform_edt(stray, return_distances=False, return_indices=True)
    return labels[nearest[0], nearest[1]]


class LearnedParser:
    """`HumanParser` with the trained `ParserNet`; raises BackendUnavailable when its weights do not load."""

    name = "learned"

    def __init__(self, weights: Path = WEIGHTS) -> None:
        net, self.variant = load_parser_net(weights)
        # bfloat16 weights and channels-last activations where the CPU computes bfloat16 natively: 13 ms
        # against 27 ms under autocast and 51 ms in float32 (2 cores, AVX512-BF16).
        self._dtype = torch.bfloat16 if native_bf16(torch.device("cpu")) else torch.float32
        # torch's stubs list no `memory_format` overload for Module.to, which accepts it (documented).
        self.net = net.to(dtype=self._dtype, memory_format=torch.channels_last)  # type: ignore[call-overload]
        self._lock = threading.Lock()  # one inference at a time: concurrent ones only fight over the cores
        self._fallback = HeuristicParser()

    def logits(self, inputs: ParserInputs) -> torch.Tensor:
        """(1, 20, 256, 192) float32 logits for one crop."""
        x = input_tensor(torch.from_numpy(inputs.rgb).permute(2, 0, 1)[None],
                         torch.from_numpy(inputs.person_mask)[None, None],
                         torch.from_numpy(inputs.keypoints)[None],
                         torch.from_numpy(inputs.face)[None, None], self.variant)
        x = x.to(dtype=self._dtype, memory_format=torch.channels_last)
        with self._lock, torch.inference_mode():
            return self.net(x).float()

    def network_labels(self, inputs: ParserInputs) -> np.ndarray | None:
        """(256, 192) uint8 LIP-20 for one crop: arg-max, stray parts dropped; None when the network's output is
        not finite. (The try-on's training cache calls this too, so it sees what serving sees.)"""
        logits = self.logits(inputs)
        if not torch.isfinite(logits).all():
            return None
        # (numpy's arg-max over a contiguous last axis is several times faster than torch's over channels)
        labels = logits[0].permute(1, 2, 0).numpy().argmax(-1).astype(np.uint8)
        return drop_stray_parts(labels, inputs.rgb, inputs.hips_visible)

    def parse(self, rgb: np.ndarray, body: BodyObservation) -> np.ndarray:
        """(H, W, 3) uint8 → (H, W) uint8 LIP-20: arg-max at the network's size, stray parts dropped, labels
        resized to the crop box with smooth edges, pasted back."""
        height, width = rgb.shape[:2]
        inputs = crop_inputs(rgb, body)
        x0, y0, x1, y1 = inputs.box
        labels = self.network_labels(inputs)
        if labels is None:
            log.warning("the learned parser gave non-finite numbers; the heuristic parser answers this photo")
            return self._fallback.parse(rgb, body)
        labels = upsample_labels(labels, x1 - x0, y1 - y0)
        lip = np.zeros((height, width), np.uint8)
        sx0, sy0, sx1, sy1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
        lip[sy0:sy1, sx0:sx1] = labels[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0]
        return lip
