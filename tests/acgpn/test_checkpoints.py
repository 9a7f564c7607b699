"""Strict checkpoint loading: official names and shapes, loud errors for missing or mismatched files."""
from __future__ import annotations

import shutil

import pytest
import torch

from common.config.server import AcgpnConfig
from server.pipeline.acgpn.checkpoints import (
    CHECKPOINT_FILES,
    CheckpointError,
    expected_shapes,
    load_networks,
    validate_checkpoint_dir,
)
from server.pipeline.backends.acgpn import AcgpnBackend
from server.pipeline.errors import BackendUnavailable


def test_module_trees_have_exactly_the_official_state_dict_names_and_shapes(acgpn_manifest):
    for file, name in CHECKPOINT_FILES.items():
        want = {k: tuple(s) for k, s in acgpn_manifest[file]["state_dict"]}
        assert expected_shapes(name) == want, file


def test_seeded_official_format_checkpoints_load_strictly(seeded_checkpoints, acgpn_kit):
    validate_checkpoint_dir(seeded_checkpoints)
    nets = load_networks(seeded_checkpoints)
    on_disk = torch.load(seeded_checkpoints / "latest_net_G1.pth", weights_only=True)
    assert acgpn_kit.content_digest(nets.g1.state_dict()) == acgpn_kit.content_digest(on_disk)
    assert not nets.u.training


def test_unset_or_absent_directory_is_a_clear_error(tmp_path):
    with pytest.raises(CheckpointError, match="no ACGPN checkpoint directory configured"):
        validate_checkpoint_dir(None)
    with pytest.raises(CheckpointError, match="does not exist"):
        validate_checkpoint_dir(tmp_path / "nowhere")


def test_missing_file_is_named(tmp_path):
    with pytest.raises(CheckpointError, match="latest_net_G1.pth is missing"):
        validate_checkpoint_dir(tmp_path)


def test_wrong_keys_and_shapes_are_reported_with_the_file(tmp_path):
    torch.save({"conv1.0.weight": torch.zeros(64, 3, 3, 3), "extra": torch.zeros(1)}, tmp_path / "latest_net_G1.pth")
    with pytest.raises(CheckpointError) as err:
        validate_checkpoint_dir(tmp_path)
    text = str(err.value)
    assert "latest_net_G1.pth" in text and "missing keys" in text and "unexpected keys" in text
    assert "wrong shapes" in text and "conv1.0.weight (64, 3, 3, 3) (expected (64, 37, 3, 3))" in text


def test_a_file_that_is_not_a_checkpoint_is_reported(tmp_path):
    (tmp_path / "latest_net_G1.pth").write_bytes(b"not a torch file")
    with pytest.raises(CheckpointError, match="latest_net_G1.pth cannot be read"):
        validate_checkpoint_dir(tmp_path)


def test_swapped_checkpoint_files_are_rejected(seeded_checkpoints, tmp_path):
    for file in CHECKPOINT_FILES:
        (tmp_path / file).symlink_to(seeded_checkpoints / file)
    (tmp_path / "latest_net_G2.pth").unlink()
    shutil.copy(seeded_checkpoints / "latest_net_G.pth", tmp_path / "latest_net_G2.pth")
    with pytest.raises(CheckpointError, match="latest_net_G2.pth does not match network G2"):
        load_networks(tmp_path)


def test_backend_reports_unusable_checkpoints_as_backend_unavailable(tmp_path):
    with pytest.raises(BackendUnavailable, match="checkpoint directory configured"):
        AcgpnBackend.check(AcgpnConfig())
    with pytest.raises(BackendUnavailable, match="latest_net_G1.pth is missing"):
        AcgpnBackend(AcgpnConfig(checkpoints_dir=tmp_path))
