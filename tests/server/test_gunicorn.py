"""Production serving: the app under gunicorn on loopback answers a real try-on."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import yaml

from tests.conftest import free_port, person_photo_768x1024
from tests.server.test_api import b64

REPO = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")



@pytest.mark.slow
def test_gunicorn_serves_a_tryon(tmp_path):
    port = free_port()
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"server": {"host": "127.0.0.1", "port": port, "backend": "embedded",
                                                 "catalog": {"cache_dir": str(tmp_path / "cache")}}}))
    conf = REPO / "server" / "gunicorn.conf.py"
    args = [str(GUNICORN), "--bind", f"127.0.0.1:{port}", "--workers", "1"]
    if conf.exists():
        args[1:1] = ["-c", str(conf)]
    process = subprocess.Popen(args + ["server.wsgi:app"], cwd=REPO, env={**os.environ, "TRYON_CONFIG": str(config)},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            try:
                if requests.get(base + "/readyz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:  # refused before the bind, or queued while the worker warms up
                pass
            assert process.poll() is None, process.stdout.read()
            time.sleep(0.5)
        else:
            pytest.fail("gunicorn never became ready")
        garment_id = requests.get(base + "/v1/garments", timeout=10).json()["garments"][0]["id"]
        response = requests.post(base + "/v1/tryon", json={"person_image": b64(person_photo_768x1024()),
                                                           "garment_id": garment_id}, timeout=120)
        assert response.status_code == 200, response.text
        assert response.json()["backend"] == "embedded"
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert "Traceback" not in output
