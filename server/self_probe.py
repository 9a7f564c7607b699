"""Asking the server's own listening socket for /livez, the way a client would.

The systemd watchdog must notice when the server can no longer answer, not only when a worker's loop has
stopped: connections that send their request slowly can hold every request thread while the worker itself
is fine. So the watchdog pings only while a real request through the listener gets its answer in time.
"""
from __future__ import annotations

import http.client
import socket


class _UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over a Unix socket (gunicorn bound to unix:/path)."""

    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


def connection_to(family: int, address, timeout_s: float) -> http.client.HTTPConnection:
    """A connection to a listener's address (a wildcard address is reached over loopback)."""
    if family == socket.AF_UNIX:
        return _UnixHTTPConnection(address, timeout_s)
    host, port = address[0], address[1]
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return http.client.HTTPConnection(host, port, timeout=timeout_s)


def livez_answers(family: int, address, timeout_s: float) -> bool:
    """True when GET /livez on that listener answers 200 within `timeout_s` seconds."""
    connection = connection_to(family, address, timeout_s)
    try:
        connection.request("GET", "/livez", headers={"Connection": "close", "User-Agent": "tryon-watchdog"})
        return connection.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()
