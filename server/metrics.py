"""Prometheus metrics: requests and errors by route and status, per-stage latency, queue depth.

Works with one process (default registry) and with several gunicorn workers when
PROMETHEUS_MULTIPROC_DIR is set (prometheus_client's multiprocess mode).
"""
from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUESTS = Counter("tryon_http_requests_total", "HTTP requests by route, method and status code",
                   ["route", "method", "code"])
ERRORS = Counter("tryon_errors_total", "Error answers by error code", ["code"])
STAGE_SECONDS = Histogram(
    "tryon_stage_seconds", "Time spent per pipeline stage", ["stage"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30),
)
QUEUE_DEPTH = Gauge("tryon_queue_depth", "Try-ons waiting for a free inference slot", multiprocess_mode="livesum")
IN_FLIGHT = Gauge("tryon_inflight", "Try-ons running now", multiprocess_mode="livesum")


def observe_timings(timings_ms: dict[str, float]) -> None:
    for stage, ms in timings_ms.items():
        STAGE_SECONDS.labels(stage=stage).observe(ms / 1000.0)


def render() -> tuple[bytes, str]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
