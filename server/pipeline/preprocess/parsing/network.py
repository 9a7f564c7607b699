"""The learned human parser's network: a small U-Net (Ronneberger et al., MICCAI 2015) that maps a 3:4 person
crop and what MediaPipe saw in it to LIP-20 logits (`server.pipeline.unet`).

Input channels (`parser_channels`): the RGB crop, and for the "photo + MediaPipe" variant the person mask, one
Gaussian heat map per COCO-18 keypoint and the face-mesh hull.
"""
from __future__ import annotations

from server.pipeline.unet import UNet
from server.pipeline.vocabulary import Coco18, Lip

LIP_CLASSES = len(Lip)
POSE_CHANNELS = len(Coco18)
INPUTS = {
    "photo": 3,  # RGB
    "photo+mediapipe": 3 + 1 + POSE_CHANNELS + 1,  # RGB, person mask, COCO-18 heat maps, face hull
}


class ParserNet(UNet):
    """`UNet` with one output per LIP-20 label."""

    def __init__(self, in_channels: int, widths: tuple[int, ...] = (16, 32, 48, 96, 128),
                 classes: int = LIP_CLASSES) -> None:
        super().__init__(in_channels, widths, classes)
