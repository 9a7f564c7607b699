"""Real server processes on loopback for the reliability tests and benchmarks.

`ServerProcess` runs `python -m server` (or gunicorn) with a generated config file, waits for /readyz and
can be killed (SIGKILL: a crash, not a graceful stop) and started again on the same port.
"""
from __future__ import annotations

import base64
import io
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import requests
import yaml

from tests.conftest import free_port

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable



def write_config(folder: Path, server: dict[str, Any]) -> Path:
    """A config.yaml with the embedded backend, a private catalog cache and the given `server:` keys."""
    base: dict[str, Any] = {"backend": "embedded", "host": "127.0.0.1", "log_level": "INFO",
            "catalog": {"cache_dir": str(folder / "catalog-cache")}}
    for key, value in server.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = {**base[key], **value}
        else:
            base[key] = value
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump({"server": base}), encoding="utf-8")
    return path


class ServerProcess:
    """`python -m server --config CONFIG --port PORT` (or gunicorn) as a child process."""

    def __init__(self, config_path: Path, port: int | None = None, *, gunicorn: bool = False,
                 log_path: Path | None = None, env: dict[str, str] | None = None) -> None:
        self.config_path = config_path
        self.port = port or free_port()
        self.gunicorn = gunicorn
        self.log_path = log_path or config_path.with_name(f"server-{self.port}.log")
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> ServerProcess:
        if self.gunicorn:
            cmd = [PYTHON, "-m", "gunicorn", "-c", str(REPO / "server" / "gunicorn.conf.py"),
                   "-b", f"127.0.0.1:{self.port}", "server.wsgi:app"]
            env = {**self.env, "TRYON_CONFIG": str(self.config_path)}
        else:
            cmd = [PYTHON, "-m", "server", "--config", str(self.config_path), "--port", str(self.port)]
            env = self.env
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        log.close()
        return self

    def wait_ready(self, timeout: float = 180.0) -> dict:
        """Block until /readyz says ready; raise with the log tail if the process dies or time runs out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                response = requests.get(self.url + "/readyz", timeout=2)
                if response.status_code == 200:
                    return response.json()
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"server not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL the whole process group (a crash or power cut, not a graceful stop)."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def small_person_jpeg(size: tuple[int, int] = (192, 256), quality: int = 85) -> bytes:
    """The astronaut on a 3:4 canvas, scaled down: a try-on that takes a fraction of a second."""
    from PIL import Image

    from tests.conftest import person_photo_768x1024

    buffer = io.BytesIO()
    photo = Image.fromarray(person_photo_768x1024()).resize(size, Image.Resampling.LANCZOS)
    photo.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def tryon_payload(jpeg: bytes, garment_id: str) -> dict[str, str]:
    return {"person_image": base64.b64encode(jpeg).decode("ascii"), "garment_id": garment_id}


NGINX_TEMPLATE = REPO / "nginx" / "fitting-booth.conf"  # several replicas (docs/scale-out.md)
FRONT_TEMPLATE = REPO / "nginx" / "tryon-server.conf"  # in front of one box's gunicorn (the server install)


def render_nginx_conf(upstreams: list[str], listen_port: int, prefix: Path, template: Path = NGINX_TEMPLATE) -> str:
    """A shipped nginx site made runnable on loopback: its upstream servers replaced by `upstreams`
    (host:port, keeping the shipped server options), listening on `listen_port`, wrapped in a main config
    with every path under `prefix`. Everything else (limits, timeouts, retry policy) is the shipped file."""
    import re

    text = template.read_text()
    server_line = re.compile(r"^[ \t]*server\s+\S+:\d+([^;]*);\n", re.M)
    first = server_line.search(text)
    if first is None:
        raise ValueError(f"{template} has no 'server HOST:PORT' line")
    servers = "".join(f"    server {u}{first.group(1)};\n" for u in upstreams)
    text = server_line.sub("", text)
    text = text[:first.start()] + servers + text[first.start():]
    text = re.sub(r"listen \d+;", f"listen 127.0.0.1:{listen_port};", text)
    user = "user root;\n" if os.geteuid() == 0 else ""
    return f"""{user}worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
