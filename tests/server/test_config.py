"""config.yaml is validated at start: a bad or unknown key stops the program with a message naming it."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from common.config import ConfigError, load_config

REPO = Path(__file__).resolve().parents[2]


def test_shipped_config_is_valid():
    config = load_config(REPO / "config.yaml")
    assert config.server.backend == "auto" and config.kiosk.client.server_urls


def test_unknown_key_is_named_with_the_allowed_keys(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("server:\n  limits:\n    max_queu: 3\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "server.limits.max_queu: unknown key" in str(info.value)
    assert "max_queue" in str(info.value)


def test_bad_value_names_the_allowed_values(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("server:\n  backend: acgpnn\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "server.backend" in str(info.value) and "'embedded'" in str(info.value)


def test_server_refuses_to_start_on_a_bad_config(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("server:\n  port: seventy\n")
    run = subprocess.run([sys.executable, "-m", "server", "--config", str(path)], capture_output=True, text=True,
                         timeout=120, cwd=REPO)
    assert run.returncode == 2
    assert "server.port" in run.stderr
