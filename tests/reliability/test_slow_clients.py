"""The production server as installed (gunicorn with server/gunicorn.conf.py on loopback, behind nginx with
nginx/tryon-server.conf) against clients that send their requests slowly, with systemd's watchdog played
by a notify socket. One gunicorn lifetime (one model load) for the whole story:

1. a malformed chunked body sent to gunicorn is a JSON 400, not a 500 with a traceback;
2. 10 slow connections straight to gunicorn hold every request thread: /livez stops answering, and the
   watchdog pings stop with it (they used to go on);
3. 50 slow connections held for 60 s against nginx in front: a kiosk's try-ons and /livez answer in their
   usual time throughout, and the watchdog keeps being fed.
"""
from __future__ import annotations

import shutil
import socket
import statistics
import time

import pytest
import requests

from tests.deploy.conftest import NotifySocket
from tests.reliability.servers import (
    FRONT_TEMPLATE,
    NginxProcess,
    ServerProcess,
    SlowClients,
    small_person_jpeg,
    tryon_payload,
    write_config,
)

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed (apt install nginx)")]

HOLD_S = 60
WATCHDOG_USEC = 3_000_000  # pings every second (a third of it)


def _timed(call) -> tuple[float, requests.Response | None]:
    started = time.monotonic()
    try:
        response = call()
    except requests.RequestException:
        response = None
    return time.monotonic() - started, response


def _pings_within(notify_socket, seconds: float) -> int:
    deadline, pings = time.monotonic() + seconds, 0
    while (left := deadline - time.monotonic()) > 0:
        message = notify_socket.receive(left)
        if message is not None and "WATCHDOG" in message.fields:
            pings += 1
    return pings


@pytest.fixture
def notify_socket(tmp_path):
    """Stands in for systemd's $NOTIFY_SOCKET (READY=1, WATCHDOG=1 arrive here)."""
    listener = NotifySocket(tmp_path / "notify.sock")
    yield listener
    listener.close()


def test_slow_clients_cannot_take_the_production_server_down(tmp_path, notify_socket):
    server = ServerProcess(write_config(tmp_path, {}), gunicorn=True,
                           env={"NOTIFY_SOCKET": str(notify_socket.path), "WATCHDOG_USEC": str(WATCHDOG_USEC)})
    server.start()
    nginx = None
    try:
        assert notify_socket.wait_for("READY", timeout=300) is not None, server.log_tail()
        server.wait_ready()
        garment_id = requests.get(server.url + "/v1/garments", timeout=10).json()["garments"][0]["id"]
        payload = tryon_payload(small_person_jpeg(), garment_id)

        # 1. A malformed chunked body, straight to gunicorn.
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
            sock.sendall(b"POST /v1/tryon HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n")
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
        assert b'"invalid_request"' in answer

        # 2. Straight to gunicorn, 10 slow connections are enough to stop it; the watchdog notices.
        assert _pings_within(notify_socket, 3) >= 2, "pings before the attack"
        direct = SlowClients(server.port, 10).start()
        try:
            time.sleep(2)
            took, answered = _timed(lambda: requests.get(server.url + "/livez", timeout=3))
            assert answered is None, "gunicorn alone answered under 10 slow connections"
            time.sleep(2)  # the probe in flight times out
            assert _pings_within(notify_socket, 4) == 0, "the watchdog was fed while the server could not answer"
        finally:
            direct.stop()
        assert _pings_within(notify_socket, 5) >= 2, "pings resume once the server answers again"

        # 3. nginx in front, as installed: 50 slow connections held for 60 s.
        nginx = NginxProcess([f"127.0.0.1:{server.port}"], tmp_path / "nginx", template=FRONT_TEMPLATE).start()
        usual_tryon = [_timed(lambda: requests.post(nginx.url + "/v1/tryon", json=payload, timeout=60))
                       for _ in range(3)]
        assert all(r is not None and r.status_code == 200 for _, r in usual_tryon)
        usual_s = max(took for took, _ in usual_tryon)

        attack = SlowClients(nginx.port, 50).start()
        livez, tryons, pings = [], [], 0
        try:
            ends = time.monotonic() + HOLD_S
            while time.monotonic() < ends:
                livez.append(_timed(lambda: requests.get(nginx.url + "/livez", timeout=10)))
                tryons.append(_timed(lambda: requests.post(nginx.url + "/v1/tryon", json=payload, timeout=60)))
                pings += _pings_within(notify_socket, 1.0)
        finally:
            attack.stop()
        print(f"\n50 slow connections for {HOLD_S} s: {attack.opened} opened, {attack.dropped} dropped by nginx; "
              f"/livez max {max(t for t, _ in livez) * 1000:.0f} ms; try-ons {len(tryons)}, "
              f"median {statistics.median(t for t, _ in tryons):.2f} s, max {max(t for t, _ in tryons):.2f} s "
              f"(before the attack: max {usual_s:.2f} s); watchdog pings {pings}")
        assert all(r is not None and r.status_code == 200 for _, r in livez + tryons)
        assert max(t for t, _ in livez) < 1.0
        assert max(t for t, _ in tryons) < max(3 * usual_s, usual_s + 2.0)
        assert pings >= len(tryons) // 2, "the watchdog kept being fed"
    finally:
        if nginx is not None:
            nginx.stop()
        server.stop()
    assert "Traceback" not in server.log_tail(200_000)
