"""Write a person + garment pair in the official ACGPN dataset layout (../shared/acgpn/SPEC.md §4.1):

    test_img/<person>.jpg            192×256 RGB JPEG, the person cropped/padded to 3:4 around the body
    test_label/<person>.png          192×256 8-bit 'L' PNG, ACGPN-14 labels (raw indices, not a palette)
    test_pose/<person>_keypoints.json  OpenPose COCO-18 in 192×256 pixels ("pose_keypoints" + "_2d")
    test_color/<garment>.jpg         192×256 garment photo cropped/padded to 3:4 on its background
    test_edge/<garment>.jpg          192×256 garment mask (white = garment)
    test_mask/, test_colormask/      empty: the official loader only asserts that they exist
    test_pairs.txt                   "<person>.jpg <garment>.jpg" (read by the community forks)
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from server.pipeline.preprocess.pose import scale_keypoints, write_openpose_json
from server.pipeline.types import GarmentAnalysis, PersonAnalysis

SIZE = (192, 256)  # (width, height) of every ACGPN input
FOLDERS = ("test_img", "test_label", "test_pose", "test_color", "test_edge", "test_mask", "test_colormask")


def box_3x4(mask: np.ndarray, margin: float) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) around the mask's bounding box plus `margin` of its size, widened or heightened to
    3:4 (w:h) about its centre. It may extend past the image: the caller pads."""
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        height, width = mask.shape
        ys, xs = np.array([0, height - 1]), np.array([0, width - 1])
    x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    w, h = (x1 - x0) * (1 + 2 * margin), (y1 - y0) * (1 + 2 * margin)
    w, h = max(w, h * 3 / 4), max(h, w * 4 / 3)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return round(cx - w / 2), round(cy - h / 2), round(cx + w / 2), round(cy + h / 2)


def crop_padded(image: np.ndarray, box: tuple[int, int, int, int], fill) -> np.ndarray:
    """The `box` region of `image`, with `fill` wherever the box lies outside it."""
    x0, y0, x1, y1 = box
    height, width = image.shape[:2]
    out = np.empty((y1 - y0, x1 - x0) + image.shape[2:], image.dtype)
    out[...] = fill
    sx0, sy0, sx1, sy1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
    out[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = image[sy0:sy1, sx0:sx1]
    return out


def border_colour(image: np.ndarray) -> np.ndarray:
    ring = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
    return np.median(ring, axis=0).astype(np.uint8)


def person_to_acgpn(person: PersonAnalysis) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(image 256×192×3, labels 256×192, keypoints (18, 3) in 192×256 px), framed 3:4 around the person."""
    box = box_3x4((person.person_mask > 0.5) | (person.labels > 0), margin=0.06)
    image = crop_padded(person.image, box, border_colour(person.image))
    labels = crop_padded(person.labels, box, 0)
    sx, sy = SIZE[0] / image.shape[1], SIZE[1] / image.shape[0]
    keypoints = scale_keypoints(person.keypoints, sx, sy, -box[0] * sx, -box[1] * sy)
    return (
        cv2.resize(image, SIZE, interpolation=cv2.INTER_AREA),
        cv2.resize(labels, SIZE, interpolation=cv2.INTER_NEAREST),
        keypoints,
    )


def garment_to_acgpn(garment: GarmentAnalysis) -> tuple[np.ndarray, np.ndarray]:
    """(garment 256×192×3, mask 256×192 uint8), framed 3:4 around the garment on its own background."""
    box = box_3x4(garment.mask > 0, margin=0.08)
    image = crop_padded(garment.image, box, border_colour(garment.image))
    mask = crop_padded(garment.mask, box, 0)
    return cv2.resize(image, SIZE, interpolation=cv2.INTER_AREA), cv2.resize(mask, SIZE, interpolation=cv2.INTER_AREA)


def write_pair(out: Path, person_name: str, person: PersonAnalysis, garment_name: str, garment: GarmentAnalysis) -> None:
    """Write one pair; `person_name` / `garment_name` are file stems."""
    out = Path(out)
    for folder in FOLDERS:
        (out / folder).mkdir(parents=True, exist_ok=True)
    image, labels, keypoints = person_to_acgpn(person)
    Image.fromarray(image).save(out / "test_img" / f"{person_name}.jpg", quality=95)
    Image.fromarray(labels, mode="L").save(out / "test_label" / f"{person_name}.png")
    write_openpose_json(keypoints, out / "test_pose" / f"{person_name}_keypoints.json")
    colour, edge = garment_to_acgpn(garment)
    Image.fromarray(colour).save(out / "test_color" / f"{garment_name}.jpg", quality=95)
    Image.fromarray(edge, mode="L").save(out / "test_edge" / f"{garment_name}.jpg", quality=95)
    with open(out / "test_pairs.txt", "a") as pairs:
        pairs.write(f"{person_name}.jpg {garment_name}.jpg\n")
