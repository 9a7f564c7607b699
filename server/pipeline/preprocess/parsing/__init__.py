"""Human parsers: photo → LIP-20 label map. `make_parser` picks the one the config names."""
from __future__ import annotations

from common.config.server import PreprocessConfig
from server.pipeline.preprocess.parsing.base import HumanParser
from server.pipeline.preprocess.parsing.heuristic import HeuristicParser
from server.pipeline.preprocess.parsing.schp import load_schp


def make_parser(config: PreprocessConfig) -> HumanParser:
    """Raises BackendUnavailable when the configured parser's model file is missing or does not load."""
    if config.parser == "schp":
        return load_schp(config.schp_checkpoint)
    if config.parser == "learned":
        from server.pipeline.preprocess.parsing.learned import WEIGHTS, LearnedParser

        return LearnedParser(config.parser_weights.expanduser() if config.parser_weights else WEIGHTS)
    return HeuristicParser()


__all__ = ["HumanParser", "HeuristicParser", "make_parser"]
