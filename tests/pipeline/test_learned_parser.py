"""The learned parser as the server runs it: the shipped weights, strict loading, and the fallbacks."""
from __future__ import annotations

import hashlib
import logging
import re

import numpy as np
import pytest
import torch

from common.config.server import PreprocessConfig
from server.app import create_app
from server.pipeline.errors import BackendUnavailable
from server.pipeline.preprocess import Preprocessor
from server.pipeline.preprocess.parsing.learned import WEIGHTS, LearnedParser, drop_stray_parts
from server.pipeline.vocabulary import Acgpn, Lip


def test_shipped_weights_match_their_model_card():
    card = WEIGHTS.with_suffix(".md").read_text()
    assert hashlib.sha256(WEIGHTS.read_bytes()).hexdigest() in card
    assert WEIGHTS.stat().st_size <= 10 * 2**20
    assert re.search(r"non-commercial", card, re.IGNORECASE)


def test_the_learned_parser_is_the_default():
    preprocessor = Preprocessor()
    try:
        assert preprocessor.parser_name == "learned"
    finally:
        preprocessor.close()


def test_missing_weights_are_named_in_the_error(tmp_path):
    with pytest.raises(BackendUnavailable, match="my-parser.pt"):
        Preprocessor(PreprocessConfig(parser_weights=tmp_path / "my-parser.pt"))


def test_server_falls_back_to_the_heuristic_parser_and_says_why(server_config, tmp_path):
    config = server_config.model_copy(update={"server": server_config.server.model_copy(update={
        "preprocess": PreprocessConfig(parser_weights=tmp_path / "store-parser.pt")})})
    app = create_app(config, load="sync")
    try:
        body = app.test_client().get("/readyz").get_json()
        assert body["ready"] is True
        assert "store-parser.pt" in body["reason"] and "heuristic parser serve" in body["reason"]
        assert str(tmp_path) not in body["reason"]  # the reason, not the server's file paths
    finally:
        app.extensions["tryon"].close()


def test_non_finite_network_output_is_answered_by_the_heuristic_parse(astronaut, monkeypatch, caplog):
    preprocessor = Preprocessor()
    try:
        parser = preprocessor._parser
        assert isinstance(parser, LearnedParser)
        monkeypatch.setattr(parser.net, "forward", lambda x: torch.full((1, len(Lip), *x.shape[-2:]), float("nan")))
        with caplog.at_level(logging.WARNING):
            analysis = preprocessor.analyze_person(astronaut)
        assert "non-finite" in caplog.text
        suit = analysis.labels == Acgpn.UPPER_CLOTHES  # from the heuristic parser
        assert suit.sum() > 0.1 * analysis.labels.size
    finally:
        preprocessor.close()


def _person_with_arm(arm_colour: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """A parse with a face, a shirt, an arm of `arm_colour`, a speck of 'hair' on the shirt; and its photo."""
    labels = np.zeros((120, 90), np.uint8)
    labels[10:40, 30:60] = Lip.FACE
    labels[45:120, 20:70] = Lip.UPPER_CLOTHES
    labels[50:110, 70:80] = Lip.LEFT_ARM
    labels[0:12, 30:60] = Lip.HAIR
    labels[80:84, 40:44] = Lip.HAIR  # a speck of hair on the shirt
    rgb = np.zeros((120, 90, 3), np.uint8)
    rgb[labels == Lip.FACE] = (205, 160, 140)
    rgb[labels == Lip.UPPER_CLOTHES] = (40, 60, 120)
    rgb[labels == Lip.LEFT_ARM] = arm_colour
    return labels, rgb


def test_a_speck_of_hair_on_a_shirt_becomes_shirt():
    labels, rgb = _person_with_arm((200, 158, 138))
    cleaned = drop_stray_parts(labels, rgb)
    assert (cleaned[80:84, 40:44] == Lip.UPPER_CLOTHES).all()
    assert (cleaned[0:12, 30:60] == Lip.HAIR).all()


def test_an_arm_the_colour_of_the_face_is_kept():
    labels, rgb = _person_with_arm((200, 158, 138))
    assert (drop_stray_parts(labels, rgb)[50:110, 70:80] == Lip.LEFT_ARM).all()


def test_an_arm_that_is_not_skin_coloured_becomes_what_is_around_it():
    labels, rgb = _person_with_arm((235, 100, 40))  # the orange of the astronaut's suit
    cleaned = drop_stray_parts(labels, rgb)
    assert set(np.unique(cleaned[50:110, 70:80])) == {0, 5}  # the shirt beside it, the background beyond
    assert (cleaned[50:110, 70] == Lip.UPPER_CLOTHES).all()


def test_hair_away_from_the_head_becomes_what_is_around_it():
    labels, rgb = _person_with_arm((200, 158, 138))
    labels[60:100, 45:60] = Lip.HAIR  # a large 'hair' patch on the shirt, far below the face
    cleaned = drop_stray_parts(labels, rgb)
    assert (cleaned[60:100, 45:60] == Lip.UPPER_CLOTHES).all()
    assert (cleaned[0:12, 30:60] == Lip.HAIR).all()  # the hair on the head stays


def test_trousers_without_visible_hips_are_the_jacket_on_a_chest_high_photo():
    labels, rgb = _person_with_arm((200, 158, 138))
    labels[100:120, 30:60] = Lip.PANTS  # "trousers" at the bottom edge of the photo
    assert (drop_stray_parts(labels, rgb, hips_visible=False)[100:120, 30:60] == Lip.UPPER_CLOTHES).all()
    assert (drop_stray_parts(labels, rgb, hips_visible=True)[100:120, 30:60] == Lip.PANTS).all()
