"""Parity with the official code on the visible golden pairs (the parity kit's golden outputs, made by the
official ACGPN_inference code, and its checker; research-only data found through the `shared_dir` fixture).

Runs the CLI exactly as the kit's README does (seeded weights, seeded noise, --raw --dump, float64 and
float32) and judges the dumps with the kit's own checker rules.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from server.pipeline.acgpn.__main__ import main


@pytest.fixture(scope="module")
def checker(shared_dir):
    spec = importlib.util.spec_from_file_location("acgpn_check_parity",
                                                  shared_dir / "acgpn" / "parity" / "check_parity.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def parity_runs(shared_dir, seeded_checkpoints, tmp_path_factory) -> dict[str, Path]:
    kit = shared_dir / "acgpn"
    runs = {}
    for tier, flags in (("float64", ["--float64"]), ("float32", [])):
        out = tmp_path_factory.mktemp(f"parity_{tier}")
        rc = main(["--checkpoints", str(seeded_checkpoints), "--dataroot", str(kit / "samples" / "viton"),
                   "--pairs", str(kit / "parity" / "golden" / "pairs.txt"), "--noise-seed", "acgpn-parity-v1",
                   "--raw", "--dump", "--out", str(out), *flags])
        assert rc == 0
        runs[tier] = out
    return runs


def _judge(checker, shared_dir, got: Path, tier: str, rules: dict) -> bool:
    ok = True
    for gold_path in sorted((shared_dir / "acgpn" / "parity" / "golden").glob("*.npz")):
        ok &= checker.check_tier(tier, rules, np.load(gold_path), str(got), gold_path.stem)
    return ok


@pytest.mark.slow
def test_float32_production_path_matches_the_official_code_through_g1(checker, shared_dir, parity_runs):
    assert _judge(checker, shared_dir, parity_runs["float32"], "float32", checker.FLOAT32_TIER)


@pytest.mark.slow
def test_float64_matches_the_official_code_on_every_key(checker, shared_dir, parity_runs):
    assert _judge(checker, shared_dir, parity_runs["float64"], "float64", checker.FLOAT64_TIER)
