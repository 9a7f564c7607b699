"""ACGPN test fixtures: the parity kit (research-only data found through the `shared_dir` fixture: a
seeded-weights recipe, the state_dict manifest of the official checkpoints, golden outputs of the official
code and their checker) and seeded checkpoints generated once per session."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import torch

PARITY_SEED = "acgpn-parity-v1"


@pytest.fixture(scope="session")
def acgpn_kit(shared_dir: Path):
    """The parity kit's seeded_weights module."""
    path = shared_dir / "acgpn" / "parity" / "seeded_weights.py"
    spec = importlib.util.spec_from_file_location("acgpn_seeded_weights", path)
    assert spec is not None and spec.loader is not None, path
    kit = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(kit)
    return kit


@pytest.fixture(scope="session")
def acgpn_manifest(shared_dir: Path) -> dict:
    return json.loads((shared_dir / "acgpn" / "state_dict_manifest.json").read_text())["checkpoints"]


@pytest.fixture(scope="session")
def seeded_checkpoints(tmp_path_factory, acgpn_kit, acgpn_manifest) -> Path:
    """latest_net_{G1,G2,U,G}.pth from the parity recipe (seed acgpn-parity-v1), written once, exactly as the
    kit's seeded_weights.py writes them with our numpy (its U digest differs from the README's in 26
    near-zero inverse-kernel entries, numpy 1.26 vs 2.4.6 LAPACK; the float64 tier passes either way)."""
    out = tmp_path_factory.mktemp("acgpn_ck")
    for file, entry in acgpn_manifest.items():
        torch.save(acgpn_kit.seeded_state_dict(entry["state_dict"], PARITY_SEED, file), out / file)
    return out
