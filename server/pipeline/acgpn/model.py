"""ACGPN's inference forward: SGM (G1, G2) → post-processing → CWM (U) → CFM (G).

The steps of the official `Pix2PixHDModel.forward` (ACGPN_inference/models/pix2pixHD_model.py) and of the
masks test.py prepares for it, in the same order (docs/acgpn.md, "The forward"). Works for any batch size
and on any device; the dtype is that of the loaded networks (float32 in production, float64 for the parity
proof). Every intermediate the parity kit checks is returned.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from server.pipeline.acgpn.checkpoints import AcgpnNetworks
from server.pipeline.acgpn.morphology import dilate_cross
from server.pipeline.vocabulary import ACGPN_CLASSES, Acgpn

# The labels G1's input layout paints as upper clothes (test.py's `all_clothes_label`).
MERGED_INTO_CLOTHES = (Acgpn.LEFT_ARM, Acgpn.RIGHT_ARM, Acgpn.NOISE)
MIN_SKIN_PIXELS = 10  # fewer original arm pixels than this: skin colour 0 (`ger_average_color`)


@dataclass
class AcgpnInputs:
    """Network-resolution inputs, NCHW, H×W = 256×192."""

    label: torch.Tensor  # (B, 1, H, W) person parsing L, ACGPN-14 labels (vocabulary.Acgpn)
    image: torch.Tensor  # (B, 3, H, W) person I in [-1, 1]
    color: torch.Tensor  # (B, 3, H, W) garment C in [-1, 1]
    edge: torch.Tensor  # (B, 1, H, W) garment mask E in [0, 1]
    pose: torch.Tensor  # (B, 18, H, W) pose map in [-1, 1]
    noise: tuple[torch.Tensor, torch.Tensor, torch.Tensor]  # z1, z2, z3, each (B, 1, H, W) {0, 1}


@dataclass
class AcgpnOutputs:
    g1_sigmoid: torch.Tensor  # (B, 14, H, W) sigmoid(G1)
    lp: torch.Tensor  # (B, 1, H, W) long, argmax of g1_sigmoid
    mc: torch.Tensor  # (B, 1, H, W) sigmoid(G2)
    md: torch.Tensor  # (B, 1, H, W) {0, 1} garment-as-worn mask given to U
    lf: torch.Tensor  # (B, 1, H, W) long, the layout G receives
    warped_cloth: torch.Tensor  # (B, 3, H, W)
    warped_mask: torch.Tensor  # (B, 1, H, W)
    cref: torch.Tensor  # (B, 3, H, W) refined warped garment
    output: torch.Tensor  # (B, 3, H, W) try-on in [-1, 1]


def one_hot(label: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """(B, 1, H, W) integer labels → (B, 14, H, W) one-hot."""
    b, _, h, w = label.shape
    out = torch.zeros((b, ACGPN_CLASSES, h, w), dtype=dtype, device=label.device)
    return out.scatter_(1, label.long(), 1.0)


def _eq(label: torch.Tensor, value: Acgpn, dtype: torch.dtype) -> torch.Tensor:
    return (label == value).to(dtype)


def _is_any(label: torch.Tensor, values: tuple[Acgpn, ...]) -> torch.Tensor:
    """Where `label` is one of `values` (bool, same shape)."""
    hit = torch.zeros_like(label, dtype=torch.bool)
    for value in values:
        hit |= label == value
    return hit


def skin_colour(arms: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
    """Mean colour of the original arms per sample (0 if < 10 pixels), as a (B, 3, H, W) constant map."""
    count = arms.sum(dim=(1, 2, 3))                                               # (B,)
    total = (arms * image).sum(dim=(2, 3))                                        # (B, 3)
    mean = torch.where(count[:, None] < MIN_SKIN_PIXELS, torch.zeros_like(total), total / count[:, None])
    return mean[:, :, None, None].expand_as(image)


class ACGPN(nn.Module):
    """The four loaded networks and the fixed steps between them."""

    def __init__(self, nets: AcgpnNetworks, *, channels_last: bool = False, bf16_after_g1: bool = False) -> None:
        """channels_last: NHWC weights and inputs (faster on some CPUs/GPUs, slower on others: measure).
        bf16_after_g1: store and run the three U-Nets after G1 (G2, U's refinement U-Net, G) in bfloat16 –
        about 2× faster on CPUs with AMX/AVX512-BF16 and on GPUs, half their memory. Not official: off for
        parity. G1, the loc-net and the TPS grid keep the model's dtype, so the layout and the warp geometry
        are unaffected. Fixed at construction (the float32 weights of those U-Nets are converted in place);
        move the model with `.to(device)` only, a later `.to(dtype)` would convert them back."""
        super().__init__()
        self.g1, self.g2, self.u, self.g = nets.g1, nets.g2, nets.u, nets.g
        self.channels_last = channels_last
        self.bf16_after_g1 = bf16_after_g1
        if bf16_after_g1:
            for net in self._late_unets():
                net.to(torch.bfloat16)
        if channels_last:
            for net in (self.g1, self.g2, self.u, self.g):
                # torch's stubs list no `memory_format` overload for Module.to, which accepts it (documented)
                net.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
        self.eval()

    def _late_unets(self) -> list[nn.Module]:
        """G2, G and the layers of U's refinement U-Net (not its STN)."""
        return [self.g2, self.g, *(m for name, m in self.u.named_children() if name != "stn")]

    @property
    def dtype(self) -> torch.dtype:
        return next(self.g1.parameters()).dtype  # conv1.0.weight

    @property
    def device(self) -> torch.device:
        return next(self.g1.parameters()).device

    def _net_input(self, *parts: torch.Tensor) -> torch.Tensor:
        x = torch.cat(parts, 1)
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x

    def _late_unet(self, net: nn.Module, x: torch.Tensor) -> torch.Tensor:
        """A U-Net after G1, in bfloat16 when so configured; the result in the input's dtype."""
        if not self.bf16_after_g1:
            return net(x)
        return net(x.to(torch.bfloat16)).to(x.dtype)

    def forward(self, x: AcgpnInputs) -> AcgpnOutputs:
        dt, dev = self.dtype, self.device
        label, image = x.label.to(dev, dt), x.image.to(dev, dt)
        color, edge, pose = x.color.to(dev, dt), x.edge.to(dev, dt), x.pose.to(dev, dt)
        z1, z2, z3 = (z.to(dev, dt) for z in x.noise)

        # masks of the input person (test.py)
        cm = _eq(label, Acgpn.UPPER_CLOTHES, dt)                                  # Cm (B, 1, H, W)
        fm = (label > Acgpn.BACKGROUND).to(dt)                                    # Fm
        img_fore = image * fm                                                     # Ifg (B, 3, H, W)
        merged = label.masked_fill(_is_any(label, MERGED_INTO_CLOTHES), Acgpn.UPPER_CLOTHES)  # Lall
        a1, a2 = _eq(label, Acgpn.LEFT_ARM, dt), _eq(label, Acgpn.RIGHT_ARM, dt)  # original arms

        # semantic generation: G1, G2 and the fixed steps after them
        em = (edge > 0.5).to(dt)                                                  # Em (B, 1, H, W)
        cin = color * em                                                          # Cin (B, 3, H, W)
        g1_sigmoid = torch.sigmoid(self.g1(self._net_input(em, cin, one_hot(merged, dt), pose, z1)))
        lp = g1_sigmoid.max(1, keepdim=True).indices                              # Lp (B, 1, H, W)
        g2_in = self._net_input(em, cin, one_hot(lp, dt), pose, z2)
        mc = torch.sigmoid(self._late_unet(self.g2, g2_in))                       # Mc (B, 1, H, W)
        n1, n2 = _eq(lp, Acgpn.LEFT_ARM, dt), _eq(lp, Acgpn.RIGHT_ARM, dt)        # predicted arms
        md = dilate_cross((mc > 0.5).to(dt), 1) * (1 - n1) * (1 - n2) * fm       # Md (B, 1, H, W)
        o1, o2 = cm * n1, cm * n2                                                 # arms inside old clothes
        b1, b2 = dilate_cross(o1, 10), dilate_cross(o2, 10)
        f1 = o1 + (1 - cm) * a1                                                   # final left arm
        f2 = o2 + (1 - cm) * a2                                                   # final right arm
        lf = lp.masked_fill((n1 + n2) > 0, Acgpn.BACKGROUND)
        lf = lf.masked_fill(f1 > 0, Acgpn.LEFT_ARM).masked_fill(f2 > 0, Acgpn.RIGHT_ARM)
        lf = lf.masked_fill(md > 0, Acgpn.BACKGROUND)                             # Lf (B, 1, H, W)

        # clothes warping (U)
        warp = self.u.warp_and_refine(cin, md, em, refine=lambda t: self._late_unet(self.u, t))

        # content fusion (G)
        skin = skin_colour(a1 + a2, image)                                        # (B, 3, H, W)
        body = a1 + a2 + cm
        occlude = (1 - b1 * body) * (1 - b2 * body)
        hole = img_fore * (1 - cm) * occlude * (1 - md)                           # Ihole (B, 3, H, W)
        g_in = self._net_input(hole, one_hot(lf, dt), warp.refined, skin, z3)
        output = torch.tanh(self._late_unet(self.g, g_in))                        # (B, 3, H, W)

        return AcgpnOutputs(g1_sigmoid=g1_sigmoid, lp=lp, mc=mc, md=md, lf=lf, warped_cloth=warp.warped,
                            warped_mask=warp.warped_mask, cref=warp.refined, output=output)
