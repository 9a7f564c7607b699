"""The pluggable path for the official SCHP-LIP parser (exp-schp-201908261155-lip.pth, ../shared/acgpn/SPEC.md
§4.2), which a user supplies: no package ships it.

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
