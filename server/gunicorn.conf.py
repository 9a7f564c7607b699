"""Production gunicorn settings: `gunicorn -c server/gunicorn.conf.py server.wsgi:app`.

Everything here is derived from config.yaml ($TRYON_CONFIG, else /etc/fitting-booth/config.yaml, else the
repository's) so there is one file to edit. Command-line flags and $GUNICORN_CMD_ARGS still win
(`-b 0.0.0.0:9000`, `-w 2`); $WEB_CONCURRENCY sets the worker count.

- Workers: 1 by default. Each worker loads its own copy of the models after the fork (no preload: torch
  and MediaPipe must not be shared across fork), so memory grows with every worker.
- Threads: gthread with enough threads for every admitted try-on (`limits.concurrency + limits.max_queue`)
  plus two, so /livez, /readyz and /metrics answer while the inference queue is full; the app itself
  bounds how many try-ons run and wait.
- systemd: the first worker with warm models sends READY=1, each worker pings WATCHDOG=1 while healthy
  (models warm, loop turning, GET /livez on its own socket answered), STATUS= lines say what is happening
  (see server/systemd_notify.py and systemd/tryon-server.service).
- The production install binds 127.0.0.1:8001 behind nginx (nginx/tryon-server.conf): a gthread worker
  gives each connection a thread from its first byte, so slow clients must not reach it directly.
- Workers that keep dying (more than 2 x workers + 3 exits within a minute) stop the server rather than
  being respawned for ever; multi-process metrics are used only where their folder has room.
- Logs go to stderr (journald under systemd). The app writes its own JSON access line per request (with
  the request id, never a query string, body or image), so gunicorn's access log is off; if you turn it
  on (`--access-logfile -`) its format below leaves out query strings too.
"""
from __future__ import annotations

import collections
import os
import shutil
import tempfile
import time
from pathlib import Path

from gunicorn.errors import HaltServer

from common.config import load_config
from server import self_probe, systemd_notify

_server = load_config().server

# -- sockets and processes -------------------------------------------------------------------------------
_host = f"[{_server.host}]" if ":" in _server.host else _server.host
bind = [f"{_host}:{_server.port}"]
workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
worker_class = "gthread"
threads = max(4, _server.limits.concurrency + _server.limits.max_queue + 2)
preload_app = False

# The worker's main loop heartbeats every second while requests run in its threads, so `timeout` only has
# to cover loading and warming the models at start (the slowest part of a worker's life). A try-on is
# bounded by the app (limits.request_timeout_s answers 504).
timeout = int(max(300, 2 * _server.limits.request_timeout_s + 30))
# On stop or reload let running try-ons finish.
graceful_timeout = int(_server.limits.request_timeout_s + 10)
keepalive = 5
# Heartbeat file in RAM rather than on disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# -- logging ------------------------------------------------------------------------------------------------
errorlog = "-"
loglevel = _server.log_level.lower()
accesslog = None
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
proc_name = "tryon-server"

# gunicornc's control socket: in the unit's RuntimeDirectory under systemd; off elsewhere (its default,
# ~/.gunicorn/gunicorn.ctl, would collide between two servers on one machine).
if os.environ.get("RUNTIME_DIRECTORY"):
    control_socket = str(Path(os.environ["RUNTIME_DIRECTORY"].split(":")[0]) / "gunicorn.ctl")
else:
    control_socket_disable = True


# -- hooks ----------------------------------------------------------------------------------------------------
def on_starting(server) -> None:
    """Master, before binding: hold back gunicorn's own READY=1; set up multi-process metrics."""
    systemd_notify.hold_back_master_ready()
    if server.cfg.workers > 1:
        _prepare_prometheus_multiproc_dir(server)
    else:
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)  # one worker: its own registry is the whole story


def when_ready(server) -> None:
    """Master, listening, before the first fork: workers inherit $NOTIFY_SOCKET from here on."""
    systemd_notify.release_notify_socket()
    listeners = ", ".join(str(listener) for listener in server.LISTENERS)
    systemd_notify.notify(f"STATUS=listening on {listeners}; loading models in {server.cfg.workers} worker(s)")


def on_reload(server) -> None:
    """SIGHUP (systemctl reload): new workers load the models again and say READY=1 when warm."""
    systemd_notify.notify("RELOADING=1", "STATUS=reloading: starting new workers")


def post_worker_init(worker) -> None:
    """Worker, after server.wsgi built the app (models loaded and warm): ready, and start pinging."""
    service = worker.wsgi.extensions["tryon"]
    ready = service.readiness
    systemd_notify.notify("READY=1", f"STATUS=serving: worker {worker.pid} warm, backend {ready.backend}")
    interval = systemd_notify.watchdog_interval_s()
    if interval is not None:
        listener = worker.sockets[0]
        probe_timeout_s = min(LIVEZ_PROBE_TIMEOUT_S, interval)
        pinger = systemd_notify.WatchdogPinger(
            lambda: _worker_healthy(worker, service, listener, probe_timeout_s), interval)
        pinger.start()
        worker.tryon_watchdog = pinger


