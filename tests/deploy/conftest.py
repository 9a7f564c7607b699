"""Helpers for the deployment tests: running setup.sh into a temporary root, listening like systemd."""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import struct
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PREFIX = "/opt/fitting-booth"


def run_setup(source: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """source/setup.sh with these arguments; its output is kept for the assertion messages."""
    result = subprocess.run([str(source / "setup.sh"), *args], capture_output=True, text=True, timeout=900)
    if check:
        assert result.returncode == 0, f"setup.sh {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def tree_manifest(root: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Every file, folder and link under root with its mode and content hash (or link target)."""
    manifest = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if any(rel == s or rel.startswith(s + "/") for s in skip):
            continue
        if path.is_symlink():
            manifest[rel] = "-> " + os.readlink(path)
        elif path.is_dir():
            manifest[rel] = f"dir {path.stat().st_mode:o}"
        else:
            manifest[rel] = f"{path.stat().st_mode:o} {hashlib.sha256(path.read_bytes()).hexdigest()}"
    return manifest


def staged_unit(unit_text: str, destdir: Path, venv: Path) -> str:
    """The installed unit with its paths pointing where the files really are: the app inside the staging
    root and the given venv, so systemd-analyze can check the commands exist."""
    return re.sub(re.escape(PREFIX) + r"(/venv)?",
                  lambda m: str(venv) if m.group(1) else f"{destdir}{PREFIX}", unit_text)


@pytest.fixture(scope="session")
def source(tmp_path_factory) -> Path:
    """A snapshot of the checkout's files to install from, so that edits made in the working tree while
    the tests run (several people share it) cannot make two installs differ."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, timeout=60)
    if listed.returncode != 0:
        pytest.skip("not a git checkout: the snapshot of the sources needs `git ls-files`")
    snapshot = tmp_path_factory.mktemp("source")
    for name in listed.stdout.decode().split("\0"):
        if name and (REPO / name).is_file():
            (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, snapshot / name)
    # A git checkout, as installs are made from (setup.sh copies the tracked files).
    for command in (["git", "init", "-q"], ["git", "add", "-A"]):
        subprocess.run(command, cwd=snapshot, check=True, capture_output=True, timeout=60)
    return snapshot


@pytest.fixture(scope="session")
def systemd_analyze() -> str:
    path = shutil.which("systemd-analyze")
    if path is None:
        pytest.skip("systemd-analyze is not installed (Debian package 'systemd')")
    return path


@dataclass
class Notification:
    at: float
    pid: int
    fields: dict[str, str]


class NotifySocket:
    """A Unix datagram socket standing in for systemd's $NOTIFY_SOCKET. SO_PASSCRED makes the kernel
    attach the sender's pid to each message, as systemd sees it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.received: list[Notification] = []

    def receive(self, timeout: float) -> Notification | None:
        self.sock.settimeout(timeout)
        try:
            data, ancillary, _, _ = self.sock.recvmsg(4096, socket.CMSG_SPACE(struct.calcsize("3i")))
        except TimeoutError:
            return None
        pid = -1
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("3i", payload)[0]
        fields = dict(line.split("=", 1) for line in data.decode().splitlines() if "=" in line)
        message = Notification(time.monotonic(), pid, fields)
        self.received.append(message)
        return message

    def wait_for(self, key: str, timeout: float) -> Notification | None:
        """Receive until a message carrying `key` arrives (kept in .received with all before it)."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            message = self.receive(left)
            if message is not None and key in message.fields:
                return message
        return None

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def notify_socket(tmp_path: Path):
    listener = NotifySocket(tmp_path / "notify.sock")
    yield listener
    listener.close()
