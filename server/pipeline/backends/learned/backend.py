"""The learned try-on backend (`server.backend: learned`, what `auto` serves when its weights load).

Per request: the person's 3:4 frame (the learned parser's crop box), the classical landmark warp of the garment
onto it at full resolution with its torso given the worn top's length (`length.py`), the networks at NET_SIZE on
the frame brought down to it (the warp correction, then the renderer on the corrected warp), skin of the shopper's
colour where a tank top bares the shoulders (`bare_skin.py`), the correction's spline applied to the
full-resolution warped garment, and the composition at full resolution: inside the try-on region keep × warped
garment + (1 − keep) × rendered pixels (upsampled), the shopper's own pixels everywhere else (and worn clothes
below a top's lowest hem), byte for byte.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path

import cv2
import numpy as np
import torch

from server.pipeline.acgpn.precision import native_bf16
from server.pipeline.backends.embedded.backend import EmbeddedBackend, synthetic_pair, targets_in_work_box
from server.pipeline.backends.embedded.warp import warp_garment
from server.pipeline.backends.learned.bare_skin import bare_zone, paint_bare_skin
from server.pipeline.backends.learned.inputs import (
    FRONT,
    NET_SIZE,
    compose,
    garment_layer,
    network_input,
    skin_colour,
    warp_input,
)
from server.pipeline.backends.learned.length import lengthen_torso, longest_hem, worn_below_limit
from server.pipeline.backends.learned.network import LearnedTryOn
from server.pipeline.backends.learned.warp import displacement, remap_full, resample
from server.pipeline.preprocess.dataset import border_colour, box_3x4, crop_padded
from server.pipeline.preprocess.labels import resize_labels
from server.pipeline.preprocess.parsing.learned import CROP_MARGIN
from server.pipeline.timing import timed
from server.pipeline.types import GarmentAnalysis, PersonAnalysis, TryOnResult
from server.pipeline.unet import load_weights

log = logging.getLogger(__name__)

WEIGHTS = Path(__file__).resolve().parents[3] / "weights" / "tryon.pt"


def load_tryon_net(path: Path) -> LearnedTryOn:
    """Strict load of a file written by `server.train.tryon --export`: {"widths", "warp_widths", "state_dict",
    ...}. Raises BackendUnavailable naming the file and what is wrong with it."""
    net, _ = load_weights(path, "learned try-on",
                          lambda blob: LearnedTryOn(tuple(blob["widths"]), tuple(blob["warp_widths"])))
    return net


class LearnedBackend:
    """TryOnBackend with the trained `LearnedTryOn`; raises BackendUnavailable when its weights do not load."""

    name = "learned"

    def __init__(self, weights: Path | None = None, garment_cache_size: int = 32) -> None:
        net = load_tryon_net(weights or WEIGHTS)
        self._dtype = torch.bfloat16 if native_bf16(torch.device("cpu")) else torch.float32
        # torch's stubs list no `memory_format` overload for Module.to, which accepts it (documented).
        self.net = net.to(dtype=self._dtype, memory_format=torch.channels_last)  # type: ignore[call-overload]
        self._lock = threading.Lock()  # one inference at a time: concurrent ones only fight over the cores
        # The classical backend prepares (and caches) each garment's landmarks and pieces, and answers a request
        # whose network output is not finite.
        self._classical = EmbeddedBackend(garment_cache_size)

    def warmup(self) -> None:
        person, garment = synthetic_pair()
        self.try_on(person, garment)

    def try_on(self, person: PersonAnalysis, garment: GarmentAnalysis, *, seed: int = 0) -> TryOnResult:
        """Dress `person` in `garment` (deterministic; `seed` seeds the grain of painted skin, and of the classical
        backend's when it answers)."""
        timings: dict[str, float] = {}
        with timed(timings, "landmarks"):
            prepared = self._classical.prepared(garment)
        with timed(timings, "frame"):
            box = box_3x4(person.person_mask > 0.5, margin=CROP_MARGIN)
            x0, y0, x1, y1 = box
            photo = crop_padded(person.image, box, border_colour(person.image))
            lip = crop_padded(person.lip, box, 0)
            keypoints = person.keypoints.copy()
            seen = keypoints[:, 2] > 0
            keypoints[seen, 0] -= x0
            keypoints[seen, 1] -= y0
        with timed(timings, "warp"):
            # Inside the box the garment can reach (as the classical backend), then placed on the whole frame.
            (wy0, wy1, wx0, wx1), targets = targets_in_work_box(prepared.landmarks, garment, keypoints, lip)
            torso, sleeves = warp_garment(prepared, targets, (wy1 - wy0, wx1 - wx0))
            torso = lengthen_torso(torso, targets, lip[wy0:wy1, wx0:wx1])
            layer, layer_alpha = garment_layer(torso, sleeves)
            warped = np.zeros(lip.shape + (3,), np.float32)
            alpha = np.zeros(lip.shape, np.float32)
            warped[wy0:wy1, wx0:wx1], alpha[wy0:wy1, wx0:wx1] = layer, layer_alpha
        with timed(timings, "network"):
            outputs = self._run(photo, lip, keypoints, warped, alpha)
        if outputs is None:
            log.warning("the learned try-on gave non-finite numbers; the classical backend answers this request")
            return self._classical.try_on(person, garment, seed=seed)
        render, keep, region, blank, field = outputs
        with timed(timings, "skin"):
            work = np.s_[wy0:wy1, wx0:wx1]
            zone = bare_zone(lip[work], targets, garment.category)
            render[work] = paint_bare_skin(render[work], photo[work], lip[work], zone, seed)
        with timed(timings, "correct"):
            warped, alpha = remap_full(field, warped, alpha)
        with timed(timings, "compose"):
            # A garment longer than any top (a dress, a coat, a space suit) stays below the lowest hem; with no
            # hips seen, below the new hem.
            limit = longest_hem(targets)
            span = (targets.hem_line[0][0] + wx0, targets.hem_line[1][0] + wx0)
            kept = worn_below_limit(alpha, lip, span, 0 if limit is None else limit + wy0)
            region = np.where(kept, 0, region)
            # Only the box the try-on region reaches is composed and pasted back; the rest stays the photo.
            ys, xs = np.nonzero(region > 0)
            ys, xs = (ys, xs) if ys.size else (np.zeros(1, int), np.zeros(1, int))  # nothing to change
            height, width = person.image.shape[:2]
            by0, by1 = max(ys.min(), -y0), min(ys.max() + 1, height - y0)
            bx0, bx1 = max(xs.min(), -x0), min(xs.max() + 1, width - x0)
            inner = np.s_[by0:by1, bx0:bx1]
            framed = compose(photo[inner].astype(np.float32), warped[inner], alpha[inner][..., None], render[inner],
                             keep[inner][..., None], region[inner][..., None], blank[inner][..., None])
            result = person.image.copy()
            target = result[y0 + by0:y0 + by1, x0 + bx0:x0 + bx1]
            inside = region[inner] > 0
            target[inside] = np.clip(framed[inside] + 0.5, 0, 255).astype(np.uint8)
        return TryOnResult(image=result, timings_ms=timings, warnings=[])

    def _run(self, photo: np.ndarray, lip: np.ndarray, keypoints: np.ndarray, warped: np.ndarray,
             alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, torch.Tensor] | None:
        """The networks on the frame brought to NET_SIZE: render (H, W, 3) float32 0..255, keep, region and blank
        (H, W) float32 0..1 back at the frame's size, and the warp correction's displacement (1, h, w, 2) at
        NET_SIZE; None when an output is not finite."""
        height, width = lip.shape
        small = torch.from_numpy(cv2.resize(photo, NET_SIZE, interpolation=cv2.INTER_AREA)).permute(2, 0, 1)[None]
        small_lip = torch.from_numpy(resize_labels(lip, NET_SIZE))[None]
        fractions = keypoints.copy()
        fractions[:, 0] /= width
        fractions[:, 1] /= height
        fractions[keypoints[:, 2] <= 0] = 0
        small_warped = np.clip(cv2.resize(warped, NET_SIZE, interpolation=cv2.INTER_AREA) + 0.5, 0, 255)
        small_alpha = np.clip(cv2.resize(alpha, NET_SIZE, interpolation=cv2.INTER_AREA) * 255 + 0.5, 0, 255)
        kp = torch.from_numpy(fractions)[None]
        garment = torch.from_numpy(small_warped.astype(np.uint8)).permute(2, 0, 1)[None]
        garment_alpha = torch.from_numpy(small_alpha.astype(np.uint8))[None, None]
        skin = torch.from_numpy(skin_colour(small[0].permute(1, 2, 0).numpy(), small_lip[0].numpy()))[None]
        with self._lock, torch.inference_mode():
            offsets = self.net.warp(self._prepared(warp_input(small_lip, kp, garment, garment_alpha)))
            field = displacement(offsets, NET_SIZE[1], NET_SIZE[0])
            corrected, corrected_alpha = resample(garment.float(), field), resample(garment_alpha.float(), field)
            x, region, blank = network_input(small, small_lip, kp, corrected, corrected_alpha, skin)
            render, keep, _ = self.net.render.heads(self._prepared(x))
        if not (torch.isfinite(field).all() and torch.isfinite(render).all() and torch.isfinite(keep).all()):
            return None
        small_out = torch.cat([render, keep, region, blank], 1)[0].permute(1, 2, 0).float().numpy()
        full = cv2.resize(small_out, (width, height), interpolation=cv2.INTER_LINEAR)
        # The region's soft edge must not reach into face or hair at full resolution either.
        full_region = np.where(np.isin(lip, FRONT), 0, full[..., 4])
        return (full[..., :3] + 1) * 127.5, full[..., 3], full_region, full[..., 5], field

    def _prepared(self, x: torch.Tensor) -> torch.Tensor:
        return x.to(dtype=self._dtype, memory_format=torch.channels_last)
