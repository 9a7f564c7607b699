"""The systemd units pass `systemd-analyze verify` as installed, and the server's sandbox stays tight."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.conftest import REPO, run_setup, staged_unit

VENV = Path(sys.executable).parent.parent  # the venv running the tests has gunicorn and python


def _verify(systemd_analyze: str, unit: Path, *, user: bool, runtime_dir: Path) -> subprocess.CompletedProcess:
    command = [systemd_analyze, *(["--user"] if user else []), "verify", str(unit)]
    # The user manager needs a runtime dir even offline.
    env = {"PATH": "/usr/bin:/bin", "XDG_RUNTIME_DIR": str(runtime_dir)}
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)


@pytest.fixture(scope="module")
def staged_root(source, tmp_path_factory) -> Path:
    destdir = tmp_path_factory.mktemp("root")
    run_setup(source, "--server", "--install", "--destdir", str(destdir), "--no-venv")
    run_setup(source, "--kiosk", "--install", "--destdir", str(destdir), "--no-venv")
    return destdir


@pytest.fixture
def runtime_dir(tmp_path: Path) -> Path:
    path = tmp_path / "run"
    path.mkdir(mode=0o700)
    return path


@pytest.mark.parametrize("unit, user", [
    ("etc/systemd/system/tryon-server.service", False),
    ("etc/systemd/user/tryon-kiosk.service", True),
])
def test_installed_unit_passes_systemd_analyze_verify(systemd_analyze, staged_root, tmp_path, runtime_dir, unit, user):
    installed = staged_root / unit
    checked = tmp_path / installed.name
    checked.write_text(staged_unit(installed.read_text(), staged_root, VENV))
    result = _verify(systemd_analyze, checked, user=user, runtime_dir=runtime_dir)
    # verify exits 0 on unknown keys and only warns, so its output must be empty too.
    assert result.returncode == 0 and not result.stdout.strip() and not result.stderr.strip(), result.stderr


def test_verify_reports_a_unit_whose_program_is_missing(systemd_analyze, staged_root, runtime_dir):
    """The check above can fail: the installed unit names /opt/fitting-booth/venv, absent here."""
    result = _verify(systemd_analyze, staged_root / "etc/systemd/system/tryon-server.service", user=False,
                     runtime_dir=runtime_dir)
    assert result.returncode != 0
    assert "/opt/fitting-booth/venv/bin/gunicorn" in result.stderr


def test_server_unit_exposure_score_stays_at_most_2(systemd_analyze, tmp_path):
    """`systemd-analyze security` scores 0 (locked down) to 10 (unsandboxed); the unit scores 1.5 now."""
    result = subprocess.run(
        [systemd_analyze, "security", "--offline=true", "--threshold=20", "--no-pager",
         str(REPO / "systemd/tryon-server.service")],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    assert "Overall exposure level for tryon-server.service" in result.stdout


def _run_session_script(tmp_path: Path, *, enabled: bool, display_env: dict[str, str]) -> list[str]:
    """Run systemd/tryon-kiosk-session with a `systemctl` that records its arguments."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls"
    fake = bin_dir / "systemctl"
    fake.write_text(f'#!/bin/sh\necho "$*" >> {calls}\n'
                    f'case "$*" in *is-enabled*) exit {0 if enabled else 1};; esac\n')
    fake.chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", **display_env}
    result = subprocess.run([str(REPO / "systemd/tryon-kiosk-session")], env=env, capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 0, result.stderr
    return calls.read_text().splitlines() if calls.exists() else []


def test_desktop_autostart_hands_the_display_to_the_user_manager_then_starts_the_kiosk(tmp_path):
    calls = _run_session_script(tmp_path, enabled=True, display_env={"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"})
    assert calls == [
        "--user --quiet is-enabled tryon-kiosk.service",
        "--user import-environment DISPLAY",
        "--user import-environment WAYLAND_DISPLAY",
        "--user start tryon-kiosk.service",
    ]


def test_desktop_autostart_leaves_a_disabled_kiosk_alone(tmp_path):
    calls = _run_session_script(tmp_path, enabled=False, display_env={"DISPLAY": ":0"})
    assert calls == ["--user --quiet is-enabled tryon-kiosk.service"]
