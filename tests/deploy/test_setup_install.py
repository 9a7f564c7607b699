"""`setup.sh --server/--kiosk --install` into a temporary root (--destdir): layout, config kept on
upgrade, idempotence, uninstall. These use --no-venv (files, config and units only); test_full_install.py
builds the virtual environments too."""
from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from common.config import load_config
from tests.deploy.conftest import PREFIX, run_setup, tree_manifest


@pytest.fixture
def server_root(source: Path, tmp_path: Path) -> Path:
    run_setup(source, "--server", "--install", "--destdir", str(tmp_path), "--no-venv")
    return tmp_path


@pytest.fixture
def kiosk_root(source: Path, tmp_path: Path) -> Path:
    run_setup(source, "--kiosk", "--install", "--destdir", str(tmp_path), "--no-venv")
    return tmp_path


def test_server_install_puts_app_unit_and_enablement_in_place(server_root):
    unit = server_root / "etc/systemd/system/tryon-server.service"
    assert (f"ExecStart={PREFIX}/venv/bin/gunicorn -c {PREFIX}/app/server/gunicorn.conf.py -b 127.0.0.1:8001 "
            "server.wsgi:app") in unit.read_text()
    wants = server_root / "etc/systemd/system/multi-user.target.wants/tryon-server.service"
    assert wants.is_symlink() and str(wants.readlink()) == "/etc/systemd/system/tryon-server.service"
    app = server_root / PREFIX.lstrip("/") / "app"
    assert (app / "server/gunicorn.conf.py").is_file() and (app / "server/wsgi.py").is_file()
    assert not (app / "tests").exists() and not (app / ".git").exists()


def test_server_install_puts_nginx_in_front_of_gunicorn(server_root):
    """Slow clients (issue 13): the LAN port is nginx's; gunicorn listens on loopback only, where nginx sends
    whole requests."""
    site = (server_root / "etc/nginx/conf.d/tryon-server.conf").read_text()
    assert re.search(r"^\s*listen 8000;", site, re.M)
    assert re.search(r"^\s*server 127\.0\.0\.1:8001;", site, re.M)
    assert re.search(r"^\s*client_header_timeout \d+s;", site, re.M)
    unit = (server_root / "etc/systemd/system/tryon-server.service").read_text()
    assert "-b 127.0.0.1:8001 " in unit and "0.0.0.0" not in unit


def test_server_config_listens_behind_nginx_caches_where_systemd_allows_and_is_root_only(server_root):
    config_path = server_root / "etc/fitting-booth/config.yaml"
    config = load_config(config_path).server
    assert (config.host, config.port) == ("127.0.0.1", 8001)  # `python -m server` by hand takes nginx's place
    assert str(config.catalog.cache_dir) == "/var/cache/fitting-booth/catalog"  # the unit's CacheDirectory=
    assert stat.S_IMODE(config_path.stat().st_mode) == 0o600


def test_kiosk_install_enables_the_user_unit_for_the_desktop_session(kiosk_root):
    assert (kiosk_root / "etc/systemd/user/tryon-kiosk.service").is_file()
    wants = kiosk_root / "etc/systemd/user/graphical-session.target.wants/tryon-kiosk.service"
    assert wants.is_symlink()
    autostart = (kiosk_root / "etc/xdg/autostart/tryon-kiosk.desktop").read_text()
    assert f"Exec={PREFIX}/app/systemd/tryon-kiosk-session" in autostart
    session_script = kiosk_root / PREFIX.lstrip("/") / "app/systemd/tryon-kiosk-session"
    assert session_script.stat().st_mode & stat.S_IXUSR
    config_path = kiosk_root / "etc/fitting-booth/config.yaml"
    assert stat.S_IMODE(config_path.stat().st_mode) == 0o644  # the desktop user reads it


def test_second_install_changes_nothing(source, server_root):
    before = tree_manifest(server_root)
    result = run_setup(source, "--server", "--install", "--destdir", str(server_root), "--no-venv")
    assert tree_manifest(server_root) == before
    assert "wrote" not in result.stdout


def test_upgrade_keeps_the_edited_config(source, server_root):
    config_path = server_root / "etc/fitting-booth/config.yaml"
    edited = config_path.read_text().replace("port: 8001", "port: 8123")
    assert edited != config_path.read_text()
    config_path.write_text(edited)
    (server_root / "etc/fitting-booth/config.yaml.default").unlink()
    result = run_setup(source, "--server", "--install", "--destdir", str(server_root), "--no-venv")
    assert config_path.read_text() == edited
    assert "kept your /etc/fitting-booth/config.yaml" in result.stdout
    assert (server_root / "etc/fitting-booth/config.yaml.default").is_file()  # this version's defaults


def test_uninstall_removes_units_and_app_but_keeps_config(source, server_root):
    run_setup(source, "--kiosk", "--install", "--destdir", str(server_root), "--no-venv")
    result = run_setup(source, "--uninstall", "--destdir", str(server_root))
    remaining = sorted(str(p.relative_to(server_root)) for p in server_root.rglob("*") if not p.is_dir())
    assert remaining == ["etc/fitting-booth/config.yaml", "etc/fitting-booth/config.yaml.default"]
    assert "kept /etc/fitting-booth" in result.stdout


def test_prefix_is_written_into_units_and_autostart(source, tmp_path):
    for mode in ("--server", "--kiosk"):
        run_setup(source, mode, "--install", "--prefix", "/srv/booth", "--destdir", str(tmp_path), "--no-venv")
    texts = [(tmp_path / p).read_text() for p in ("etc/systemd/system/tryon-server.service",
                                                   "etc/systemd/user/tryon-kiosk.service",
                                                   "etc/xdg/autostart/tryon-kiosk.desktop")]
    assert all("/srv/booth/" in t and PREFIX not in t for t in texts)
    assert (tmp_path / "srv/booth/app/server/gunicorn.conf.py").is_file()


@pytest.mark.parametrize("args", [["--prefix", "relative/dir"], ["--prefix", "/"], ["--dev"]])
def test_bad_install_requests_are_refused_without_touching_the_root(source, tmp_path, args):
    mode = [] if "--dev" in args else ["--server"]
    result = run_setup(source, *mode, "--install", *args, "--destdir", str(tmp_path / "root"), "--no-venv",
                       check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    assert not any((tmp_path / "root").rglob("*"))
