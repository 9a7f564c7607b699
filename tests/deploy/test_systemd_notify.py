"""server/systemd_notify.py talks to a real notify socket through systemd-python."""
from __future__ import annotations

import os

import pytest

from server import systemd_notify


@pytest.fixture
def notify_env(notify_socket, monkeypatch):
    monkeypatch.setenv("NOTIFY_SOCKET", str(notify_socket.path))
    return notify_socket


def test_systemd_python_is_installed_by_setup():
    assert systemd_notify.available(), "setup.sh --dev installs systemd-python==235; rerun it"


def test_notify_sends_all_assignments_in_one_datagram(notify_env):
    assert systemd_notify.notify("READY=1", "STATUS=warm") is True
    message = notify_env.receive(timeout=5)
    assert message.fields == {"READY": "1", "STATUS": "warm"} and message.pid == os.getpid()


def test_notify_without_systemd_is_a_quiet_no_op(monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert systemd_notify.notify("READY=1") is False


def test_notify_survives_a_vanished_socket(notify_env):
    notify_env.close()
    notify_env.path.unlink()
    assert systemd_notify.notify("WATCHDOG=1") is False


@pytest.mark.parametrize("usec, expected", [("3000000", 1.0), ("0", None), ("", None), ("junk", None)])
def test_ping_interval_is_a_third_of_watchdog_sec(monkeypatch, usec, expected):
    monkeypatch.setenv("WATCHDOG_USEC", usec)
    assert systemd_notify.watchdog_interval_s() == expected


def test_master_ready_is_held_back_until_released(notify_env, monkeypatch):
    systemd_notify.hold_back_master_ready()
    assert "NOTIFY_SOCKET" not in os.environ
    assert systemd_notify.notify("READY=1") is False  # what gunicorn's premature READY=1 meets
    systemd_notify.release_notify_socket()
    assert os.environ["NOTIFY_SOCKET"] == str(notify_env.path)


def test_watchdog_pings_only_while_healthy(notify_env):
    healthy = {"now": True}
    pinger = systemd_notify.WatchdogPinger(lambda: healthy["now"], interval_s=0.05)
    pinger.start()
    try:
        assert notify_env.wait_for("WATCHDOG", timeout=5) is not None
        healthy["now"] = False
        status = notify_env.wait_for("STATUS", timeout=5)
        assert status is not None and "unhealthy" in status.fields["STATUS"]
        # Drain what was in flight, then nothing more may come while unhealthy.
        while notify_env.receive(timeout=0.3) is not None:
            pass
        assert notify_env.receive(timeout=0.5) is None
        healthy["now"] = True
        assert notify_env.wait_for("WATCHDOG", timeout=5) is not None
    finally:
        pinger.stop()


def test_a_health_check_that_raises_counts_as_unhealthy(notify_env):
    def broken() -> bool:
        raise RuntimeError("service object gone")

    pinger = systemd_notify.WatchdogPinger(broken, interval_s=0.05)
    pinger.start()
    try:
        status = notify_env.wait_for("STATUS", timeout=5)
        assert "service object gone" in status.fields["STATUS"]
        assert not any("WATCHDOG" in m.fields for m in notify_env.received)
    finally:
        pinger.stop()
