"""The shared thin-plate spline: exact interpolation, affine reproduction, sampling grids, ACGPN tables."""
from __future__ import annotations

import importlib.util

import cv2
import numpy as np
import pytest

from server.pipeline.tps import fit_tps, tps_coordinate_repr, tps_inverse_kernel

RNG = np.random.default_rng(0)
LATTICE = np.array([-0.9, -0.45, 0.0, 0.45, 0.9])
ACGPN_CTRL = np.array([(x, y) for y in LATTICE for x in LATTICE])


def test_identical_point_sets_give_the_identity_map():
    pts = RNG.uniform(0, 500, (12, 2))
    tps = fit_tps(pts, pts)
    probe = RNG.uniform(-100, 600, (200, 2))
    np.testing.assert_allclose(tps.transform(probe), probe, atol=1e-8)


def test_spline_passes_exactly_through_the_control_points():
    dst = RNG.uniform(0, 768, (20, 2))
    src = dst + RNG.normal(0, 15, dst.shape)
    np.testing.assert_allclose(fit_tps(src, dst).transform(dst), src, atol=1e-7)


def test_affine_correspondences_are_reproduced_everywhere():
    a = np.array([[1.1, 0.2], [-0.15, 0.9]])
    t = np.array([30.0, -12.0])
    dst = RNG.uniform(0, 1000, (15, 2))
    tps = fit_tps(dst @ a.T + t, dst)
    probe = RNG.uniform(-200, 1200, (500, 2))
    np.testing.assert_allclose(tps.transform(probe), probe @ a.T + t, atol=1e-6)


def test_regularization_pulls_the_map_towards_affine():
    dst = RNG.uniform(0, 400, (16, 2))
    src = dst + RNG.normal(0, 20, dst.shape)
    exact_residual = np.abs(fit_tps(src, dst).transform(dst) - src).max()
    smooth_residual = np.abs(fit_tps(src, dst, regularization=10.0).transform(dst) - src).max()
    assert exact_residual < 1e-6 < smooth_residual


def test_grid_is_a_remap_map_from_output_to_source_pixels():
    # Output pixel (x, y) samples source pixel (x + 5, y - 3): a pure shift.
    dst = np.array([[0, 0], [100, 0], [0, 80], [100, 80], [50, 40]], float)
    tps = fit_tps(dst + [5, -3], dst)
    g = tps.grid(80, 100)
    assert g.shape == (80, 100, 2) and g.dtype == np.float32
    np.testing.assert_allclose(g[10, 20], [25, 7], atol=1e-4)
    src = RNG.integers(0, 255, (80, 100), dtype=np.uint8)
    out = cv2.remap(src, g[..., 0], g[..., 1], cv2.INTER_NEAREST)
    np.testing.assert_array_equal(out[10:70, 0:90], src[7:67, 5:95])


def test_default_coarse_grid_matches_exact_evaluation_within_a_tenth_of_a_pixel():
    # A garment-scale warp: 6x8 lattice, 10% stretch, 8 px jitter, on a 1024x768 photo.
    dst = np.stack(np.meshgrid(np.linspace(100, 668, 6), np.linspace(100, 924, 8)), -1).reshape(-1, 2)
    tps = fit_tps(dst * [1.1, 0.95] + RNG.normal(0, 8, dst.shape), dst)
    exact = tps.grid(1024, 768, step=1)
    default = tps.grid(1024, 768)
    assert np.abs(exact - default).max() < 0.1


def test_bad_point_sets_are_refused_with_a_clear_error():
    with pytest.raises(ValueError, match="at least 3"):
        fit_tps(np.zeros((2, 2)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="as many"):
        fit_tps(np.zeros((4, 2)), np.zeros((5, 2)))


def test_acgpn_inverse_kernel_inverts_the_system_matrix():
    inv = tps_inverse_kernel(ACGPN_CTRL)
    assert inv.shape == (28, 28)
    # Applying the kernel to control-point targets reproduces them at the control pixels' positions.
    coef = inv @ np.vstack([ACGPN_CTRL, np.zeros((3, 2))])
    repr_ = tps_coordinate_repr(ACGPN_CTRL, 256, 192)
    assert repr_.shape == (256 * 192, 28)
    grid = (repr_ @ coef).reshape(256, 192, 2)
    xs = np.linspace(-1, 1, 192)
    ys = np.linspace(-1, 1, 256)
    np.testing.assert_allclose(grid[..., 0], np.broadcast_to(xs, (256, 192)), atol=1e-9)
    np.testing.assert_allclose(grid[..., 1], np.broadcast_to(ys[:, None], (256, 192)), atol=1e-9)


def test_acgpn_tables_match_the_parity_kit_constants(shared_dir):
    path = shared_dir / "acgpn" / "parity" / "seeded_weights.py"
    spec = importlib.util.spec_from_file_location("acgpn_seeded_weights", path)
    kit = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(kit)
    ref = kit.tps_buffers()
    np.testing.assert_array_equal(tps_inverse_kernel(kit.control_points()).astype(np.float32),
                                  ref["stn.tps.inverse_kernel"])
    np.testing.assert_array_equal(tps_coordinate_repr(kit.control_points(), 256, 192).astype(np.float32),
                                  ref["stn.tps.target_coordinate_repr"])
