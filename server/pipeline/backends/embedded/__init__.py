"""The embedded try-on: a classical thin-plate-spline garment warp with shading and compositing."""
from server.pipeline.backends.embedded.backend import EmbeddedBackend

__all__ = ["EmbeddedBackend"]
