"""Load on the try-on server: N simulated kiosks over real HTTP on loopback.

    .venv/bin/python bench/load.py                       # starts `python -m server` itself
    .venv/bin/python bench/load.py --gunicorn            # ... or gunicorn with server/gunicorn.conf.py
    .venv/bin/python bench/load.py --url http://host:8000 --kiosks 1,4

Each kiosk is a thread with its own requests.Session sending try-ons back to back (no client retries, so
the server's own answers are measured). Per load level it reports p50/p95/p99 latency of successful
try-ons, throughput, counts by status, and for 503 answers whether Retry-After came with them and how fast
they came: beyond `limits.concurrency + limits.max_queue` the server must turn requests away at once
instead of letting them wait into a timeout.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.reliability.servers import ServerProcess, small_person_jpeg, tryon_payload, write_config


def kiosk(url: str, payload: dict, count: int, results: list, start: threading.Barrier) -> None:
    session = requests.Session()
    start.wait()
    for _ in range(count):
        t0 = time.perf_counter()
        status: int | str
        try:
            response = session.post(url + "/v1/tryon", json=payload, timeout=120)
            status, retry_after = response.status_code, response.headers.get("Retry-After")
        except requests.RequestException as exc:
            status, retry_after = type(exc).__name__, None
        results.append((status, time.perf_counter() - t0, retry_after))
    session.close()


def run_level(url: str, payload: dict, kiosks: int, per_kiosk: int) -> dict:
    results: list = []
    barrier = threading.Barrier(kiosks + 1)
    threads = [threading.Thread(target=kiosk, args=(url, payload, per_kiosk, results, barrier)) for _ in range(kiosks)]
    for thread in threads:
        thread.start()
    barrier.wait()
    t0 = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - t0
    ok = np.array([s for st, s, _ in results if st == 200]) * 1000
    busy = [(s, ra) for st, s, ra in results if st == 503]
    pct = (lambda q: round(float(np.percentile(ok, q)), 0)) if len(ok) else (lambda q: None)
    return {
        "kiosks": kiosks, "requests": len(results), "wall_s": round(wall, 1),
        "by_status": dict(Counter(str(st) for st, _, _ in results)),
        "p50_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99),
        "tryons_per_s": round(len(ok) / wall, 2),
        "busy_503": len(busy),
        "busy_with_retry_after": sum(1 for _, ra in busy if ra),
        "busy_max_ms": round(max(s for s, _ in busy) * 1000, 0) if busy else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="an already running server (default: start one)")
    parser.add_argument("--gunicorn", action="store_true", help="start gunicorn instead of python -m server")
    parser.add_argument("--kiosks", default="1,2,4,8", help="load levels: concurrent kiosks (comma-separated)")
    parser.add_argument("--per-kiosk", type=int, default=5, help="try-ons each kiosk sends per level")
    parser.add_argument("--photo", choices=["small", "full"], default="small",
                        help="small: 192x256 (fast, many requests); full: 768x1024 as the kiosk sends")
    parser.add_argument("--concurrency", type=int, default=1, help="server limits.concurrency")
    parser.add_argument("--max-queue", type=int, default=2, help="server limits.max_queue")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    jpeg = small_person_jpeg() if args.photo == "small" else small_person_jpeg((768, 1024), 90)
    server = None
    with tempfile.TemporaryDirectory(prefix="load-bench-") as tmp:
        url = args.url
        if url is None:
            config = write_config(Path(tmp), {"limits": {"concurrency": args.concurrency, "max_queue": args.max_queue},
                                              "log_level": "WARNING"})
            server = ServerProcess(config, gunicorn=args.gunicorn).start()
            t0 = time.perf_counter()
            server.wait_ready()
            print(f"server ready in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
            url = server.url
        try:
            garment_id = requests.get(url + "/v1/garments", timeout=30).json()["garments"][0]["id"]
            payload = tryon_payload(jpeg, garment_id)
            for _ in range(3):  # warm-up
                requests.post(url + "/v1/tryon", json=payload, timeout=120).raise_for_status()
            levels = [run_level(url, payload, int(n), args.per_kiosk) for n in args.kiosks.split(",")]
        finally:
            if server is not None:
                server.stop()

    print(f"\nmachine: {platform.node()} {platform.processor() or platform.machine()}, "
          f"server: {'gunicorn' if args.gunicorn else 'python -m server' if not args.url else args.url}, "
          f"concurrency {args.concurrency}, max_queue {args.max_queue}, photo {args.photo}\n")
    print("| kiosks | requests | 200 | 503 (Retry-After) | other | p50 ms | p95 ms | p99 ms | try-ons/s "
          "| slowest 503 ms |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in levels:
        other = {k: v for k, v in r["by_status"].items() if k not in ("200", "503")}
        print(f"| {r['kiosks']} | {r['requests']} | {r['by_status'].get('200', 0)} | "
              f"{r['busy_503']} ({r['busy_with_retry_after']}) | {other or 0} | {r['p50_ms']} | {r['p95_ms']} | "
              f"{r['p99_ms']} | {r['tryons_per_s']} | {r['busy_max_ms'] if r['busy_max_ms'] is not None else '-'} |")
    if args.json:
        args.json.write_text(json.dumps(levels, indent=2))
    failed = sum(r["requests"] - r["by_status"].get("200", 0) - r["busy_503"] for r in levels)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
