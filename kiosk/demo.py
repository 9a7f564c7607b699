"""`python -m kiosk --demo`: a local server and a demo person photo, so the kiosk runs on any computer."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import requests

log = logging.getLogger(__name__)
REPO = Path(__file__).resolve().parents[1]


class DemoError(Exception):
    """The demo cannot run here; the message says what is missing."""


def demo_portrait():
    """scikit-image's astronaut photo (a real person, public domain) cropped to a 3:4 portrait at camera
    size (768x1024), the shape the kiosk sends. Returns a PIL image."""
    try:
        from skimage import data
    except ImportError:
        raise DemoError("--demo needs scikit-image for its demo person photo: "
                        "install the dev extras (./setup.sh --dev) or set kiosk.camera.path") from None
    from PIL import Image

    portrait = Image.fromarray(data.astronaut()).crop((40, 0, 424, 512))  # 384x512, centred on her
    return portrait.resize((768, 1024), Image.Resampling.LANCZOS)


def demo_person_photo(cache_dir: Path) -> Path:
    """The demo portrait as a file for the file camera, written once into the cache."""
    path = Path(cache_dir).expanduser() / "demo" / "astronaut-portrait-768x1024.png"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        demo_portrait().save(path)
    return path


def server_ready(url: str, timeout_s: float = 2.0) -> bool:
    try:
        return requests.get(url.rstrip("/") + "/readyz", timeout=timeout_s).json().get("ready") is True
    except (requests.RequestException, ValueError):
        return False


def start_local_server(url: str, config_path: Path | None, *, wait_s: float = 180.0) -> subprocess.Popen | None:
    """Start `python -m server` (the configured backend, by default the learned one) for `url` unless one answers
    there; wait for /readyz.

    Returns the process to stop at exit, or None when a server was already running.
    """
    if server_ready(url):
        log.info("demo: using the server already running at %s", url)
        return None
    host_port = url.split("://", 1)[-1].split("/", 1)[0]
    host, _, port = host_port.partition(":")
    if host not in ("127.0.0.1", "localhost"):
        raise DemoError(f"--demo starts a server only on this computer, but kiosk.client.server_urls[0] is {url}")
    cmd = [sys.executable, "-m", "server", "--host", "127.0.0.1", "--port", port or "80"]
    if config_path is not None:
        cmd += ["--config", str(config_path)]
    log.info("demo: starting %s", " ".join(cmd))
    process = subprocess.Popen(cmd, cwd=REPO, env=dict(os.environ))
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DemoError(f"the demo server exited with status {process.returncode} (see its messages above)")
        if server_ready(url):
            return process
        time.sleep(0.5)
    stop_server(process)
    raise DemoError(f"the demo server did not become ready within {wait_s:.0f} s")


def stop_server(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
