"""What the learned try-on's network sees, built by the same functions at training and at serving time.

Everything here works on the person's 3:4 frame at NET_SIZE (the learned parser's crop): the photo, its LIP-20
parse from the project's parser, the COCO-18 keypoints as fractions of the frame, and the garment as the
classical backend warps it onto the person (`garment_layer`). Two masks follow from the parse:

* blank: the old clothes, grown by REGION_GROW, minus face, hair and arms. Hidden from the network, so it cannot
  copy the garment the shopper wears; everything else of the photo stays visible (background to fill in,
  skin colour, arms).
* region: the pixels the try-on may change: blank, the arms, and where the new garment lands, grown likewise,
  never face or hair. Outside it the shopper's own pixels are kept exactly.

Training is paired (the photo is the answer), so the hidden old clothes are always covered again by the same
garment. At serving time a garment with a lower neckline, narrower shoulders or shorter sleeves leaves some of
them bare: neck and chest skin, arm skin or background must be painted there. Two training-only options hide
more than the old clothes to teach that: `hide_arms` (the arms too) and `hide_band` (a band around the old
clothes: neck, shoulders, background). What they hide is hidden in every channel: the parse's kept parts are
blanked there too (as over old clothes, which are none of them), or the network reads from them where the
hidden band is background or skin, and learns nothing that holds at serving time, where old clothes hide what
lies beneath.
"""
from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from server.pipeline.backends.embedded.warp import WarpedLayer
from server.pipeline.preprocess.parsing.learned import pose_maps
from server.pipeline.vocabulary import LIP_ARMS, LIP_CLOTHES, Coco18, Lip

NET_SIZE = (192, 256)  # (width, height), as the learned parser
FRONT = (Lip.HAT, Lip.HAIR, Lip.SUNGLASSES, Lip.FACE)  # never changed
LOWER = (Lip.PANTS, Lip.JUMPSUITS, Lip.SKIRT, Lip.LEFT_LEG, Lip.RIGHT_LEG, Lip.LEFT_SHOE, Lip.RIGHT_SHOE)
REGION_GROW = 2 / 256  # of the frame's height (2 px at NET_SIZE: the parse's edge, a soft garment edge; 1 px leaves
#                        the old garment's edge as an outline round the new one, 3 px a wider painted halo)
BAND_GROW = 16 / 256  # training only: the band around the old clothes the validation figure `psnr_band` hides
# Layout classes (ACGPN's semantic generation, reduced to what the try-on region holds).
LAYOUT = ("rest", "garment", "left_arm", "right_arm")
# Input channels: blanked photo, blank and region masks, pose heat maps, kept parts (face and hair, arms,
# lower body, background), the warped garment and its alpha, the shopper's skin colour.
IN_CHANNELS = 3 + 1 + 1 + len(Coco18) + 4 + 3 + 1 + 3
# What the warp correction sees: pose heat maps, the coarse silhouette, face and hair, the warped garment and its
# alpha. Nothing that shows the old clothes' outline: trained paired, a correction that saw it would learn to
# stretch any garment over the old one (a tank top over a T-shirt's sleeves), as CP-VTON's clothing-agnostic
# person representation avoids with a silhouette blurred to SILHOUETTE_CELLS.
WARP_IN_CHANNELS = len(Coco18) + 1 + 1 + 3 + 1
SILHOUETTE_CELLS = (16, 12)  # (rows, columns)
DEFAULT_SKIN = (200, 160, 140)


def garment_layer(torso: WarpedLayer, sleeves: list[WarpedLayer]) -> tuple[np.ndarray, np.ndarray]:
    """The classical warp's layers as one: (H, W, 3) float32 0..255 and (H, W) float32 alpha, sleeves over
    the torso."""
    rgb, alpha = torso.rgb * torso.alpha[..., None], torso.alpha.copy()
    for layer in sleeves:
        a = layer.alpha[..., None]
        rgb = rgb * (1 - a) + layer.rgb * a
        alpha = alpha + layer.alpha * (1 - alpha)
    # Premultiplied above: back to straight colour where there is any garment.
    rgb = np.where(alpha[..., None] > 1e-3, rgb / np.maximum(alpha, 1e-3)[..., None], 0)
    return rgb.astype(np.float32), alpha.astype(np.float32)


def skin_colour(rgb: np.ndarray, lip: np.ndarray) -> np.ndarray:
    """(3,) uint8 median colour of the face (else the arms) in the parse; a neutral skin tone without either."""
    for labels in ((Lip.FACE,), LIP_ARMS):
        where = np.isin(lip, labels)
        if where.sum() >= 20:
            return np.median(rgb[where], axis=0).astype(np.uint8)
    return np.array(DEFAULT_SKIN, np.uint8)


def label_mask(lip: torch.Tensor, labels: tuple[int, ...]) -> torch.Tensor:
    """(B, H, W) labels → (B, 1, H, W) float 0/1."""
    return torch.isin(lip, torch.tensor(labels, dtype=lip.dtype))[:, None].float()


