"""Development and demo server: `python -m server --host HOST --port PORT [--config FILE]`.

Production runs gunicorn with server/gunicorn.conf.py (see docs/deployment.md).
"""
from __future__ import annotations

import argparse
import sys

from werkzeug.serving import make_server

from common.config import ConfigError, load_config
from server.app import create_app
from server.logs import configure_logging


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server", description=__doc__.splitlines()[0])
    parser.add_argument("--config",
                        help="config file (default: $TRYON_CONFIG, /etc/fitting-booth/config.yaml, ./config.yaml)")
    parser.add_argument("--host", help="address to listen on (default: server.host)")
    parser.add_argument("--port", type=int, help="port (default: server.port)")
    parser.add_argument("--backend", choices=["auto", "acgpn", "learned", "embedded"], help="override server.backend")
    args = parser.parse_args(argv)

    given = (("host", args.host), ("port", args.port), ("backend", args.backend))
    overrides = {"server": {k: v for k, v in given if v}}
    try:
        config = load_config(args.config, overrides)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    configure_logging(config.server.log_level)
    if config.server.backend == "acgpn" and not config.server.fallback_to_embedded:
        # No fallback allowed: broken checkpoints stop the start here (cheap file checks, no weights loaded)
        # instead of a server that listens but never becomes ready.
        from server.pipeline.backends.acgpn import AcgpnBackend
        from server.pipeline.errors import BackendUnavailable

        try:
            AcgpnBackend.check(config.server.acgpn)
        except BackendUnavailable as exc:
            print(f"cannot start: backend 'acgpn' with fallback_to_embedded: false, and {exc.message}",
                  file=sys.stderr)
            return 2
    if config.server.backend == "learned" and not config.server.fallback_to_embedded:
        from server.pipeline.backends.learned.backend import WEIGHTS, load_tryon_net
        from server.pipeline.errors import BackendUnavailable

        try:
            load_tryon_net(config.server.learned_weights or WEIGHTS)
        except BackendUnavailable as exc:
            print(f"cannot start: backend 'learned' with fallback_to_embedded: false, and {exc.message}",
                  file=sys.stderr)
            return 2
    app = create_app(config, load="background")
    server = make_server(config.server.host, config.server.port, app, threaded=True)
    print(f"fitting-booth server on http://{config.server.host}:{server.server_port}/ (Ctrl-C stops)", file=sys.stderr,
          flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        app.extensions["tryon"].close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
