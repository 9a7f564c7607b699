"""The learned try-on, trained by this project: the classical warp of the garment at full resolution, and a small
network that decides what of it to keep and renders the skin, arms and background around it."""
from server.pipeline.backends.learned.backend import LearnedBackend

__all__ = ["LearnedBackend"]