def grow(mask: torch.Tensor, pixels: int) -> torch.Tensor:
    """(B, 1, H, W) mask grown by `pixels` in every direction (a square max filter, as a column and a row
    filter: the same result, cost linear in `pixels`)."""
    size = 2 * pixels + 1
    columns = F.max_pool2d(mask, (size, 1), stride=1, padding=(pixels, 0))
    return F.max_pool2d(columns, (1, size), stride=1, padding=(0, pixels))


def masks(lip: torch.Tensor, alpha: torch.Tensor, hide_arms: torch.Tensor | None = None,
          hide_band: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """lip (B, H, W) uint8, alpha (B, 1, H, W) uint8 → blank, region and what is hidden beyond the old clothes,
    (B, 1, H, W) float 0/1. Training only, (B,) each: `hide_arms` (bool) hides those rows' arms too, `hide_band`
    (float) a band that wide (a share of the frame's height; 0: none) around their old clothes."""
    pixels = max(1, round(REGION_GROW * lip.shape[-2]))
    front, arms, worn = label_mask(lip, FRONT), label_mask(lip, LIP_ARMS), label_mask(lip, LIP_CLOTHES)
    clothes = grow(worn, pixels)
    blank = clothes * (1 - front) * (1 - arms)
    garment = grow((alpha > 127).float(), pixels)
    region = torch.maximum(torch.maximum(clothes, garment), arms) * (1 - front)
    beyond = torch.zeros_like(blank)
    if hide_arms is not None:
        beyond = arms * hide_arms.view(-1, 1, 1, 1).float()
    if hide_band is not None:
        open_ = (1 - blank) * (1 - front) * (1 - arms)  # what a band may hide: not old clothes, face or arms
        for row in torch.nonzero(hide_band > 0)[:, 0].tolist():
            band = grow(worn[row:row + 1], max(1, round(float(hide_band[row]) * lip.shape[-2]))) * open_[row]
            beyond[row:row + 1] = torch.maximum(beyond[row:row + 1], band)
    return torch.maximum(blank, beyond), torch.maximum(region, beyond), beyond


def network_input(photo: torch.Tensor, lip: torch.Tensor, keypoints: torch.Tensor, warped: torch.Tensor,
                  alpha: torch.Tensor, skin: torch.Tensor,
                  hide_arms: torch.Tensor | None = None, hide_band: torch.Tensor | None = None
                  ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Batched uint8 inputs at NET_SIZE (photo, warped (B, 3, H, W); lip (B, H, W); alpha (B, 1, H, W);
    keypoints (B, 18, 3) as frame fractions; skin (B, 3)) → x (B, IN_CHANNELS, H, W), the region mask and
    the blank mask (what the network does not see of the photo)."""
    height, width = photo.shape[-2:]
    blank, region, beyond = masks(lip, alpha, hide_arms, hide_band)
    kept = [label_mask(lip, FRONT), label_mask(lip, LIP_ARMS), label_mask(lip, LOWER),
            (lip == Lip.BACKGROUND)[:, None].float()]
    x = torch.cat([
        to_unit(photo) * (1 - blank), blank, region,
        pose_maps(keypoints.float(), height, width),
        *[part * (1 - beyond) for part in kept],
        to_unit(warped), alpha.float() / 255,
        (skin.float()[:, :, None, None] / 127.5 - 1).expand(-1, -1, height, width),
    ], dim=1)
    assert x.shape[1] == IN_CHANNELS, x.shape
    return x, region, blank


def warp_input(lip: torch.Tensor, keypoints: torch.Tensor, warped: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """Batched inputs at NET_SIZE as `network_input`'s (warped and alpha uint8 or float 0..255) → the warp
    correction's clothing-agnostic input (B, WARP_IN_CHANNELS, H, W)."""
    height, width = lip.shape[-2:]
    person = (lip != Lip.BACKGROUND)[:, None].float()
    silhouette = F.interpolate(F.adaptive_avg_pool2d(person, SILHOUETTE_CELLS), size=(height, width),
                               mode="bilinear", align_corners=False)
    x = torch.cat([pose_maps(keypoints.float(), height, width), silhouette * 2 - 1, label_mask(lip, FRONT),
                   to_unit(warped), alpha.float() / 255], dim=1)
    assert x.shape[1] == WARP_IN_CHANNELS, x.shape
    return x


def to_unit(rgb: torch.Tensor) -> torch.Tensor:
    """uint8 RGB → float in [-1, 1]."""
    return rgb.float() / 127.5 - 1


def compose(photo, warped, alpha, render, keep, region, blank):
    """The try-on: inside `region`, keep × warped garment + (1 − keep) × what lies beneath, where `keep` (the
    network's composition mask) can only keep garment that is there (× alpha, in [0, 1]) and what lies beneath
    is the rendered pixels where the network could not see the photo (`blank`: the old clothes) and the photo
    where it could (the network's copy of a visible pixel is only ever a blurred one); the photo outside
    `region`. Images in any one value range; torch tensors or numpy arrays that broadcast."""
    keep = keep * alpha
    beneath = blank * render + (1 - blank) * photo
    return region * (keep * warped + (1 - keep) * beneath) + (1 - region) * photo
