"""The parser's training augmentation keeps pictures and labels consistent."""
from __future__ import annotations

import torch

from server.pipeline.vocabulary import Coco18, Lip
from server.train.parser import augment, recolour_clothes

LEFT_ARM, RIGHT_ARM, UPPER, FACE = Lip.LEFT_ARM, Lip.RIGHT_ARM, Lip.UPPER_CLOTHES, Lip.FACE
L_WRIST, R_WRIST = Coco18.L_WRIST, Coco18.R_WRIST


def _batch(n: int = 16) -> dict[str, torch.Tensor]:
    """A frontal 'person': the subject's left arm and left wrist on the image's right half."""
    target = torch.zeros(n, 64, 48, dtype=torch.uint8)
    target[:, 20:60, 16:32] = UPPER
    target[:, 5:18, 18:30] = FACE
    target[:, 20:50, 34:40] = LEFT_ARM
    target[:, 20:50, 8:14] = RIGHT_ARM
    keypoints = torch.zeros(n, len(Coco18), 3)
    keypoints[:, L_WRIST] = torch.tensor([37 / 48, 0.75, 1.0])
    keypoints[:, R_WRIST] = torch.tensor([11 / 48, 0.75, 1.0])
    rgb = torch.full((n, 3, 64, 48), 200, dtype=torch.uint8)
    rgb[:, :, :, 34:40] = 90  # the left arm's colour only on the image's right half
    mask = (target > 0).to(torch.uint8)[:, None] * 255
    return {"rgb": rgb, "mask": mask, "face": (target == FACE).to(torch.uint8)[:, None] * 255,
            "keypoints": keypoints, "target": target}


def test_flips_swap_left_and_right_labels_and_keypoints():
    out = augment(_batch(), torch.Generator().manual_seed(0))
    flipped = out["rgb"][:, 1, 30, 11] < out["rgb"][:, 1, 30, 36]  # the dark stripe moved to the image's left
    assert 0 < flipped.sum() < len(flipped)  # both cases happen in this batch
    columns = torch.arange(48)
    for i in range(len(flipped)):
        left = (out["target"][i] == LEFT_ARM).any(0)
        assert columns[left].float().mean() > 24, "the subject's left arm is always on the image's right"
        assert out["keypoints"][i, L_WRIST, 0] > 0.5 > out["keypoints"][i, R_WRIST, 0]


def test_recolouring_touches_only_clothes():
    batch = _batch()
    out = recolour_clothes(batch["rgb"], batch["target"], torch.Generator().manual_seed(1))
    clothes = (batch["target"] == UPPER)[:, None].expand_as(out)
    assert torch.equal(out[~clothes], batch["rgb"][~clothes])
    changed = (out != batch["rgb"]).flatten(1).any(1)
    assert 0 < changed.sum() < len(changed)
