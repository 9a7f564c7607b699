"""Offline CPU preprocessing: pose (COCO-18), human parsing (LIP-20 → ACGPN-14), input checks, garment masks."""
from server.pipeline.preprocess.stage import Preprocessor

__all__ = ["Preprocessor"]
