"""Write a person + garment pair in the dataset layout the official ACGPN test reads (`AlignedDataset` in
ACGPN_inference/data/aligned_dataset.py of github.com/switchablenorms/DeepFashion_Try_On, under
`dataroot=../Data_preprocessing/`; the formats are in docs/acgpn.md, "Dataset layout"):

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

from server.pipeline.preprocess.labels import resize_labels
from server.pipeline.preprocess.pose import scale_keypoints, write_openpose_json
from server.pipeline.types import GarmentAnalysis, PersonAnalysis
from server.pipeline.vocabulary import Acgpn

SIZE = (192, 256)  # (width, height) of every ACGPN input
FOLDERS = ("test_img", "test_label", "test_pose", "test_color", "test_edge", "test_mask", "test_colormask")


def _place(start: float, end: float, size: float, extent: int, at_start: bool, at_end: bool) -> int:
    """Where a window of `size` px around [start, end) begins on an axis of `extent` px: inside the image when
    it fits; otherwise flush with the side where the subject is cut by the photo's edge (a person cut at
    the waist stays cut at the bottom edge, as in VITON), else centred."""
    centred = (start + end) / 2 - size / 2
    if size <= extent:
        return round(min(max(centred, 0), extent - size))
    if at_end and not at_start:
        return round(extent - size)
    if at_start and not at_end:
        return 0
    return round(centred)


def box_3x4(mask: np.ndarray, margin: float) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) around the mask's bounding box plus `margin` of its size on every side where the mask
    does not touch the photo's edge, widened or heightened to 3:4 (w:h). It may extend past the image:
    the caller pads."""
    height, width = mask.shape
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        ys, xs = np.array([0, height - 1]), np.array([0, width - 1])
    x0, x1, y0, y1 = int(xs.min()), int(xs.max()) + 1, int(ys.min()), int(ys.max()) + 1
    touches = {"left": x0 == 0, "right": x1 == width, "top": y0 == 0, "bottom": y1 == height}
    mx, my = margin * (x1 - x0), margin * (y1 - y0)
    bx0, bx1 = x0 - (0 if touches["left"] else mx), x1 + (0 if touches["right"] else mx)
    by0, by1 = y0 - (0 if touches["top"] else my), y1 + (0 if touches["bottom"] else my)
    w, h = bx1 - bx0, by1 - by0
    w, h = max(w, h * 3 / 4), max(h, w * 4 / 3)
    w = round(w)
    h = round(w * 4 / 3)
    left = _place(bx0, bx1, w, width, touches["left"], touches["right"])
    top = _place(by0, by1, h, height, touches["top"], touches["bottom"])
    return left, top, left + w, top + h


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
    box = box_3x4((person.person_mask > 0.5) | (person.labels > Acgpn.BACKGROUND), margin=0.06)
    image = crop_padded(person.image, box, border_colour(person.image))
    labels = crop_padded(person.labels, box, Acgpn.BACKGROUND)
    sx, sy = SIZE[0] / image.shape[1], SIZE[1] / image.shape[0]
    keypoints = scale_keypoints(person.keypoints, sx, sy, -box[0] * sx, -box[1] * sy)
    return (
        cv2.resize(image, SIZE, interpolation=cv2.INTER_AREA),
        resize_labels(labels, SIZE),
        keypoints,
    )


def garment_to_acgpn(garment: GarmentAnalysis) -> tuple[np.ndarray, np.ndarray]:
    """(garment 256×192×3, mask 256×192 uint8), framed 3:4 around the garment on its own background."""
    box = box_3x4(garment.mask > 0, margin=0.08)
    image = crop_padded(garment.image, box, border_colour(garment.image))
    mask = crop_padded(garment.mask, box, 0)
    return cv2.resize(image, SIZE, interpolation=cv2.INTER_AREA), cv2.resize(mask, SIZE, interpolation=cv2.INTER_AREA)


def write_pair(out: Path, person_name: str, person: PersonAnalysis, garment_name: str,
               garment: GarmentAnalysis) -> None:
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
