"""The parser's training command on a tiny generated cache: the loss falls, a resume continues where it
stopped, and the exported weights load in the serving parser."""
from __future__ import annotations

import json
import sys

import cv2
import numpy as np
import pytest
import torch

from server.pipeline.errors import BackendUnavailable
from server.pipeline.preprocess.parsing.learned import LearnedParser, load_parser_net
from server.pipeline.vocabulary import Lip
from server.train import parser as train_parser
from server.train.checkpoint import load_checkpoint
from server.train.parser_cache import open_cache

ROWS = 24


def _synthetic_cache(folder) -> None:
    """Generated 'people': a shirt with a face above it, on a plain background; the MediaPipe
    channels say where they are."""
    rng = np.random.default_rng(0)
    cache = open_cache(folder, ROWS, "w+")
    for row in range(ROWS):
        target = np.zeros((256, 192), np.uint8)
        cx, top = int(rng.integers(70, 122)), int(rng.integers(60, 100))
        cv2.rectangle(target, (cx - 45, top + 40), (cx + 45, 255), Lip.UPPER_CLOTHES.value, -1)
        cv2.ellipse(target, (cx, top), (22, 30), 0, 0, 360, Lip.FACE.value, -1)
        rgb = np.full((256, 192, 3), rng.integers(150, 255, 3), np.uint8)
        rgb[target == Lip.UPPER_CLOTHES] = rng.integers(0, 120, 3)
        rgb[target == Lip.FACE] = (220, 170, 140)
        cache["rgb"][row], cache["target"][row] = rgb, target
        cache["person_mask"][row] = (target > 0) * 255
        cache["face"][row] = (target == Lip.FACE) * 255
        cache["keypoints"][row, 0] = (cx / 192, top / 256, 1)
        cache["done"][row] = 1
    for array in cache.values():
        array.flush()
    ids = [f"{i:06d}" for i in range(ROWS)]
    (folder / "meta.json").write_text(json.dumps({"ids": ids, "val_ids": ids[-6:], "seed": 0}))


def _train(monkeypatch, cache, run, samples: int) -> None:
    monkeypatch.setattr(sys, "argv", [
        "parser", "--cache", str(cache), "--run", str(run), "--height", "128", "--widths", "8", "8", "8", "8", "8",
        "--batch", "6", "--samples", str(samples), "--validate-every", "36", "--lr", "0.01", "--threads", "1"])
    train_parser.main()


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    folder = tmp_path_factory.mktemp("parser-cache")
    _synthetic_cache(folder)
    return folder


def test_training_loss_falls_and_the_exported_weights_serve(monkeypatch, cache, tmp_path):
    run = tmp_path / "run"
    _train(monkeypatch, cache, run, samples=180)
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert log[-1]["loss"] < 0.7 * log[0]["loss"], [r["loss"] for r in log]
    assert log[-1]["samples"] == 180
    assert log[-1]["upper"] > 0.8 and log[-1]["face"] > 0.8, log[-1]  # held-out rows

    weights = tmp_path / "parser.pt"
    monkeypatch.setattr(sys, "argv", ["parser", "--run", str(run), "--export", str(weights)])
    train_parser.main()
    net, variant = load_parser_net(weights)
    assert variant == "photo+mediapipe"
    assert LearnedParser(weights).net.head.out_channels == 20


def test_a_resumed_run_continues_from_its_checkpoint(monkeypatch, cache, tmp_path):
    run = tmp_path / "run"
    _train(monkeypatch, cache, run, samples=72)
    first = load_checkpoint(run / "last.pt")
    assert first["samples_seen"] == 72
    _train(monkeypatch, cache, run, samples=144)  # the same command with a larger budget, as after a stop
    resumed = load_checkpoint(run / "last.pt")
    assert resumed["samples_seen"] == 144 and resumed["step"] == 24


def test_broken_weights_are_refused_naming_the_file(tmp_path):
    truncated = tmp_path / "parser.pt"
    truncated.write_bytes(b"not a torch file")
    with pytest.raises(BackendUnavailable, match="parser.pt"):
        load_parser_net(truncated)
    wrong = tmp_path / "wrong.pt"
    torch.save({"variant": "photo+mediapipe", "widths": [8, 8, 8, 8, 8], "state_dict": {"head.weight": torch.zeros(1)}},
               wrong)
    with pytest.raises(BackendUnavailable, match="wrong.pt"):
        load_parser_net(wrong)
    with pytest.raises(BackendUnavailable, match="not found"):
        load_parser_net(tmp_path / "missing.pt")
