"""ACGPN as a try-on backend: the authors' networks on our preprocessing, pasted back at full resolution."""
from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import numpy as np
import torch

from common.config.server import AcgpnConfig
from server.pipeline.acgpn.checkpoints import CheckpointError, load_networks, validate_checkpoint_dir
from server.pipeline.acgpn.compositing import frame_person, generated_layout, paste_back_full_res
from server.pipeline.acgpn.inputs import garment_tensors, person_tensors, to_rgb_uint8
from server.pipeline.acgpn.model import ACGPN, AcgpnInputs
from server.pipeline.acgpn.noise import request_noise
from server.pipeline.acgpn.precision import use_bf16_after_g1
from server.pipeline.errors import BackendUnavailable
from server.pipeline.timing import timed
from server.pipeline.types import GarmentAnalysis, PersonAnalysis, TryOnResult
from server.pipeline.vocabulary import Acgpn, Coco18, Lip

log = logging.getLogger(__name__)


def resolve_device(setting: str) -> torch.device:
    """"auto" → CUDA when present, else CPU; "cuda" without a GPU is a configuration error."""
    if setting == "cuda" and not torch.cuda.is_available():
        raise BackendUnavailable("server.acgpn.device is 'cuda' but no CUDA device is available")
    if setting == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(setting)


class AcgpnBackend:
    """TryOnBackend "acgpn". Construction loads all four checkpoints (≈566 MB) or raises
    BackendUnavailable naming the file and the problem."""

    name = "acgpn"

    def __init__(self, config: AcgpnConfig) -> None:
        self.config = config
        checkpoints_dir = self.check(config)
        self.device = resolve_device(config.device)
        # Process-wide: intra-op threads = the setting, else one per core (torch may pick fewer).
        torch.set_num_threads(config.threads or os.cpu_count() or 1)
        try:
            nets = load_networks(checkpoints_dir)
        except CheckpointError as e:
            raise BackendUnavailable(str(e)) from e
        self.bf16_after_g1 = use_bf16_after_g1(config.precision, self.device)
        self.model = ACGPN(nets, bf16_after_g1=self.bf16_after_g1).to(self.device)
        self._lock = threading.Lock()  # one forward at a time per model: torch already uses every core
        log.info("ACGPN loaded from %s on %s (precision %s → %s after G1)", config.checkpoints_dir,
                 self.device, config.precision, "bfloat16" if self.bf16_after_g1 else "float32")

    @staticmethod
    def check(config: AcgpnConfig) -> Path:
        """Validate the checkpoint folder without loading the weights (cheap; for server start and
        /readyz); returns it. Raises BackendUnavailable with the reason."""
        try:
            return validate_checkpoint_dir(config.checkpoints_dir)
        except CheckpointError as e:
            raise BackendUnavailable(str(e)) from e

    def warmup(self) -> None:
        """One try-on of a synthetic person (face, shirt, pants; no keypoints) to allocate everything."""
        h, w = 1024, 768
        labels = np.full((h, w), Acgpn.BACKGROUND, np.uint8)
        labels[150:300, 300:470] = Acgpn.FACE
        labels[300:700, 220:550] = Acgpn.UPPER_CLOTHES
        labels[700:1000, 250:520] = Acgpn.PANTS
        person = PersonAnalysis(
            image=np.full((h, w, 3), 128, np.uint8),
            keypoints=np.zeros((len(Coco18), 3), np.float32),
            lip=np.full((h, w), Lip.BACKGROUND, np.uint8), labels=labels,
            person_mask=(labels > Acgpn.BACKGROUND).astype(np.float32))
        mask = np.zeros((h, w), np.uint8)
        mask[200:800, 150:620] = 255
        self.try_on(person, GarmentAnalysis(image=np.full((h, w, 3), 200, np.uint8), mask=mask), seed=0)

    def try_on(self, person: PersonAnalysis, garment: GarmentAnalysis, *, seed: int = 0) -> TryOnResult:
        timings: dict[str, float] = {}
        with timed(timings, "acgpn_inputs"):
            frame = frame_person(person.person_mask, person.keypoints)
            p, g = person_tensors(person, frame), garment_tensors(garment)
            inputs = AcgpnInputs(label=p["label"], image=p["image"], color=g["color"], edge=g["edge"],
                                 pose=p["pose"], noise=request_noise(seed, 1))
        with timed(timings, "acgpn_networks"), self._lock, torch.inference_mode():
            out = self.model(inputs)
            result = to_rgb_uint8(out.output)[0]
            layout = generated_layout(out)[0, 0].to(torch.uint8).cpu().numpy()
        with timed(timings, "acgpn_paste_back"):
            image = paste_back_full_res(person.image, person.labels, frame, result, layout,
                                        paste_untouched=self.config.paste_back)
        return TryOnResult(image=image, timings_ms=timings)
