"""gunicorn with server/gunicorn.conf.py when its multi-process metrics folder is on a full disk, when its
workers keep dying, and what it leaves behind. Small WSGI apps that use the server's real metrics module
stand in for the app, so no models load."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import REPO, free_port

pytestmark = pytest.mark.slow  # real gunicorn processes
CONF = REPO / "server" / "gunicorn.conf.py"
# gunicorn.conf.py's post_worker_init reads the service's readiness from the app, as server.wsgi's has it.
READY = '''
from types import SimpleNamespace
app.extensions = {"tryon": SimpleNamespace(readiness=SimpleNamespace(ready=True, backend="none"))}
'''
METRICS_APP = '''
from server.metrics import REQUESTS, render

def app(environ, start_response):
    REQUESTS.labels(route="/probe", method="GET", code="200").inc()
    body, content_type = render()
    start_response("200 OK", [("Content-Type", content_type)])
    return [body]
''' + READY
CRASHING_APP = '''
import os, signal
os.kill(os.getpid(), signal.SIGBUS)  # what a write into a memory-mapped file on a full disk does
def app(environ, start_response):
    return []
''' + READY


def _gunicorn(tmp_path: Path, app_source: str, *, workers: int, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    (tmp_path / "probe_app.py").write_text(app_source)
    port = free_port()
    config = tmp_path / "config.yaml"
    config.write_text(f"server: {{host: 127.0.0.1, port: {port}}}\n")
    clean = {k: v for k, v in os.environ.items() if k not in ("PROMETHEUS_MULTIPROC_DIR", "RUNTIME_DIRECTORY",
                                                              "NOTIFY_SOCKET", "WEB_CONCURRENCY")}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(CONF), "-w", str(workers), "probe_app:app"], cwd=tmp_path,
        env={**clean, "PYTHONPATH": f"{tmp_path}:{REPO}", "TRYON_CONFIG": str(config), **env},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    return process, f"http://127.0.0.1:{port}"


def _stop(process: subprocess.Popen) -> str:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        return process.communicate(timeout=60)[0]
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        return process.communicate(timeout=10)[0]


def _get_until_ok(url: str, limit_s: float = 60) -> requests.Response:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            response = requests.get(url, timeout=5)
            if response.status_code == 200:
                return response
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} never answered 200")


@pytest.fixture
def full_tmpfs(tmp_path):
    """A 64 KiB tmpfs filled to the last byte (needs mount rights: root, as in CI)."""
    mount = tmp_path / "full"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (not root)")
    try:
        with open(mount / "filler", "wb") as filler:
            while True:
                filler.write(b"\0" * 4096)
                filler.flush()
    except OSError:
        pass
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_metrics_disk_turns_multiprocess_metrics_off_instead_of_a_crash_loop(tmp_path, full_tmpfs):
    process, url = _gunicorn(tmp_path, METRICS_APP, workers=2, env={"PROMETHEUS_MULTIPROC_DIR": str(full_tmpfs)})
    try:
        body = _get_until_ok(url).text
        assert 'tryon_http_requests_total{code="200",method="GET",route="/probe"}' in body
        time.sleep(3)  # a crash loop would keep forking meanwhile
        assert process.poll() is None
    finally:
        output = _stop(process)
    assert "multi-process metrics are off" in output and str(full_tmpfs) in output
    assert len(re.findall(r"Booting worker", output)) == 2, output[-3000:]
    assert "SIGBUS" not in output


def test_workers_that_keep_dying_stop_the_server_instead_of_looping(tmp_path):
    process, _ = _gunicorn(tmp_path, CRASHING_APP, workers=2, env={})
    try:
        process.wait(timeout=120)
    finally:
        output = _stop(process)
    assert process.returncode not in (None, 0)
    assert "workers exited within 60 s" in output
    assert len(re.findall(r"Booting worker", output)) < 15, "it should stop after a handful of deaths"


def test_the_temporary_metrics_folder_is_removed_at_exit(tmp_path):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    process, url = _gunicorn(tmp_path, METRICS_APP, workers=2, env={"TMPDIR": str(scratch)})
    try:
        _get_until_ok(url)
        assert [p.name for p in scratch.glob("tryon-prometheus-*")], "multi-process mode in a temporary folder"
    finally:
        _stop(process)
    assert list(scratch.glob("tryon-prometheus-*")) == []
