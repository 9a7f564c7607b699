"""The pluggable path for the official SCHP-LIP parser, which a user supplies: no package ships it.

SCHP: Li et al., "Self-Correction for Human Parsing", IEEE TPAMI 2020, github.com/GoGoDuck912/
Self-Correction-Human-Parsing; its README publishes the LIP checkpoint exp-schp-201908261155-lip.pth
(473×473 input, 20 LIP classes), the parser the community ACGPN pipelines use before mapping LIP-20 to
ACGPN-14 (`vocabulary.LIP_TO_ACGPN`; docs/acgpn.md, "Labels").

The network itself (SCHP's ResNet-101 + edge/fusion heads) is not implemented yet. `load_schp` checks the
configured checkpoint and says exactly what is missing, so a configuration error surfaces at start-up rather
than on the first shopper. When the network lands, it returns a `HumanParser` here.
"""
from __future__ import annotations

from pathlib import Path

from server.pipeline.errors import BackendUnavailable
from server.pipeline.preprocess.parsing.base import HumanParser


def load_schp(checkpoint: Path | None) -> HumanParser:
    if checkpoint is None:
        raise BackendUnavailable(
            "server.preprocess.parser is 'schp' but server.preprocess.schp_checkpoint is not set: point it at "
            "the SCHP LIP checkpoint exp-schp-201908261155-lip.pth, or use parser: heuristic"
        )
    path = Path(checkpoint).expanduser()
    if not path.is_file():
        raise BackendUnavailable(
            f"SCHP checkpoint not found: {path}. Copy exp-schp-201908261155-lip.pth there, or use parser: heuristic"
        )
    raise BackendUnavailable(
        f"SCHP checkpoint found at {path}, but this build does not include the SCHP network yet; "
        "use parser: heuristic"
    )
