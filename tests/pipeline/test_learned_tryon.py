"""The learned try-on backend with the shipped weights: what `auto` serves, its fallbacks, and what it may change
in a photo."""
from __future__ import annotations

import hashlib
import logging

import numpy as np
import pytest
import torch
from skimage.color import rgb2lab

from server.backend_choice import choose_backend
from server.pipeline.backends.embedded import EmbeddedBackend
from server.pipeline.backends.learned import LearnedBackend
from server.pipeline.backends.learned import backend as backend_module
from server.pipeline.backends.learned.backend import WEIGHTS
from server.pipeline.backends.learned.inputs import compose
from server.pipeline.backends.learned.network import OUT_CHANNELS
from server.pipeline.backends.learned.warp import GRID
from server.pipeline.errors import BackendUnavailable
from server.pipeline.vocabulary import LIP_CLOTHES, Lip

RED = (200, 30, 40)


@pytest.fixture(scope="module")
def backend() -> LearnedBackend:
    return LearnedBackend()


def test_shipped_weights_match_their_model_card():
    card = (WEIGHTS.parent / "tryon.md").read_text()
    assert hashlib.sha256(WEIGHTS.read_bytes()).hexdigest() in card


def test_auto_serves_the_learned_backend(server_config):
    backend, reason = choose_backend(server_config.server.model_copy(update={"backend": "auto"}))
    assert backend.name == "learned" and "learned try-on weights loaded" in reason


def test_missing_weights_fall_back_to_the_classical_backend_and_say_why(server_config, tmp_path, caplog):
    config = server_config.server.model_copy(update={"backend": "auto", "learned_weights": tmp_path / "mine.pt"})
    with caplog.at_level(logging.ERROR):
        backend, reason = choose_backend(config)
    assert backend.name == "embedded"
    assert "learned try-on unavailable" in reason and "mine.pt" in reason, reason
    assert "mine.pt" in caplog.text
    strict = config.model_copy(update={"backend": "learned", "fallback_to_embedded": False})
    with pytest.raises(BackendUnavailable, match="mine.pt"):
        choose_backend(strict)


def test_only_the_try_on_region_changes_and_it_takes_the_garment_colour(backend, astronaut_person, garment):
    person = astronaut_person
    result = backend.try_on(person, garment("tshirt", RED)).image
    assert result.shape == person.image.shape and result.dtype == np.uint8
    changed = (result != person.image).any(-1)
    face = person.lip == Lip.FACE
    assert not changed[face | np.isin(person.lip, (Lip.HAT, Lip.HAIR))].any(), "face and hair are never touched"
    height, width = changed.shape
    assert not changed[:height // 2, 3 * width // 4:].any(), "the background beside the head (the shuttle) stays"
    # Where the shopper's top was, the result is now nearer the garment's colour than the old top's.
    top = np.isin(person.lip, LIP_CLOTHES)
    old, new = rgb2lab(person.image[top][None] / 255)[0], rgb2lab(result[top][None] / 255)[0]
    red = rgb2lab(np.array([[RED]], np.float64) / 255)[0, 0]
    assert np.mean(np.linalg.norm(new - red, axis=1) < np.linalg.norm(new - old.mean(0), axis=1)) > 0.6


def test_the_renderer_paints_only_what_it_could_not_see():
    """Inside the try-on region, beneath the garment the network keeps: its painting where the photo was hidden
    from it (old clothes), the photo itself where it was not (its copy of a visible pixel is a blurred one)."""
    rng = np.random.default_rng(0)
    photo, warped, render = (rng.uniform(0, 255, (6, 8, 3)) for _ in range(3))
    alpha, keep = np.ones((6, 8, 1)), np.zeros((6, 8, 1))
    keep[:, 6:] = 1  # the garment kept in the last two columns
    region, blank = np.zeros((6, 8, 1)), np.zeros((6, 8, 1))
    region[:, 2:] = 1
    blank[:, 4:] = 1  # old clothes from column 4 on
    result = compose(photo, warped, alpha, render, keep, region, blank)
    assert np.array_equal(result[:, :4], photo[:, :4])  # outside the region, and visible inside it
    assert np.array_equal(result[:, 4:6], render[:, 4:6])  # hidden and not covered: painted
    assert np.array_equal(result[:, 6:], warped[:, 6:])


@pytest.mark.parametrize("network, shape", [("render", (1, OUT_CHANNELS, 256, 192)),  # the U-Net's raw outputs
                                            ("warp", (1, GRID[0] * GRID[1], 2))])  # control-point offsets
def test_non_finite_network_output_is_answered_by_the_classical_backend(backend, astronaut_person, garment,
                                                                      monkeypatch, caplog, network, shape):
    g = garment("tshirt", RED)
    nan = torch.full(shape, float("nan"))
    monkeypatch.setattr(getattr(backend.net, network), "forward", lambda x: nan)
    with caplog.at_level(logging.WARNING):
        result = backend.try_on(astronaut_person, g, seed=3).image
    assert "non-finite" in caplog.text
    assert np.array_equal(result, EmbeddedBackend().try_on(astronaut_person, g, seed=3).image)


def test_a_tank_top_bares_skin_of_the_shoppers_colour_not_the_renderers(backend, astronaut_person, garment,
                                                                       monkeypatch):
    person = astronaut_person
    tank_top = garment("tank_top", (90, 110, 60))
    with_skin = backend.try_on(person, tank_top).image
    monkeypatch.setattr(backend_module, "paint_bare_skin", lambda render, *args, **kwargs: render)
    rendered = backend.try_on(person, tank_top).image
    painted = (with_skin != rendered).any(-1)
    assert painted.sum() > 2000, "the shoulders and neck round the tank top are painted"
    skin = rgb2lab(np.median(person.image[person.lip == Lip.FACE], axis=0)[None, None] / 255)[0, 0]
    distance = [np.linalg.norm(rgb2lab(image[painted][None] / 255)[0] - skin, axis=1).mean()
                for image in (with_skin, rendered)]
    assert distance[0] < 0.6 * distance[1], distance
