"""The real thing, into a temporary root: `setup.sh --server/--kiosk --install --destdir` with the virtual
environments built (a few minutes: the server's holds torch). A venv works only where it was built, so
these check it in place under the staging root."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.deploy.conftest import PREFIX, run_setup, staged_unit, tree_manifest

pytestmark = pytest.mark.slow


def _prefix(root: Path) -> Path:
    return root / PREFIX.lstrip("/")


@pytest.fixture(scope="module")
def installed(source, tmp_path_factory):
    """One real install per half for the whole module: {mode: staging root}."""
    roots: dict[str, Path] = {}

    def install(mode: str) -> Path:
        if mode not in roots:
            roots[mode] = tmp_path_factory.mktemp(mode) / "root"
            run_setup(source, f"--{mode}", "--install", "--destdir", str(roots[mode]))
        return roots[mode]

    return install


@pytest.mark.parametrize("mode, unit, user", [
    ("server", "etc/systemd/system/tryon-server.service", False),
    ("kiosk", "etc/systemd/user/tryon-kiosk.service", True),
])
def test_install_builds_a_venv_that_runs_the_unit_and_a_rerun_changes_nothing(
        source, tmp_path, systemd_analyze, installed, mode, unit, user):
    root = installed(mode)
    venv = _prefix(root) / "venv"

    # The unit as installed, pointed at the staged files, passes verify: its program exists and runs.
    checked = tmp_path / Path(unit).name
    checked.write_text(staged_unit((root / unit).read_text(), root, venv))
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    verify = subprocess.run([systemd_analyze, *(["--user"] if user else []), "verify", str(checked)],
                            capture_output=True, text=True, timeout=60,
                            env={"PATH": "/usr/bin:/bin", "XDG_RUNTIME_DIR": str(runtime)})
    assert verify.returncode == 0 and not verify.stderr.strip(), verify.stderr

    before = tree_manifest(root)
    rerun = run_setup(source, f"--{mode}", "--install", "--destdir", str(root))
    assert "is up to date" in rerun.stdout
    assert tree_manifest(root) == before


def test_installed_server_venv_has_systemd_python_and_reads_the_installed_config(tmp_path, installed):
    root = installed("server")
    venv, app = _prefix(root) / "venv", _prefix(root) / "app"
    probe = subprocess.run([str(venv / "bin/python"), "-c", "from server import systemd_notify; "
                            "assert systemd_notify.available(); import server; print(server.__file__)"],
                           capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip().startswith(str(app))  # the installed copy, not the checkout

    (tmp_path / "tiny_app.py").write_text("def app(environ, start_response):\n    return []\n")
    settings = subprocess.run(
        [str(venv / "bin/gunicorn"), "--print-config", "-c", str(app / "server/gunicorn.conf.py"), "tiny_app:app"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path),
             "TRYON_CONFIG": str(root / "etc/fitting-booth/config.yaml")},
    )
    assert settings.returncode == 0, settings.stderr
    assert "['127.0.0.1:8001']" in settings.stdout  # behind nginx; the unit passes the same with -b


def test_installed_server_venv_loads_the_whole_app(tmp_path, installed):
    """`gunicorn --check-config` imports server.wsgi:app, which loads and warms the models: every
    dependency the server needs came with `setup.sh --server` (the server extra and the pinned extras)."""
    root = installed("server")
    venv, app = _prefix(root) / "venv", _prefix(root) / "app"
    config = tmp_path / "config.yaml"
    config.write_text(f"server:\n  catalog:\n    cache_dir: {tmp_path / 'cache'}\n")
    result = subprocess.run(
        [str(venv / "bin/gunicorn"), "--check-config", "-c", str(app / "server/gunicorn.conf.py"), "server.wsgi:app"],
        capture_output=True, text=True, timeout=600, cwd=app,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TRYON_CONFIG": str(config)},
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_installed_kiosk_venv_runs_the_kiosk_entry_point(tmp_path, installed):
    venv = _prefix(installed("kiosk")) / "venv"
    result = subprocess.run([str(venv / "bin/python"), "-m", "kiosk", "--help"], capture_output=True, text=True,
                            timeout=120, cwd=tmp_path, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "--config" in result.stdout
