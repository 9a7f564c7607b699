"""The try-on server's API (server/openapi.yaml) as Python calls.

One `requests.Session` with urllib3 `Retry`: connect errors and 502/503/504 are retried with exponential
backoff, honouring a short `Retry-After`; a longer one comes back at once as `ServerBusy`, so the screen can
show the wait instead of a frozen "sending". Several server URLs are tried in order; the last one that answered is
tried first next time. Every try-on carries a fresh request id (`X-Request-ID`) that the server logs.
"""
from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import InvalidHeader, MaxRetryError, ResponseError
from urllib3.util import Retry

from common.config.kiosk import ClientConfig
from kiosk.client.errors import RequestRejected, ServerBusy, ServerUnreachable
from kiosk.client.images import decode_image_b64, decode_image_bytes, encode_jpeg_b64

log = logging.getLogger(__name__)

RETRY_STATUSES = (502, 503, 504)
DEFAULT_RETRY_AFTER_S = 5.0
# Within one call, wait for a Retry-After of at most this long; a longer wait (e.g. a server whose model is
# unavailable says 30 s) comes back as ServerBusy at once and the GUI counts it down on screen.
MAX_RETRY_AFTER_WAIT_S = 5


class _ShortWaitRetry(Retry):
    """urllib3's Retry, except that an answer asking for more than `retry_after_max` seconds ends the retries.

    urllib3 itself caps such a wait at retry_after_max and still sleeps it inside the call, once per retry:
    a try-on would block for retries x retry_after_max before the screen says anything.
    """

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        value = response.headers.get("Retry-After") if response is not None else None
        if value:
            try:
                asked = self.new(retry_after_max=2**31).parse_retry_after(value)
            except InvalidHeader:
                asked = 0.0
            if asked > self.retry_after_max:  # the pool hands this response back (raise_on_status=False)
                raise MaxRetryError(_pool, url, ResponseError(f"Retry-After {value} is longer than we wait"))
        return super().increment(method, url, response, error, _pool, _stacktrace)


@dataclass(frozen=True)
class Garment:
    id: str
    name: str
    category: str
    price: str | None
    thumbnail_url: str

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> Garment:
        return cls(item["id"], item["name"], item["category"], item.get("price"), item["thumbnail_url"])

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "category": self.category, "price": self.price,
                "thumbnail_url": self.thumbnail_url}


@dataclass(frozen=True)
class TryOnReply:
    image: np.ndarray  # RGB uint8, the shopper wearing the garment
    garment_id: str | None
    backend: str
    request_id: str
    timings_ms: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


class TryOnClient:
    """Thread-safe enough for the kiosk: one worker thread calls it at a time per request."""

    def __init__(self, config: ClientConfig) -> None:
        self.config = config
        self.urls = [u.rstrip("/") for u in config.server_urls]
        self._good = 0  # index of the last URL that answered
        self._lock = threading.Lock()
        self.session = requests.Session()
        retry = _ShortWaitRetry(
            total=config.retries,
            connect=config.retries,
            read=0,  # a read timeout on POST /v1/tryon may mean it is being worked on: don't send it twice
            status=config.retries,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=frozenset({"GET", "POST"}),  # a 503 answer means the try-on was not started
            backoff_factor=config.backoff_s,
            respect_retry_after_header=True,
            retry_after_max=MAX_RETRY_AFTER_WAIT_S,
            raise_on_status=False,  # we read the last 503 ourselves for its Retry-After
        )
        adapter = HTTPAdapter(max_retries=retry, pool_connections=2, pool_maxsize=4)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        if config.auth_token:
            self.session.headers["Authorization"] = f"Bearer {config.auth_token}"
        self.timeout = (config.connect_timeout_s, config.read_timeout_s)

    @property
    def active_url(self) -> str:
        """The server tried first: the last one that answered."""
        with self._lock:
            return self.urls[self._good]

    # ---- API calls -------------------------------------------------------------------------------------
    def garments(self) -> list[Garment]:
        body = self._request("GET", "/v1/garments").json()
        return [Garment.from_json(item) for item in body["garments"]]

    def thumbnail(self, garment: Garment) -> bytes:
        """The thumbnail JPEG bytes (validated as an image)."""
        data = self._request("GET", garment.thumbnail_url).content
        decode_image_bytes(data)
        return data

    def try_on(self, person_rgb: np.ndarray, garment_id: str, *, request_id: str | None = None) -> TryOnReply:
        request_id = request_id or uuid.uuid4().hex
        payload = {
            "person_image": encode_jpeg_b64(
                person_rgb, max_side=self.config.upload_max_side, quality=self.config.upload_jpeg_quality
            ),
            "garment_id": garment_id,
        }
        response = self._request("POST", "/v1/tryon", json=payload, headers={"X-Request-ID": request_id})
        body = response.json()
        return TryOnReply(
            image=decode_image_b64(body["image"]),
            garment_id=body.get("garment_id"),
            backend=body["backend"],
            request_id=body.get("request_id", request_id),
            timings_ms=dict(body.get("timings_ms", {})),
            warnings=list(body.get("warnings", [])),
        )

    def close(self) -> None:
        self.session.close()

    # ---- transport -------------------------------------------------------------------------------------
    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send to the last good server first, then the others; raise a typed error when none will do."""
        with self._lock:
            start = self._good
        order = [(start + i) % len(self.urls) for i in range(len(self.urls))]
        failures: list[str] = []
        for index in order:
            url = self.urls[index] + path if path.startswith("/") else path
            try:
                response = self.session.request(method, url, timeout=self.timeout, **kwargs)
            except requests.Timeout as exc:
                failures.append(f"{self.urls[index]}: timed out ({type(exc).__name__})")
                continue
            except requests.ConnectionError as exc:
                failures.append(f"{self.urls[index]}: {_reason(exc)}")
                continue
            with self._lock:
                self._good = index
            return self._check(response)
        log.warning("no server answered %s %s: %s", method, path, "; ".join(failures))
        raise ServerUnreachable("; ".join(failures))

    @staticmethod
    def _check(response: requests.Response) -> requests.Response:
        if response.status_code < 400:
            return response
        code, message = _error_body(response)
        if response.status_code in RETRY_STATUSES:
            raise ServerBusy(message, _retry_after(response), code)
        raise RequestRejected(response.status_code, code, message)


def _error_body(response: requests.Response) -> tuple[str, str]:
    try:
        error = response.json()["error"]
        return str(error["code"]), str(error["message"])
    except (ValueError, KeyError, TypeError):
        return f"http_{response.status_code}", response.reason or "the server refused the request"


def _retry_after(response: requests.Response) -> float:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return DEFAULT_RETRY_AFTER_S


def _reason(exc: requests.ConnectionError) -> str:
    """The innermost cause ('Connection refused'), not urllib3's nested repr."""
    cause: BaseException = exc
    while cause.__cause__ is not None or (cause.args and isinstance(cause.args[0], BaseException)):
        cause = cause.__cause__ or cause.args[0]
    return str(cause).split(": ", 1)[-1] if str(cause) else type(cause).__name__
