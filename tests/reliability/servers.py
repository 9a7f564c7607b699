"""Real server processes on loopback for the reliability tests and benchmarks.

`ServerProcess` runs `python -m server` (or gunicorn) with a generated config file, waits for /readyz and
can be killed (SIGKILL: a crash, not a graceful stop) and started again on the same port.
"""
from __future__ import annotations

import base64
import io
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests
import yaml

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_config(folder: Path, server: dict[str, Any]) -> Path:
    """A config.yaml with the embedded backend, a private catalog cache and the given `server:` keys."""
    base = {"backend": "embedded", "host": "127.0.0.1", "log_level": "INFO",
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

    def start(self) -> "ServerProcess":
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

    def __enter__(self) -> "ServerProcess":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def small_person_jpeg(size: tuple[int, int] = (192, 256), quality: int = 85) -> bytes:
    """The astronaut on a 3:4 canvas, scaled down: a try-on that takes a fraction of a second."""
    from PIL import Image

    from tests.conftest import person_photo_768x1024

    buffer = io.BytesIO()
    Image.fromarray(person_photo_768x1024()).resize(size, Image.Resampling.LANCZOS).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def tryon_payload(jpeg: bytes, garment_id: str) -> dict[str, str]:
    return {"person_image": base64.b64encode(jpeg).decode("ascii"), "garment_id": garment_id}
