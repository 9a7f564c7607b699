"""The learned try-on's training command on tiny generated caches: the loss falls, the held-out figures move
the right way, a resume continues where it stopped, and the exported weights serve in LearnedBackend."""
from __future__ import annotations

import json
import sys

import cv2
import numpy as np
import pytest
import torch

from server.pipeline.backends.learned.backend import LearnedBackend, load_tryon_net
from server.pipeline.backends.learned.inputs import BAND_GROW, masks, network_input
from server.pipeline.backends.learned.network import LearnedTryOn
from server.pipeline.errors import BackendUnavailable
from server.pipeline.vocabulary import LIP_ARMS, Coco18, Lip
from server.train import tryon as train_tryon
from server.train.checkpoint import load_checkpoint
from server.train.parser_cache import open_cache as open_parser_cache
from server.train.tryon_cache import open_cache

ROWS = 24
WIDTHS = ["8", "8", "8", "8", "8"]


def _person(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A generated 'person' at 256×192: LIP-20 parse (shirt, face, arms, trousers), photo and
    keypoints as frame fractions."""
    lip = np.zeros((256, 192), np.uint8)
    cx, top = int(rng.integers(80, 112)), int(rng.integers(40, 60))
    cv2.rectangle(lip, (cx - 30, top + 100), (cx + 30, 255), Lip.PANTS.value, -1)
    cv2.rectangle(lip, (cx - 42, top + 80), (cx - 32, top + 170), Lip.RIGHT_ARM.value, -1)
    cv2.rectangle(lip, (cx + 32, top + 80), (cx + 42, top + 170), Lip.LEFT_ARM.value, -1)
    cv2.rectangle(lip, (cx - 40, top + 30), (cx + 40, top + 130), Lip.UPPER_CLOTHES.value, -1)
    cv2.ellipse(lip, (cx, top), (18, 24), 0, 0, 360, Lip.FACE.value, -1)
    photo = np.full((256, 192, 3), rng.integers(150, 255, 3), np.uint8)
    photo[lip == Lip.PANTS] = (40, 40, 60)
    photo[np.isin(lip, (Lip.FACE, *LIP_ARMS))] = (220, 170, 140)
    keypoints = np.zeros((18, 3), np.float32)
    for joint, (x, y) in {0: (cx, top), 1: (cx, top + 30), 2: (cx - 36, top + 34), 5: (cx + 36, top + 34),
                          3: (cx - 37, top + 90), 6: (cx + 37, top + 90), 8: (cx - 20, top + 130),
                          11: (cx + 20, top + 130)}.items():
        keypoints[joint] = (x / 192, y / 256, 1)
    return lip, photo, keypoints


def _synthetic_caches(parser_folder, tryon_folder) -> None:
    """Each person wears a shirt of a random colour; the 'warped garment' is that shirt, a little too big."""
    rng = np.random.default_rng(0)
    people, tryon = open_parser_cache(parser_folder, ROWS, "w+"), open_cache(tryon_folder, ROWS, "w+")
    for row in range(ROWS):
        lip, photo, keypoints = _person(rng)
        colour = rng.integers(0, 255, 3)
        photo[lip == Lip.UPPER_CLOTHES] = colour
        shirt = cv2.dilate((lip == Lip.UPPER_CLOTHES).astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
        people["rgb"][row], people["target"][row], people["keypoints"][row] = photo, lip, keypoints
        people["done"][row] = 1
        tryon["lip"][row], tryon["alpha"][row] = lip, shirt * 255
        tryon["warped"][row] = np.where(shirt[..., None], colour, 0).astype(np.uint8)
        tryon["done"][row] = 1
    for array in [*people.values(), *tryon.values()]:
        array.flush()
    ids = [f"{i:06d}" for i in range(ROWS)]
    for folder in (parser_folder, tryon_folder):
        (folder / "meta.json").write_text(json.dumps({"ids": ids, "val_ids": ids[-6:], "seed": 0}))


@pytest.fixture(scope="module")
def caches(tmp_path_factory):
    parser_folder, tryon_folder = tmp_path_factory.mktemp("parser-cache"), tmp_path_factory.mktemp("tryon-cache")
    _synthetic_caches(parser_folder, tryon_folder)
    return parser_folder, tryon_folder


def _train(monkeypatch, caches, run, samples: int, *options: str) -> None:
    monkeypatch.setattr(sys, "argv", [
        "tryon", "--parser-cache", str(caches[0]), "--cache", str(caches[1]), "--run", str(run), "--height", "128",
        "--widths", *WIDTHS, "--warp-widths", *WIDTHS, "--batch", "6", "--samples", str(samples),
        "--validate-every", "36", "--lr", "0.01", "--threads", "1", *options])
    train_tryon.main()


def test_training_loss_falls_and_the_exported_weights_serve(monkeypatch, caches, tmp_path):
    run = tmp_path / "run"
    _train(monkeypatch, caches, run, samples=216)
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    first, last = log[0], log[-1]
    assert last["samples"] == 216
    assert last["l1"] < 0.7 * first["l1"] and last["layout"] < 0.7 * first["layout"], log
    assert last["ssim_garment"] > first["ssim_garment"], log  # held-out rows
    assert last["layout_accuracy"] > max(0.7, first["layout_accuracy"] + 0.3), log
    assert (run / "sheet-0000216.png").is_file()

    weights = tmp_path / "tryon.pt"
    monkeypatch.setattr(sys, "argv", ["tryon", "--run", str(run), "--export", str(weights)])
    train_tryon.main()
    backend = LearnedBackend(weights)
    backend.warmup()  # a whole try-on on the classical backend's synthetic figure


def test_the_warp_stage_fits_the_too_big_garment_to_the_shirt_and_leaves_the_renderer(monkeypatch, caches,
                                                                                      tmp_path):
    run = tmp_path / "run"
    _train(monkeypatch, caches, run, 216, "--train", "warp")
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    first, last = log[0], log[-1]
    assert set(first) >= {"warp_l1", "warp_mask", "warp_grid"} and "layout" not in first  # its own losses only
    assert last["warp_mask"] < first["warp_mask"], log
    # Held-out rows: more of the shirt covered, little garment off it.
    assert last["warp_covers"] > max(first["warp_covers"], 0.97) and last["warp_spills"] < 0.05, log
    trained = load_checkpoint(run / "last.pt")["model"]
    torch.manual_seed(0)  # the command's seed: the renderer it built
    untouched = LearnedTryOn((8,) * 5, (8,) * 5).state_dict()
    assert all(torch.equal(trained[k], v) for k, v in untouched.items() if k.startswith("render."))


def test_the_render_stage_trains_the_renderer_and_leaves_the_warp_correction(monkeypatch, caches, tmp_path):
    run = tmp_path / "run"
    _train(monkeypatch, caches, run, 216, "--train", "render")
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    first, last = log[0], log[-1]
    assert set(first) >= {"l1", "ssim", "layout", "keep"} and "warp_l1" not in first  # its own losses only
    assert last["l1"] < first["l1"], log
    trained = load_checkpoint(run / "last.pt")["model"]
    torch.manual_seed(0)  # the command's seed: the correction it built, BatchNorm statistics included
    untouched = LearnedTryOn((8,) * 5, (8,) * 5).state_dict()
    assert all(torch.equal(trained[k], v) for k, v in untouched.items() if k.startswith("warp."))
    assert not all(torch.equal(trained[k], v) for k, v in untouched.items() if k.startswith("render."))


def test_a_resumed_run_continues_from_its_checkpoint(monkeypatch, caches, tmp_path):
    run = tmp_path / "run"
    _train(monkeypatch, caches, run, samples=72)
    assert load_checkpoint(run / "last.pt")["samples_seen"] == 72
    _train(monkeypatch, caches, run, samples=144)  # the same command with a larger budget, as after a stop
    resumed = load_checkpoint(run / "last.pt")
    assert resumed["samples_seen"] == 144 and resumed["step"] == 24


def test_broken_weights_are_refused_naming_the_file(tmp_path):
    truncated = tmp_path / "tryon.pt"
    truncated.write_bytes(b"not a torch file")
    with pytest.raises(BackendUnavailable, match="tryon.pt"):
        load_tryon_net(truncated)
    wrong = tmp_path / "wrong.pt"
    torch.save({"widths": [8, 8, 8, 8, 8], "state_dict": {"head.weight": torch.zeros(1)}}, wrong)
    with pytest.raises(BackendUnavailable, match="wrong.pt"):
        load_tryon_net(wrong)
    with pytest.raises(BackendUnavailable, match="not found"):
        LearnedBackend(tmp_path / "missing.pt")


def test_a_hidden_band_covers_the_skin_and_background_around_the_old_clothes_never_the_face():
    lip, _, _ = _person(np.random.default_rng(0))
    lip_t = torch.from_numpy(lip)[None]
    alpha = torch.from_numpy((lip == Lip.UPPER_CLOTHES).astype(np.uint8) * 255)[None, None]
    blank, region, nothing = masks(lip_t, alpha)
    assert not nothing.any()
    band_blank, band_region, beyond = masks(lip_t, alpha, hide_band=torch.tensor([BAND_GROW]))
    added = (band_blank - blank)[0, 0] > 0
    assert torch.equal(added, beyond[0, 0] > 0)
    assert added.sum() > 0.05 * (lip == Lip.UPPER_CLOTHES).sum()  # neck, shoulders, background beside the shirt
    assert not added[lip == Lip.FACE].any() and not added[np.isin(lip, LIP_ARMS)].any()
    assert torch.equal(band_region >= band_blank, torch.ones_like(band_region, dtype=torch.bool))  # painted
    assert torch.equal(masks(lip_t, alpha, hide_band=torch.tensor([0.0]))[0], blank)
    wider = masks(lip_t, alpha, hide_band=torch.tensor([2 * BAND_GROW]))[2]
    assert wider.sum() > beyond.sum() and torch.equal(wider >= beyond, torch.ones_like(wider, dtype=torch.bool))


def test_what_is_hidden_beyond_the_old_clothes_is_hidden_from_the_parse_channels_too():
    """Over old clothes every kept-part channel is 0 at serving time; a hidden band must look the same, or the
    network reads from the background channel what lies under it."""
    lip, photo_rgb, keypoints = _person(np.random.default_rng(0))
    lip_t = torch.from_numpy(lip)[None]
    alpha = torch.from_numpy((lip == Lip.UPPER_CLOTHES).astype(np.uint8) * 255)[None, None]
    photo = torch.from_numpy(photo_rgb).permute(2, 0, 1)[None]
    skin = torch.tensor([[200, 160, 140]], dtype=torch.uint8)
    kp = torch.from_numpy(keypoints)[None]
    plain = network_input(photo, lip_t, kp, photo, alpha, skin)[0]
    banded = network_input(photo, lip_t, kp, photo, alpha, skin, hide_band=torch.tensor([BAND_GROW]))[0]
    beyond = masks(lip_t, alpha, hide_band=torch.tensor([BAND_GROW]))[2][0, 0] > 0
    kept = slice(5 + len(Coco18), 5 + len(Coco18) + 4)  # face and hair, arms, lower body, background
    assert plain[0, kept][:, beyond].sum() > 0  # the band is mostly background and neck
    assert banded[0, kept][:, beyond].sum() == 0
    assert torch.equal(banded[0, kept][:, ~beyond], plain[0, kept][:, ~beyond])
