"""Which try-on backend serves, and why (the reason is shown by /readyz and logged)."""
from __future__ import annotations

import logging

from common.config import ServerConfig
from server.pipeline.backends.base import TryOnBackend
from server.pipeline.errors import BackendUnavailable

log = logging.getLogger(__name__)


def choose_backend(config: ServerConfig) -> tuple[TryOnBackend, str]:
    from server.pipeline.backends.embedded import EmbeddedBackend

    if config.backend == "embedded":
        return EmbeddedBackend(), "embedded default selected in config"
    if config.backend == "auto" and config.acgpn.checkpoints_dir is None:
        return EmbeddedBackend(), "no ACGPN checkpoints configured (server.acgpn.checkpoints_dir); embedded default"
    from server.pipeline.backends.acgpn import AcgpnBackend

    try:
        return AcgpnBackend(config.acgpn), f"ACGPN checkpoints loaded from {config.acgpn.checkpoints_dir}"
    except BackendUnavailable as exc:
        if config.backend == "acgpn" and not config.fallback_to_embedded:
            raise
        log.error("ACGPN unavailable, serving the embedded default: %s", exc.message)
        return EmbeddedBackend(), f"ACGPN unavailable ({exc.message}); embedded default serves"
