"""The learned warp correction's spline: an untrained correction is the classical warp exactly, the spline means
the same at the network's size and at full resolution, and its grid constraint tells smooth from crumpled."""
from __future__ import annotations

import numpy as np
import torch

from server.pipeline.backends.learned.inputs import WARP_IN_CHANNELS
from server.pipeline.backends.learned.warp import (
    GRID,
    WarpNet,
    control_points,
    displacement,
    remap_full,
    resample,
    second_differences,
)


def _layer(height: int, width: int) -> np.ndarray:
    """A garment-like layer: a bright rectangle with a stripe, (H, W, 3) float32."""
    layer = np.zeros((height, width, 3), np.float32)
    layer[height // 4:3 * height // 4, width // 4:3 * width // 4] = (200, 40, 30)
    layer[height // 2 - 2:height // 2 + 2, width // 4:3 * width // 4] = 255
    return layer


def test_an_untrained_correction_leaves_the_classical_warp_exactly_as_it_is():
    with torch.no_grad():
        offsets = WarpNet().eval()(torch.randn(2, WARP_IN_CHANNELS, 256, 192))
    assert offsets.shape == (2, GRID[0] * GRID[1], 2) and torch.equal(offsets, torch.zeros_like(offsets))
    field = displacement(offsets[:1], 256, 192)
    layer = _layer(256, 192)
    assert np.allclose(resample(torch.from_numpy(layer).permute(2, 0, 1)[None], field)[0].permute(1, 2, 0), layer,
                       atol=0.05)  # of 255: float rounding of the sampling coordinates
    full = _layer(1024, 768)
    assert np.allclose(remap_full(field, full)[0], full, atol=0.05)


def test_the_spline_passes_through_its_control_points_and_moves_full_resolution_alike():
    rng = np.random.default_rng(0)
    offsets = torch.from_numpy(rng.normal(0, 0.03, (1, GRID[0] * GRID[1], 2)).astype(np.float32))
    field = displacement(offsets, 29, 26)  # 8 × 6 control points fall on pixels: every 28 / 7 rows, 25 / 5 columns
    rows, cols = np.linspace(0, 28, GRID[0]).round().astype(int), np.linspace(0, 25, GRID[1]).round().astype(int)
    at_points = field[0][rows[:, None], cols[None, :]].reshape(-1, 2)
    assert np.allclose(at_points, offsets[0], atol=1e-4)
    assert control_points().shape == (GRID[0] * GRID[1], 2)

    # A shift of 0.1 (in [-1, 1] units) everywhere: output pixel p takes the layer at p + 0.05 · (W − 1), at the
    # network's size and at full resolution alike.
    shift = torch.zeros(1, GRID[0] * GRID[1], 2)
    shift[..., 0] = 0.1
    field = displacement(shift, 256, 192)
    small, full = _layer(256, 192), _layer(1024, 768)
    moved_small = resample(torch.from_numpy(small).permute(2, 0, 1)[None], field)[0].permute(1, 2, 0).numpy()
    moved_full = remap_full(field, full)[0]
    for layer, moved in ((small, moved_small), (full, moved_full)):
        columns = np.flatnonzero(layer[layer.shape[0] // 3, :, 0] > 100)
        moved_columns = np.flatnonzero(moved[layer.shape[0] // 3, :, 0] > 100)
        expected = 0.05 * (layer.shape[1] - 1)
        assert abs((columns.mean() - moved_columns.mean()) - expected) < 1.0


def test_the_grid_constraint_is_zero_for_affine_corrections_and_large_for_crumpled_ones():
    points = torch.from_numpy(control_points().astype(np.float32))
    affine = (points @ torch.tensor([[0.05, 0.02], [-0.03, 0.04]]) + 0.01)[None]
    assert float(second_differences(affine)) < 1e-10
    crumpled = torch.zeros_like(affine)
    crumpled[0, ::2, 0] = 0.05
    assert float(second_differences(crumpled)) > 1e-3
