"""U's localisation network: a small CNN that regresses the 25 TPS control points (official classes `CNN` and
`BoundedGridLocNet` in ACGPN_inference/models/networks.py; layer table in docs/acgpn.md, "U")."""
from __future__ import annotations

import torch
from torch import nn

from server.pipeline.acgpn.unet import instance_norm

NUM_CONTROL_POINTS = 25


class LocalizationCNN(nn.Module):
    """Official `CNN`: 6 stride-2 4×4 convs (8→256 ch) + 2 3×3 convs, max-pool, fc 512→128→50.

    The first block applies ReLU before InstanceNorm (as the published network does); the others Conv-IN-ReLU.
    """

    def __init__(self, input_nc: int = 1 + 1 + 3) -> None:  # Em, Md, Cin
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(input_nc, 8, 4, 2, 1), nn.ReLU(), instance_norm(8)]
        for c_in, c_out in ((8, 16), (16, 32), (32, 64), (64, 128), (128, 256)):
            layers += [nn.Conv2d(c_in, c_out, 4, 2, 1), instance_norm(c_out), nn.ReLU()]
        for _ in range(2):
            layers += [nn.Conv2d(256, 256, 3, 1, 1), instance_norm(256), nn.ReLU()]
        self.model = nn.Sequential(*layers)
        self.pool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(512, 128)
        self.drop = nn.Dropout(0.5)  # training only
        self.fc2 = nn.Linear(128, 2 * NUM_CONTROL_POINTS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, 5, 256, 192) → (B, 50) unbounded control-point regressions."""
        f = self.pool(self.model(x))                              # (B, 256, 2, 1)
        f = torch.relu(self.fc1(f.flatten(1)))                    # (B, 128)
        return self.fc2(self.drop(f))                             # (B, 50)


class BoundedGridLocNet(nn.Module):
    """Official `BoundedGridLocNet`: tanh bounds every regressed control point to [-1, 1]."""

    def __init__(self) -> None:
        super().__init__()
        self.cnn = LocalizationCNN()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, 5, 256, 192) → (B, 25, 2) control points (x, y) in normalised coordinates."""
        return torch.tanh(self.cnn(x)).view(x.shape[0], NUM_CONTROL_POINTS, 2)
