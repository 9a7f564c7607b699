"""Which try-on backend serves, and why (the reason is shown by /readyz and logged)."""
from __future__ import annotations

import logging

from common.config import ServerConfig
from server.pipeline.backends.base import TryOnBackend
from server.pipeline.errors import BackendUnavailable

log = logging.getLogger(__name__)


def choose_backend(config: ServerConfig) -> tuple[TryOnBackend, str]:
    """auto: ACGPN when its checkpoints are configured and load, else the learned backend when its weights load,
    else the classical (embedded) one. A named backend that cannot load falls back the same way unless
    `fallback_to_embedded` is off, when the error stops the server."""
    from server.pipeline.backends.embedded import EmbeddedBackend

    if config.backend == "embedded":
        return EmbeddedBackend(), "embedded (classical) backend selected in config"
    failed = []
    if config.backend == "acgpn" or (config.backend == "auto" and config.acgpn.checkpoints_dir is not None):
        from server.pipeline.backends.acgpn import AcgpnBackend

        try:
            return AcgpnBackend(config.acgpn), f"ACGPN checkpoints loaded from {config.acgpn.checkpoints_dir}"
        except BackendUnavailable as exc:
            if config.backend == "acgpn" and not config.fallback_to_embedded:
                raise
            log.error("ACGPN unavailable: %s", exc.message)
            failed.append(f"ACGPN unavailable ({exc.message})")
    if config.backend in ("auto", "learned"):
        from server.pipeline.backends.learned import LearnedBackend

        try:
            backend = LearnedBackend(config.learned_weights)
            return backend, "; ".join([*failed, "learned try-on weights loaded"])
        except BackendUnavailable as exc:
            if config.backend == "learned" and not config.fallback_to_embedded:
                raise
            log.error("learned try-on unavailable: %s", exc.message)
            failed.append(f"learned try-on unavailable ({exc.message})")
    return EmbeddedBackend(), "; ".join([*failed, "embedded (classical) backend serves"])
