"""Target labels sit on the pixels of the picture they describe: resizing must not move them.

(OpenCV's INTER_NEAREST moves labels half an output pixel down and right; a parser trained on such targets
learned to put its labels about a pixel low.)"""
from __future__ import annotations

import numpy as np

from server.pipeline.preprocess.parsing.learned import NET_SIZE, crop_labels
from server.pipeline.vocabulary import Lip
from server.train.composite import CANVAS, compose


def _centre(mask: np.ndarray) -> np.ndarray:
    """(x, y) centroid of a boolean mask, pixel centres at integer coordinates."""
    ys, xs = np.nonzero(mask)
    return np.array([xs.mean(), ys.mean()])


def test_cropped_labels_are_centred_where_the_crop_puts_the_image():
    """One block's centroid moves by up to half a pixel as its edges round; the mean over boxes must not."""
    rng = np.random.default_rng(0)
    labels = np.zeros((300, 220), np.uint8)
    labels[61:140, 45:112] = Lip.UPPER_CLOTHES
    errors = []
    for _ in range(40):
        x0, y0 = rng.integers(-40, 40, size=2)
        width = int(rng.integers(160, 300))  # the block stays inside the box
        x1, y1 = x0 + width, y0 + round(width * 4 / 3)
        scale = np.array([NET_SIZE[0] / (x1 - x0), NET_SIZE[1] / (y1 - y0)])
        expected = (_centre(labels > 0) - [x0, y0] + 0.5) * scale - 0.5
        errors.append(_centre(crop_labels(labels, (x0, y0, x1, y1)) == Lip.UPPER_CLOTHES) - expected)
    assert np.abs(np.mean(errors, axis=0)).max() < 0.1


def test_composite_labels_cover_the_pixels_they_name():
    rgb = np.full((256, 192, 3), 235, np.uint8)
    lip = np.zeros((256, 192), np.uint8)
    rgb[60:200, 50:141] = (200, 30, 30)
    lip[60:200, 50:141] = Lip.UPPER_CLOTHES
    background = np.zeros((CANVAS[1], CANVAS[0], 3), np.uint8)
    errors = []
    for seed in range(20):
        scene = compose(rgb, lip, background, np.random.default_rng(seed))
        red = scene.image[..., 0].astype(int) - scene.image[..., 1].astype(int) > 60
        labelled = scene.lip == Lip.UPPER_CLOTHES
        assert abs(int(red.sum()) - int(labelled.sum())) < 0.05 * labelled.sum()
        errors.append(_centre(labelled) - _centre(red))
    assert np.abs(np.mean(errors, axis=0)).max() < 0.1
