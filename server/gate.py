"""A bounded inference queue: `concurrency` try-ons run at once, `max_queue` more may wait, and beyond that
callers are turned away at once with 503 + Retry-After instead of piling up until they time out.

The work runs in a small thread pool so a request can stop waiting after its timeout (504); the slot count
is never exceeded. Each job gets the request's `Deadline` and checks it between its stages, so work whose
caller has already been answered 504 stops at the next stage and frees its slot instead of running to the end.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

from server.errors import ApiError
from server.metrics import IN_FLIGHT, QUEUE_DEPTH

T = TypeVar("T")


class DeadlinePassed(Exception):
    """The request this work was for has been answered 504 already: stop."""


class Deadline:
    """When the request that started a job stops waiting for it (time.monotonic() seconds)."""

    def __init__(self, at: float) -> None:
        self.at = at

    def check(self) -> None:
        """Call between stages: raises DeadlinePassed once the caller has given up."""
        if time.monotonic() >= self.at:
            raise DeadlinePassed()


class InferenceGate:
    def __init__(self, concurrency: int, max_queue: int, timeout_s: float) -> None:
        self.concurrency = concurrency
        self.max_queue = max_queue
        self.timeout_s = timeout_s
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="inference")
        self._lock = threading.Lock()
        self._admitted = 0  # running + waiting
        self._running = 0
        self._avg_s = 1.0  # moving average of one job, for Retry-After

    @property
    def depth(self) -> int:
        """Jobs waiting for a slot."""
        with self._lock:
            return self._admitted - self._running

    def run(self, job: Callable[[Deadline], T]) -> T:
        deadline = Deadline(time.monotonic() + self.timeout_s)
        with self._lock:
            if self._admitted >= self.concurrency + self.max_queue:
                retry_after = max(1, round(self._avg_s * (self._admitted - self._running + 1) / self.concurrency))
                raise ApiError(503, "busy", "The try-on server is busy. Please retry shortly.", retry_after=retry_after)
            self._admitted += 1
            QUEUE_DEPTH.inc()
        future = self._pool.submit(self._run_counted, job, deadline)
        try:
            return future.result(timeout=max(0.0, deadline.at - time.monotonic()))
        except (FutureTimeout, DeadlinePassed):
            if future.cancel():  # still waiting in the queue: it will never run
                self._release(started=False)
            raise ApiError(504, "timeout",
                           f"The try-on took longer than {self.timeout_s:g} s. Please try again.") from None

    def _run_counted(self, job: Callable[[Deadline], T], deadline: Deadline) -> T:
        with self._lock:
            self._running += 1
            QUEUE_DEPTH.dec()
            IN_FLIGHT.inc()
        started = time.monotonic()
        try:
            deadline.check()  # waited in the queue until its caller gave up
            return job(deadline)
        finally:
            with self._lock:
                self._avg_s = 0.8 * self._avg_s + 0.2 * (time.monotonic() - started)
            self._release(started=True)

    def _release(self, *, started: bool) -> None:
        with self._lock:
            self._admitted -= 1
            if started:
                self._running -= 1
                IN_FLIGHT.dec()
            else:
                QUEUE_DEPTH.dec()

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
