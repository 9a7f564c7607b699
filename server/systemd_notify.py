"""Talking to systemd from the server: readiness, status lines and watchdog pings (sd_notify).

Uses systemd-python (`from systemd import daemon`). Where it is not installed (a development machine
without libsystemd headers) every call is a no-op with one debug log line, and where it is installed but
the process was not started by systemd ($NOTIFY_SOCKET unset) `daemon.notify` does nothing either.

Under gunicorn the master would tell systemd READY=1 as soon as it listens, long before a worker has loaded
the models. `hold_back_master_ready()` (master, on_starting) hides $NOTIFY_SOCKET from that call and
`release_notify_socket()` (master, when_ready) puts it back before any worker is forked, so the first warm
worker is the one that says READY=1 (the unit has NotifyAccess=all so systemd accepts messages from workers).
"""
from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

try:
    from systemd import daemon as _daemon
except ImportError:  # not installed: sd_notify becomes a no-op
    _daemon = None

_HELD_ENV = "TRYON_HELD_NOTIFY_SOCKET"
_warned = False  # a failing socket is reported once per process, then only at debug level


def available() -> bool:
    """systemd-python is importable (it says nothing about whether systemd started us)."""
    return _daemon is not None


def notify(*assignments: str) -> bool:
    """Send `KEY=value` assignments (READY=1, STATUS=..., WATCHDOG=1, STOPPING=1) in one datagram.

    Returns True when the message went to systemd; False when there is no one to tell.
    """
    message = "\n".join(assignments)
    if _daemon is None:
        log.debug("systemd-python is not installed; not sending %r", message)
        return False
    if not os.environ.get("NOTIFY_SOCKET"):
        return False
    global _warned
    try:
        return bool(_daemon.notify(message))
    except OSError as exc:  # the manager went away or the socket is not writable: never fatal
        (log.debug if _warned else log.warning)("sd_notify(%r) failed: %s", message, exc)
        _warned = True
        return False


def watchdog_interval_s() -> float | None:
    """How often to ping: a third of the unit's WatchdogSec (from $WATCHDOG_USEC), or None when off.

    $WATCHDOG_PID names the gunicorn master; workers ping on its behalf, which NotifyAccess=all allows,
    so the pid is not compared here.
    """
    usec = os.environ.get("WATCHDOG_USEC", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    return int(usec) / 1e6 / 3


def hold_back_master_ready() -> None:
    """Hide $NOTIFY_SOCKET so gunicorn's own premature READY=1 goes nowhere (call in on_starting)."""
    address = os.environ.pop("NOTIFY_SOCKET", None)
    if address:
        os.environ[_HELD_ENV] = address


def release_notify_socket() -> None:
    """Restore $NOTIFY_SOCKET after gunicorn's READY attempt, before workers fork (call in when_ready)."""
    address = os.environ.pop(_HELD_ENV, None)
    if address:
        os.environ["NOTIFY_SOCKET"] = address


class WatchdogPinger:
    """A daemon thread that sends WATCHDOG=1 every `interval_s` while `healthy()` returns True.

    When the check fails (or raises) the ping is skipped, so systemd's WatchdogSec expires and the
    service is restarted; a STATUS= line says why.
    """

    def __init__(self, healthy: Callable[[], bool], interval_s: float, name: str = "sd-watchdog") -> None:
        self._healthy = healthy
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._was_healthy = True

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=self._interval_s + 1)

    def _run(self) -> None:
        while True:
            self._ping_if_healthy()
            if self._stop.wait(self._interval_s):
                return

    def _ping_if_healthy(self) -> None:
        try:
            healthy = bool(self._healthy())
            why = "health check failed"
        except Exception as exc:  # a broken check counts as unhealthy, never kills the thread
            healthy, why = False, f"health check raised {exc!r}"
        if healthy:
            notify("WATCHDOG=1")
            if not self._was_healthy:
                log.warning("worker %d healthy again; watchdog pings resumed", os.getpid())
                notify(f"STATUS=worker {os.getpid()} healthy again")
        elif self._was_healthy:
            log.error("worker %d: %s; withholding watchdog pings", os.getpid(), why)
            notify(f"STATUS=worker {os.getpid()} unhealthy ({why}); withholding watchdog pings")
        self._was_healthy = healthy
