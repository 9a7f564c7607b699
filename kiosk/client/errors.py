"""What can go wrong talking to the server, typed so the GUI can say it in a shopper's words."""
from __future__ import annotations


class ClientError(Exception):
    """Base of every client failure."""


class ServerUnreachable(ClientError):
    """No configured server answered (connection refused, DNS, network down, or timed out)."""


class ServerBusy(ClientError):
    """The server answered 502/503/504: its queue is full (`code` "busy"), it is still warming up
    ("not_ready"), its model is unavailable ("backend_unavailable"), or it timed out. Try again after
    `retry_after` s."""

    def __init__(self, message: str, retry_after: float, code: str = "busy") -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.code = code


class RequestRejected(ClientError):
    """The server refused this request (4xx). `message` is written for the shopper or staff
    (for no_person / bad_framing it is framing advice)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