def worker_exit(server, worker) -> None:
    """Worker, on its way out: stop pinging for it."""
    pinger = getattr(worker, "tryon_watchdog", None)
    if pinger is not None:
        pinger.stop()


def child_exit(server, worker) -> None:
    """Master, a worker has gone: forget its metrics files, say so in the status line, and stop the whole
    server when workers keep dying (a crash loop: gunicorn would respawn them forever and systemd's
    Restart= and start limit would never see it)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
    systemd_notify.notify(f"STATUS=worker {worker.pid} exited")
    now = time.monotonic()
    _worker_exits.append(now)
    while _worker_exits and now - _worker_exits[0] > CRASH_LOOP_WINDOW_S:
        _worker_exits.popleft()
    if len(_worker_exits) > _crash_loop_exits(server.cfg.workers):
        reason = (f"{len(_worker_exits)} workers exited within {CRASH_LOOP_WINDOW_S} s: stopping instead of "
                  "respawning them in a loop (the log above says why they died)")
        systemd_notify.notify(f"STATUS=crash loop: {reason}")
        raise HaltServer(reason, 3)


def on_exit(server) -> None:
    systemd_notify.notify("STOPPING=1", "STATUS=stopped")
    if _own_metrics_dir is not None:  # a temporary folder this master made (not systemd's RuntimeDirectory)
        shutil.rmtree(_own_metrics_dir, ignore_errors=True)


# -- helpers ----------------------------------------------------------------------------------------------
CRASH_LOOP_WINDOW_S = 60
LIVEZ_PROBE_TIMEOUT_S = 10.0
_worker_exits: collections.deque[float] = collections.deque()
# prometheus_client starts each worker's three files (counters, live gauges, histograms) at 64 KiB and
# doubles them as label sets are added; 1 MiB per worker leaves room for that.
METRICS_ROOM_PER_WORKER = 1 << 20
_own_metrics_dir: Path | None = None


def _crash_loop_exits(workers: int) -> int:
    """Worker exits tolerated within CRASH_LOOP_WINDOW_S: a reload replaces every worker once, a crash or two
    is what the master is there to absorb; more is a loop."""
    return 2 * workers + 3


def _worker_healthy(worker, service, listener, probe_timeout_s: float) -> bool:
    """What the watchdog pings for: the models are ready (as /readyz reports), the worker's main loop is
    turning (it refreshes its heartbeat every second), and the server answers GET /livez on its listening
    socket in time (slow clients holding every request thread leave the loop turning but nothing answered).
    worker_exit stops the pings on a clean exit."""
    heartbeat_age_s = time.monotonic() - worker.tmp.last_update()
    return (service.readiness.ready and heartbeat_age_s < 30
            and self_probe.livez_answers(listener.family, listener.getsockname(), probe_timeout_s))


def _prepare_prometheus_multiproc_dir(server) -> None:
    """prometheus_client's multi-process mode: each worker writes its samples to files in this folder and
    /metrics (server/metrics.py) merges them. It must be empty at start and set before workers import
    prometheus_client. Under systemd it lives in the unit's RuntimeDirectory.

    The files are memory-mapped: on a full disk a worker's first write kills it with SIGBUS. So the room is
    reserved up front, and where there is none the server runs with per-worker metrics instead (each
    /metrics answer then shows the worker that served it) and says so, rather than losing its workers."""
    global _own_metrics_dir
    folder = os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    if folder:
        path = Path(folder)
    elif os.environ.get("RUNTIME_DIRECTORY"):
        path = Path(os.environ["RUNTIME_DIRECTORY"].split(":")[0]) / "prometheus"
    else:
        path = Path(tempfile.gettempdir()) / f"tryon-prometheus-{os.getpid()}"
        _own_metrics_dir = path
    try:
        path.mkdir(parents=True, mode=0o700, exist_ok=True)
        for stale in path.glob("*.db"):  # samples of a previous run's workers
            stale.unlink()
        _reserve(path, METRICS_ROOM_PER_WORKER * server.cfg.workers)
    except OSError as exc:
        server.log.error("multi-process metrics are off: the metrics folder %s is not usable (%s); each worker "
                         "keeps its own metrics and /metrics shows the worker that answered", path, exc)
        systemd_notify.notify(f"STATUS=metrics folder {path} unusable ({exc.strerror or exc}); per-worker metrics")
        return
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)
    server.log.info("prometheus multi-process metrics in %s (%d workers)", path, server.cfg.workers)


def _reserve(folder: Path, size: int) -> None:
    """Raise OSError (ENOSPC, EROFS, EACCES) unless `size` bytes can really be written in `folder`: a sparse
    file (what prometheus_client makes) would claim the room and fault only when written."""
    probe = folder / ".room-check"
    try:
        with open(probe, "wb") as handle:
            os.posix_fallocate(handle.fileno(), 0, size)
    finally:
        probe.unlink(missing_ok=True)
