"""ImageNet VGG16 features (Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image
Recognition", ICLR 2015) for a perceptual training loss (Johnson et al., "Perceptual Losses for Real-Time
Style Transfer and Super-Resolution", ECCV 2016). The weights are the convolution base of Keras' ImageNet
VGG16 (`keras.applications.VGG16`, github.com/keras-team/keras-applications, vgg16.py; the authors' weights,
CC BY 4.0, Visual Geometry Group, Oxford): a float16 .npz of block1_conv1 … block4_conv3, keyed
"<Keras layer name>.weight" / ".bias" in PyTorch's Conv2d layout, for inputs in Keras' "caffe" convention
(BGR, 0..255, mean subtracted). Training only: the try-on never runs it.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

# The converted Keras weights described above, where the training data lives (not in the repository).
DEFAULT_WEIGHTS = Path(__file__).resolve().parents[2].parent / "shared" / "models" / "vgg16_imagenet_to_relu4_3.npz"
# Blocks up to relu3_3 (the deeper ones cost most and add little at 256×192): (name, in, out) per conv.
CONVS = (("block1_conv1", 3, 64), ("block1_conv2", 64, 64),
         ("block2_conv1", 64, 128), ("block2_conv2", 128, 128),
         ("block3_conv1", 128, 256), ("block3_conv2", 256, 256), ("block3_conv3", 256, 256))
TAPS = ("block1_conv2", "block2_conv2", "block3_conv3")  # their ReLU outputs: relu1_2, relu2_2, relu3_3
POOL_AFTER = ("block1_conv2", "block2_conv2")
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)


class Vgg16Loss(nn.Module):
    """L1 between VGG16 relu1_2, relu2_2 and relu3_3 features of two RGB images in [-1, 1], each relative to
    the target's mean feature size (the three taps count alike), averaged."""

    mean: torch.Tensor  # (1, 3, 1, 1) Caffe BGR mean

    def __init__(self, weights: Path = DEFAULT_WEIGHTS) -> None:
        super().__init__()
        blob = np.load(weights)
        self.convs = nn.ModuleDict({name: nn.Conv2d(c_in, c_out, 3, padding=1) for name, c_in, c_out in CONVS})
        keys = [f"{name}.{kind}" for name, _, _ in CONVS for kind in ("weight", "bias")]
        self.convs.load_state_dict({key: torch.from_numpy(blob[key].astype(np.float32)) for key in keys})
        self.requires_grad_(False)
        self.register_buffer("mean", torch.tensor(CAFFE_MEAN_BGR).view(1, 3, 1, 1))

    def features(self, rgb: torch.Tensor) -> list[torch.Tensor]:
        x = (rgb + 1) * 127.5
        x = x.flip(1) - self.mean  # Keras "caffe" convention: BGR, 0..255, mean subtracted
        taps = []
        for name, conv in self.convs.items():
            x = F.relu(conv(x))
            if name in TAPS:
                taps.append(x)
            if name in POOL_AFTER:
                x = F.max_pool2d(x, 2)
        return taps

    def forward(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        with torch.autocast("cpu", torch.bfloat16):
            both = self.features(torch.cat([output, target]))
        total = output.new_zeros(())
        for feature in both:
            ours, theirs = feature.float().chunk(2)
            theirs = theirs.detach()
            total = total + (ours - theirs).abs().mean() / (theirs.abs().mean() + 1e-6)
        return total / len(both)
