"""The fixed (non-learned) steps: cross dilation, noise, skin colour, per-sample in a batch."""
from __future__ import annotations

import cv2
import numpy as np
import torch

from server.pipeline.acgpn.model import skin_colour
from server.pipeline.acgpn.morphology import dilate_cross
from server.pipeline.acgpn.noise import parity_noise, request_noise


def test_dilation_matches_opencv_ellipse_kernel_per_sample():
    rng = np.random.default_rng(1)
    masks = (rng.random((3, 1, 40, 30)) < 0.02).astype(np.float32)
    masks[1, 0, 0, :] = 1  # touches the border
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
    for n in (1, 10):
        got = dilate_cross(torch.from_numpy(masks), n).numpy()
        for b in range(3):
            want = cv2.dilate((masks[b, 0] * 255).astype(np.uint8), kernel, iterations=n) / 255.0
            np.testing.assert_array_equal(got[b, 0], want)


def test_parity_noise_follows_the_kit_recipe(acgpn_kit):
    ours = parity_noise("s", "a.jpg", "b.jpg")
    theirs = acgpn_kit.seeded_noise("s", "a.jpg", "b.jpg")
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a.numpy(), b)


def test_request_noise_is_repeatable_per_seed_and_binary_with_the_official_density():
    a, b, c = request_noise(7, 2), request_noise(7, 2), request_noise(8, 2)
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not torch.equal(a[0], c[0])
    z = torch.cat(a)
    assert set(z.unique().tolist()) == {0.0, 1.0}
    assert abs(z.mean().item() - 0.159) < 0.005


def test_skin_colour_is_the_mean_arm_colour_per_sample_and_zero_below_ten_pixels():
    image = torch.zeros(2, 3, 8, 8)
    image[0, :, :2, :] = torch.tensor([0.5, -0.5, 0.25])[:, None, None]
    arms = torch.zeros(2, 1, 8, 8)
    arms[0, :, :2, :] = 1  # 16 pixels
    arms[1, :, 0, :3] = 1  # 3 pixels: too few
    skin = skin_colour(arms, image)
    assert torch.allclose(skin[0, :, 5, 5], torch.tensor([0.5, -0.5, 0.25]))
    assert torch.equal(skin[1], torch.zeros(3, 8, 8))
