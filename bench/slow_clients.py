"""Slow clients against the production server: gunicorn (server/gunicorn.conf.py, one worker) behind nginx
(nginx/tryon-server.conf), as `setup.sh --server --install` sets it up, or gunicorn alone (`--direct`,
the install before nginx).

    .venv/bin/python bench/slow_clients.py                          # 50 slow connections held 60 s, via nginx
    .venv/bin/python bench/slow_clients.py --direct --hold 20       # the same against gunicorn alone

While the slow connections are held (half trickle their headers, half their body; any the server drops are
opened again), one kiosk sends a try-on and a GET /livez back to back. Reports how many answered and how
long they took, before and during the attack. Loopback only; it stops by itself.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.reliability.servers import (
    FRONT_TEMPLATE,
    NginxProcess,
    ServerProcess,
    SlowClients,
    small_person_jpeg,
    tryon_payload,
    write_config,
)


def kiosk_round(url: str, payload: dict, rounds: list[dict]) -> None:
    for path, call in (("/livez", lambda: requests.get(url + "/livez", timeout=5)),
                       ("/v1/tryon", lambda: requests.post(url + "/v1/tryon", json=payload, timeout=30))):
        started = time.monotonic()
        status: int | str
        try:
            status = call().status_code
        except requests.RequestException as exc:
            status = type(exc).__name__
        rounds.append({"path": path, "status": status, "s": time.monotonic() - started})


def summary(rounds: list[dict]) -> dict:
    out = {}
    for path in ("/livez", "/v1/tryon"):
        mine = [r for r in rounds if r["path"] == path]
        ok = [r["s"] for r in mine if r["status"] == 200]
        out[path] = {"sent": len(mine), "ok": len(ok), "failed": sorted({str(r["status"]) for r in mine} - {"200"}),
                     "median_ms": round(statistics.median(ok) * 1000) if ok else None,
                     "max_ms": round(max(ok) * 1000) if ok else None}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--hold", type=float, default=60.0, help="seconds the slow connections are held")
    parser.add_argument("--direct", action="store_true", help="attack gunicorn itself (no nginx in front)")
    args = parser.parse_args()
    if not args.direct and shutil.which("nginx") is None:
        sys.exit("nginx is not installed (apt install nginx)")
    with tempfile.TemporaryDirectory() as folder:
        server = ServerProcess(write_config(Path(folder), {}), gunicorn=True).start()
        nginx = None
        try:
            server.wait_ready()
            url = server.url
            if not args.direct:
                nginx = NginxProcess([f"127.0.0.1:{server.port}"], Path(folder) / "nginx", template=FRONT_TEMPLATE)
                url = nginx.start().url
            garment_id = requests.get(url + "/v1/garments", timeout=10).json()["garments"][0]["id"]
            payload = tryon_payload(small_person_jpeg(), garment_id)
            before: list[dict] = []
            for _ in range(5):
                kiosk_round(url, payload, before)
            attack = SlowClients(nginx.port if nginx else server.port, args.connections).start()
            time.sleep(1)  # the slow connections are open and have sent their first bytes
            during: list[dict] = []
            ends = time.monotonic() + args.hold
            while time.monotonic() < ends:
                kiosk_round(url, payload, during)
            attack.stop()
            print(json.dumps({"via": "gunicorn alone" if args.direct else "nginx -> gunicorn",
                              "slow_connections": args.connections, "held_s": args.hold,
                              "opened": attack.opened, "dropped_by_server": attack.dropped,
                              "before": summary(before), "during": summary(during)}, indent=1))
        finally:
            if nginx is not None:
                nginx.stop()
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
