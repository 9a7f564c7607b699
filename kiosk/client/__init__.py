"""HTTP client for the try-on server (server/openapi.yaml), with retries, timeouts and failover."""
from kiosk.client.api import Garment, TryOnClient, TryOnReply
from kiosk.client.errors import ClientError, RequestRejected, ServerBusy, ServerUnreachable

__all__ = [
    "ClientError",
    "Garment",
    "RequestRejected",
    "ServerBusy",
    "ServerUnreachable",
    "TryOnClient",
    "TryOnReply",
]
