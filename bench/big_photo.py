"""What one huge but legal photo costs the server: a 1 MB JPEG of 39.9 MP, inside max_pixels and max_body_mb.

    .venv/bin/python bench/big_photo.py                  # the shipped limits.max_side (1536)
    .venv/bin/python bench/big_photo.py --max-side 8192  # no cap and no reduced-size decode: the old cost

Starts `python -m server` (embedded backend) with a private catalog cache, warms it with two ordinary
try-ons, then sends the photo `--repeat` times and reports, per request, the server process's CPU seconds,
the wall time, and how far its peak resident memory (VmHWM) rose.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.reliability.servers import (
    ServerProcess,
    big_phone_jpeg,
    request_cost,
    small_person_jpeg,
    tryon_payload,
    write_config,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-side", type=int, default=None, help="server.limits.max_side (default: shipped)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    photo = big_phone_jpeg()
    limits = {"max_side": args.max_side} if args.max_side else {}
    with tempfile.TemporaryDirectory() as folder, \
            ServerProcess(write_config(Path(folder), {"limits": limits})) as server:
        server.wait_ready()
        garment_id = requests.get(server.url + "/v1/garments", timeout=10).json()["garments"][0]["id"]
        for _ in range(2):
            requests.post(server.url + "/v1/tryon", json=tryon_payload(small_person_jpeg((768, 1024)), garment_id),
                          timeout=120).raise_for_status()
        print(json.dumps({"photo_bytes": len(photo), "pixels": 7296 * 5472, "max_side": args.max_side or "shipped"}))
        for _ in range(args.repeat):
            cost = request_cost(server.pid, lambda: requests.post(
                server.url + "/v1/tryon", json=tryon_payload(photo, garment_id), timeout=600))
            cost.pop("response")
            print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in cost.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
