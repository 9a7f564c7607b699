"""server/gunicorn.conf.py: settings derived from config.yaml, and the systemd conversation of a real
gunicorn serving server.wsgi:app (READY=1 once the models are warm, then WATCHDOG=1 pings)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.deploy.conftest import REPO

GUNICORN = Path(sys.executable).parent / "gunicorn"
CONF = REPO / "server/gunicorn.conf.py"



def _env(config: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID",
                                                            "WEB_CONCURRENCY", "GUNICORN_CMD_ARGS")}
    env.update(TRYON_CONFIG=str(config), **extra)
    return env


def _print_config(tmp_path: Path, config_text: str, *args: str) -> dict[str, str]:
    """gunicorn --print-config with our file; the app is a trivial WSGI callable (no models)."""
    (tmp_path / "tiny_app.py").write_text("def app(environ, start_response):\n    return []\n")
    config = tmp_path / "config.yaml"
    config.write_text(config_text)
    result = subprocess.run([str(GUNICORN), "--print-config", "-c", str(CONF), *args, "tiny_app:app"],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path,
                            env=_env(config, PYTHONPATH=f"{tmp_path}:{REPO}"))
    assert result.returncode == 0, result.stderr
    pairs = (line.split(" = ", 1) for line in result.stdout.splitlines() if " = " in line)
    return {name.strip(): value.strip() for name, value in pairs}


def test_settings_follow_config_yaml(tmp_path):
    settings = _print_config(tmp_path, (
        "server:\n  host: 0.0.0.0\n  port: 9123\n"
        "  limits: {concurrency: 2, max_queue: 6, request_timeout_s: 200}\n"))
    assert settings["bind"] == "['0.0.0.0:9123']"
    assert settings["worker_class"] == "gthread"
    assert settings["workers"] == "1"
    assert settings["threads"] == "10"  # every admitted try-on plus two for probes and metrics
    assert settings["timeout"] == "430"  # longer than a request; covers model loading
    assert settings["graceful_timeout"] == "210"  # a running try-on may finish
    assert settings["preload_app"] == "False"  # models load in each worker, after the fork


def test_command_line_overrides_the_config_file(tmp_path):
    settings = _print_config(tmp_path, "server: {port: 9123}\n", "-b", "127.0.0.1:9999", "-w", "2")
    assert settings["bind"] == "['127.0.0.1:9999']"
    assert settings["workers"] == "2"


def test_ipv6_host_is_bracketed(tmp_path):
    settings = _print_config(tmp_path, "server: {host: '::', port: 9123}\n")
    assert settings["bind"] == "['[::]:9123']"


def test_a_bad_config_stops_gunicorn_with_the_key_named(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("server:\n  prot: 8000\n")
    result = subprocess.run([str(GUNICORN), "--check-config", "-c", str(CONF), "server.wsgi:app"],
                            capture_output=True, text=True, timeout=120, cwd=REPO, env=_env(config))
    assert result.returncode != 0
    assert "server.prot: unknown key" in result.stderr


@pytest.mark.slow
def test_ready_comes_from_a_warm_worker_then_watchdog_pings_follow(tmp_path, notify_socket):
    port = free_port()
    config = tmp_path / "config.yaml"
    config.write_text(f"server:\n  port: {port}\n  catalog:\n    cache_dir: {tmp_path / 'cache'}\n")
    process = subprocess.Popen(
        [str(GUNICORN), "-c", str(CONF), "server.wsgi:app"], cwd=REPO, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, env=_env(config, NOTIFY_SOCKET=str(notify_socket.path), WATCHDOG_USEC="1500000"),
    )
    try:
        ready = notify_socket.wait_for("READY", timeout=300)
        assert ready is not None, "no READY=1 within 300 s"
        # The models are warm when READY=1 arrives: /readyz is green at once.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=30) as response:
            assert response.status == 200 and json.load(response)["ready"] is True
        # It came from the worker (NotifyAccess=all), and gunicorn's own early READY=1 never went out.
        assert ready.pid not in (process.pid, -1)
        assert [m for m in notify_socket.received if "READY" in m.fields] == [ready]
        assert "warm" in ready.fields["STATUS"]
        pings = [notify_socket.wait_for("WATCHDOG", timeout=10) for _ in range(3)]
        assert all(p is not None and p.pid == ready.pid for p in pings)
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=120)
    assert process.returncode == 0, output.decode(errors="replace")[-3000:]
    assert notify_socket.wait_for("STOPPING", timeout=5) is not None
