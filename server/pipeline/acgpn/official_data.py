"""The official data path, replicated bit for bit for parity: `AlignedDataset.__getitem__` in
ACGPN_inference/data/aligned_dataset.py with the transforms of `get_transform` (data/base_dataset.py) under
the options test.py runs with (`resize_or_crop=scale_width`, `loadSize=512`); docs/acgpn.md, "Data path".

Person and garment images go through a "scale to width 512, then resize to 192×256" round trip (bicubic
for images, nearest for label and mask); pose keypoints become 18 squares drawn with Pillow that take the
same bicubic round trip. ToTensor is done in float32 exactly as torchvision does it; the normalisation
(x − 0.5) / 0.5 runs in the requested dtype on those float32 values. For float32 that is torchvision's
Normalize; for the float64 parity proof it is what the golden run did: normalising in float32 instead
rounds dark pixels (x < 0.25) once more and moves every network stage by ≈ 3e-7 and `output` by ≈ 2e-4.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

from server.pipeline.vocabulary import Coco18

NET_W, NET_H = 192, 256
LOAD_WIDTH = 512  # the official loadSize with resize_or_crop=scale_width
POSE_RADIUS = 5


def _round_trip(img: Image.Image, method: Image.Resampling) -> Image.Image:
    """Scale to width 512 (aspect kept, height truncated), then resize to 192×256, with `method`."""
    w, h = img.size
    if w != LOAD_WIDTH:
        img = img.resize((LOAD_WIDTH, int(LOAD_WIDTH * h / w)), method)
    return img.resize((NET_W, NET_H), method)


def _to_tensor(img: Image.Image) -> torch.Tensor:
    """torchvision ToTensor: uint8 (H, W[, C]) → float32 (C, H, W) / 255."""
    a = np.array(img)  # a writable copy
    if a.ndim == 2:
        a = a[:, :, None]
    return torch.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1))).float().div(255)


def _normalise(t: torch.Tensor) -> torch.Tensor:
    """torchvision Normalize(0.5, 0.5): [0, 1] → [-1, 1]."""
    return (t - 0.5) / 0.5


def image_tensor(img: Image.Image, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """RGB photo → (3, 256, 192) in [-1, 1] through the bicubic round trip (ToTensor in float32, then
    normalised in `dtype`)."""
    return _normalise(_to_tensor(_round_trip(img.convert("RGB"), Image.Resampling.BICUBIC)).to(dtype))


def label_tensor(img: Image.Image) -> torch.Tensor:
    """8-bit 'L' label PNG → (1, 256, 192) float32 integers 0..13 (nearest round trip, ToTensor·255)."""
    return _to_tensor(_round_trip(img.convert("L"), Image.Resampling.NEAREST)) * 255


def edge_tensor(img: Image.Image) -> torch.Tensor:
    """Grey garment mask → (1, 256, 192) float32 in [0, 1] (nearest round trip, not thresholded)."""
    return _to_tensor(_round_trip(img.convert("L"), Image.Resampling.NEAREST))


def pose_tensor(keypoints: np.ndarray, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """(K, 3) keypoints (x, y, conf) in 192×256 pixels → (K, 256, 192) pose map in [-1, 1], normalised in `dtype`.

    Each point with x > 1 and y > 1 becomes a white square of radius 5 drawn by Pillow on black; each
    single-point image takes the image round trip and channel 0 is kept (the pose loop of the official
    `AlignedDataset.__getitem__`)."""
    channels = []
    for x, y, _conf in np.asarray(keypoints, np.float64).reshape(-1, 3):
        canvas = Image.new("L", (NET_W, NET_H))
        if x > 1 and y > 1:
            ImageDraw.Draw(canvas).rectangle(
                (x - POSE_RADIUS, y - POSE_RADIUS, x + POSE_RADIUS, y + POSE_RADIUS), "white", "white")
        channels.append(image_tensor(canvas, dtype)[0])
    return torch.stack(channels)


def read_openpose_json(path: Path) -> np.ndarray:
    """people[0].pose_keypoints (OpenPose ≤ 1.1 key) → (K, 3) float64."""
    data = json.loads(Path(path).read_text())
    return np.asarray(data["people"][0]["pose_keypoints"], np.float64).reshape(-1, 3)


@dataclass
class OfficialSample:
    """One pair as the official loader yields it, batch 1, NCHW 256×192 (float32, or float64 for parity)."""

    person: str  # file names as in the pairs list
    garment: str
    label: torch.Tensor  # (1, 1, H, W) integers 0..13
    image: torch.Tensor  # (1, 3, H, W) [-1, 1]
    color: torch.Tensor  # (1, 3, H, W) [-1, 1]
    edge: torch.Tensor  # (1, 1, H, W) [0, 1]
    pose: torch.Tensor  # (1, 18, H, W) [-1, 1]


def _stem(name: str) -> str:
    return Path(name).stem


def load_official_sample(dataroot: Path, person: str, garment: str,
                         dtype: torch.dtype = torch.float32) -> OfficialSample:
    """Read one pair from a dataroot in the official layout (test_img, test_label, test_pose, test_color,
    test_edge). The label is `<person stem>.png`, the pose `<person stem>_keypoints.json`.

    `dtype` is the dtype of the returned tensors and of the normalisation step (see the module docstring);
    label and edge are exact in float32 and only upcast."""
    root = Path(dataroot)
    paths = {
        "image": root / "test_img" / person,
        "label": root / "test_label" / f"{_stem(person)}.png",
        "pose": root / "test_pose" / f"{_stem(person)}_keypoints.json",
        "color": root / "test_color" / garment,
        "edge": root / "test_edge" / garment,
    }
    for key, p in paths.items():
        if not p.is_file():
            raise FileNotFoundError(f"{key} file {p} not found (official dataroot layout expected)")
    keypoints = read_openpose_json(paths["pose"])
    if len(keypoints) != len(Coco18):
        raise ValueError(f"{paths['pose']}: {len(keypoints)} keypoints, ACGPN needs COCO-18")
    with Image.open(paths["image"]) as im, Image.open(paths["label"]) as lab, \
            Image.open(paths["color"]) as col, Image.open(paths["edge"]) as edg:
        return OfficialSample(
            person=person, garment=garment,
            label=label_tensor(lab)[None].to(dtype), image=image_tensor(im, dtype)[None],
            color=image_tensor(col, dtype)[None], edge=edge_tensor(edg)[None].to(dtype),
            pose=pose_tensor(keypoints, dtype)[None],
        )