events {{ worker_connections 512; }}
http {{
    log_format upstream '$request_method $uri $status upstream=$upstream_addr upstream_status=$upstream_status';
    access_log {prefix}/access.log upstream;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
{text}
}}
"""


class NginxProcess:
    """nginx in the foreground (`daemon off`) with a generated config and every path under `prefix`."""

    def __init__(self, upstreams: list[str], prefix: Path, port: int | None = None, *,
                 template: Path = NGINX_TEMPLATE) -> None:
        self.prefix = prefix
        self.port = port or free_port()
        prefix.mkdir(parents=True, exist_ok=True)
        self.conf = prefix / "nginx.conf"
        self.conf.write_text(render_nginx_conf(upstreams, self.port, prefix, template))
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> NginxProcess:
        import socket

        cmd = ["nginx", "-p", str(self.prefix), "-e", str(self.prefix / "error.log"), "-c", str(self.conf),
               "-g", "daemon off;"]
        test = subprocess.run(cmd[:-2] + ["-t"], capture_output=True, text=True)
        if test.returncode != 0:
            raise RuntimeError(f"nginx -t failed:\n{test.stderr}")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("nginx did not come up:\n" + (self.prefix / "error.log").read_text(errors="replace"))

    def access_log(self) -> list[str]:
        path = self.prefix / "access.log"
        return path.read_text().splitlines() if path.exists() else []

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGQUIT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


class SlowClients:
    """`count` connections that send their request as slowly as a client may: half trickle their headers
    (one header line every `interval_s`), half send complete headers announcing a 1 MB body and trickle the
    body (one byte every `interval_s`). A connection the server drops is opened again at once, so `count`
    stay open until `stop()`. Runs in one background thread; traffic goes to loopback only."""

    def __init__(self, port: int, count: int, interval_s: float = 2.0) -> None:
        self.port, self.count, self.interval_s = port, count, interval_s
        self.opened = 0
        self.dropped = 0  # connections the server closed or answered (nginx: 408 after its timeouts)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="slow-clients", daemon=True)

    def start(self) -> SlowClients:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _open(self, index: int):
        import socket

        sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        sock.setblocking(False)
        self.opened += 1
        if index % 2:
            sock.send(b"POST /v1/tryon HTTP/1.1\r\nHost: booth\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 1000000\r\n\r\n{")
        else:
            sock.send(b"GET /livez HTTP/1.1\r\nHost: booth\r\n")
        return sock

    def _run(self) -> None:
        import select

        socks = [self._open(i) for i in range(self.count)]
        next_send = time.monotonic() + self.interval_s
        try:
            while not self._stop.is_set():
                readable, _, _ = select.select(socks, [], [], 0.2)
                for sock in readable:  # the server answered or closed: this one is done, open another
                    index = socks.index(sock)
                    sock.close()
                    self.dropped += 1
                    socks[index] = self._open(index)
                if time.monotonic() >= next_send:
                    next_send += self.interval_s
                    for index, sock in enumerate(socks):
                        try:
                            sock.send(b"a" if index % 2 else b"X-Slow: 1\r\n")
                        except OSError:
                            sock.close()
                            self.dropped += 1
                            socks[index] = self._open(index)
        finally:
            for sock in socks:
                sock.close()


def big_phone_jpeg(size: tuple[int, int] = (7296, 5472), quality: int = 80) -> bytes:
    """A legal but huge photo: the astronaut on a 4:3 canvas, scaled up to 39.9 MP (about 1 MB of JPEG:
    smooth pixels compress well), as a phone's main camera writes it."""
    from PIL import Image

    from tests.conftest import person_photo_768x1024

    portrait = Image.fromarray(person_photo_768x1024())
    canvas = Image.new("RGB", (1365, 1024), tuple(int(c) for c in person_photo_768x1024()[4, 4]))
    canvas.paste(portrait, ((1365 - 768) // 2, 0))
    buffer = io.BytesIO()
    canvas.resize(size, Image.Resampling.BILINEAR).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def request_cost(pid: int, send) -> dict[str, float]:
    """What `send()` (one request to the server process `pid`) costs that process: CPU seconds, wall
    seconds, and how far its peak resident memory (VmHWM) rose."""
    import psutil

    process = psutil.Process(pid)

    def peak_mb() -> float:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmHWM")

    cpu_before, peak_before, started = sum(process.cpu_times()[:2]), peak_mb(), time.monotonic()
    response = send()
    return {"status": response.status_code, "wall_s": time.monotonic() - started,
            "cpu_s": sum(process.cpu_times()[:2]) - cpu_before, "peak_rss_rise_mb": peak_mb() - peak_before,
            "response": response}
