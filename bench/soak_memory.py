"""Memory over 1000 requests: the server's RSS must stay flat (no leak per request).

    .venv/bin/python bench/soak_memory.py                  # 1000 requests, RSS sampled every 50
    .venv/bin/python bench/soak_memory.py --requests 2000 --tryon-every 5

Starts `python -m server` itself and sends a mix over real HTTP on loopback: every `--tryon-every`-th
request is a real try-on (small photo, so the run stays short), the rest are the error and read paths a
store sees (bad base64, a damaged JPEG, a too-small image, an unknown garment, a decompression-bomb header,
the garment list, a thumbnail). The server process's RSS (psutil, children included) is sampled every
`--sample-every` requests; growth is reported from the first sample after warm-up to the last.
"""
from __future__ import annotations

import argparse
import base64
import platform
import sys
import tempfile
import time
from pathlib import Path

import psutil
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.reliability.images import huge_png
from tests.reliability.servers import ServerProcess, small_person_jpeg, tryon_payload, write_config


def rss_mb(pid: int) -> float:
    process = psutil.Process(pid)
    return (process.memory_info().rss + sum(c.memory_info().rss for c in process.children(recursive=True))) / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--tryon-every", type=int, default=10, help="every Nth request is a real try-on")
    parser.add_argument("--sample-every", type=int, default=50)
    parser.add_argument("--max-growth-mb", type=float, default=30.0, help="exit 1 above this growth")
    args = parser.parse_args()

    jpeg = small_person_jpeg()
    with tempfile.TemporaryDirectory(prefix="soak-bench-") as tmp:
        server = ServerProcess(write_config(Path(tmp), {"log_level": "WARNING"})).start()
        try:
            server.wait_ready()
            url, session = server.url, requests.Session()
            garment_id = session.get(url + "/v1/garments", timeout=30).json()["garments"][0]["id"]
            good = tryon_payload(jpeg, garment_id)
            bad = [
                {"person_image": "not base64!!", "garment_id": garment_id},
                tryon_payload(jpeg[: len(jpeg) // 2], garment_id),
                tryon_payload(jpeg, "no-such-garment"),
                tryon_payload(huge_png(20000, 20000), garment_id),
                {"person_image": base64.b64encode(b"\x89PNG").decode(), "garment_id": garment_id},
            ]
            for _ in range(5):  # warm-up: first try-ons allocate model buffers and caches
                session.post(url + "/v1/tryon", json=good, timeout=120).raise_for_status()
            samples: list[tuple[int, float]] = [(0, rss_mb(server.pid))]
            statuses: dict[int, int] = {}
            t0 = time.perf_counter()
            for i in range(1, args.requests + 1):
                if i % args.tryon_every == 0:
                    response = session.post(url + "/v1/tryon", json=good, timeout=120)
                elif i % 7 == 0:
                    response = session.get(url + "/v1/garments", timeout=30)
                elif i % 11 == 0:
                    response = session.get(url + f"/v1/garments/{garment_id}/thumbnail", timeout=30)
                else:
                    response = session.post(url + "/v1/tryon", json=bad[i % len(bad)], timeout=120)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                if i % args.sample_every == 0:
                    samples.append((i, rss_mb(server.pid)))
            wall = time.perf_counter() - t0
            alive = session.get(url + "/livez", timeout=10).status_code == 200
        finally:
            server.stop()

    first, last = samples[0][1], samples[-1][1]
    half = samples[len(samples) // 2][1]
    print(f"\nmachine: {platform.node()}, {psutil.cpu_count()} cores; {args.requests} requests in {wall:.0f} s "
          f"(1 in {args.tryon_every} a try-on); statuses {dict(sorted(statuses.items()))}; alive after: {alive}")
    print("RSS MB by request: " + ", ".join(f"{i}: {mb:.0f}" for i, mb in samples))
    print(f"RSS after warm-up {first:.1f} MB, at {samples[len(samples) // 2][0]} requests {half:.1f} MB, "
          f"at {samples[-1][0]} requests {last:.1f} MB: growth {last - first:+.1f} MB "
          f"({(last - first) / first * 100:+.1f} %), second half {last - half:+.1f} MB; "
          f"max {max(mb for _, mb in samples):.1f} MB")
    return 0 if alive and last - first <= args.max_growth_mb and 500 not in statuses else 1


if __name__ == "__main__":
    sys.exit(main())
