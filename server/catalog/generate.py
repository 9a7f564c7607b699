"""Procedural garment product photos: licence-clean stand-ins for a shop's catalog images.

No package ships garment photos and research datasets may not be committed, so the built-in catalog is
drawn here: a front-view flat-lay top on a plain light background, like a shop's "in-shop cloth" image,
with its exact mask. Silhouettes are cubic Bezier curves; the fabric gets a knit grain, low-frequency
shading, a few soft folds, a rib collar band, stitched hems and a faint drop shadow.

Landmarks (``garment_landmarks``), in pixels of the generated image, "l"/"r" = image left/right:
``neck_l, neck_r`` where the neckline meets the shoulder line; ``neck_front`` the centre-front of the
neckline; ``shoulder_l, shoulder_r`` the shoulder points (tank top: outer top corner of the strap);
``sleeve_l_out, sleeve_l_in, sleeve_r_out, sleeve_r_in`` the outer (upper) and inner (lower) ends of the
sleeve opening (tank top: the armhole ends, i.e. the shoulder point and the armpit); ``armpit_l,
armpit_r`` where the sleeve's underside meets the body's side seam; ``hem_l, hem_r`` the hem corners.

Catalog metadata format (``catalog.yaml`` next to the photos; the server's catalog loader reads it)::

    garments:
      navy-tee:                 # photo file stem: navy-tee.png
        name: Navy Crew Tee
        category: tshirt        # tshirt, long_sleeve or tank_top (server.pipeline.vocabulary.GarmentCategory)
        price: "€19.90"         # display text

Regenerate the built-in catalog (and the contact sheet in docs/images/garments.png) with::

    .venv/bin/python -m server.catalog.generate FOLDER --sheet docs/images/garments.png

Output is byte-for-byte deterministic.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import yaml
from PIL import Image, ImageDraw, ImageFont

from server.pipeline.vocabulary import GarmentCategory, GarmentLandmark, garment_category

PATTERNS = ("plain", "stripes", "print", "heather")

# Shapes are designed on a 768 x 1024 reference canvas and scaled to the requested size.
REF_W, REF_H = 768.0, 1024.0
_SHIFT = 4  # fixed-point fraction bits for cv2 polygon drawing (1/16 px)


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    name: str
    category: GarmentCategory
    colour: tuple[int, int, int]
    pattern: str
    price: str


TSHIRT, LONG_SLEEVE, TANK_TOP = GarmentCategory.TSHIRT, GarmentCategory.LONG_SLEEVE, GarmentCategory.TANK_TOP
BUILTIN_CATALOG: list[CatalogEntry] = [
    CatalogEntry("navy-tee", "Navy Crew Tee", TSHIRT, (34, 47, 84), "plain", "€19.90"),
    CatalogEntry("white-tee", "White Crew Tee", TSHIRT, (247, 247, 245), "plain", "€19.90"),
    CatalogEntry("red-stripe-tee", "Red Breton Stripe Tee", TSHIRT, (176, 32, 40), "stripes", "€24.90"),
    CatalogEntry("yellow-print-tee", "Sunrise Print Tee", TSHIRT, (238, 188, 58), "print", "€22.90"),
    CatalogEntry("blue-heather-tee", "Blue Heather Tee", TSHIRT, (84, 112, 158), "heather", "€21.90"),
    CatalogEntry("black-long-sleeve", "Black Long Sleeve Top", LONG_SLEEVE, (32, 32, 35), "plain", "€29.90"),
    CatalogEntry("heather-grey-long-sleeve", "Heather Grey Long Sleeve", LONG_SLEEVE, (150, 151, 154),
                 "heather", "€29.90"),
    CatalogEntry("olive-tank", "Olive Tank Top", TANK_TOP, (96, 104, 58), "plain", "€14.90"),
    # Ten garments: the earlier mobile app picks one by index 0-9 (POST /pose_app/pose_mobile).
    CatalogEntry("yellow-print-long-sleeve", "Sunrise Print Long Sleeve", LONG_SLEEVE, (238, 188, 58), "print",
                 "€32.90"),
    CatalogEntry("red-stripe-tank", "Red Stripe Tank Top", TANK_TOP, (176, 32, 40), "stripes", "€16.90"),
]

# Left-half key points per category on the reference canvas; the right half is the mirror image.
_LEFT_POINTS: dict[GarmentCategory, dict[str, tuple[float, float]]] = {
    GarmentCategory.TSHIRT: {
        "neck_l": (307, 170), "neck_front": (384, 246), "shoulder_l": (172, 212),
        "sleeve_l_out": (32, 330), "sleeve_l_in": (124, 444), "armpit_l": (168, 408), "hem_l": (174, 862),
    },
    GarmentCategory.LONG_SLEEVE: {
        "neck_l": (307, 150), "neck_front": (384, 222), "shoulder_l": (170, 192),
        "sleeve_l_out": (22, 706), "sleeve_l_in": (104, 726), "armpit_l": (166, 392), "hem_l": (174, 852),
    },
    GarmentCategory.TANK_TOP: {
        "neck_l": (292, 165), "neck_front": (384, 352), "shoulder_l": (236, 172),
        "sleeve_l_out": (236, 172), "sleeve_l_in": (190, 422), "armpit_l": (190, 422), "hem_l": (186, 862),
    },
}


def _mirror(p: tuple[float, float]) -> tuple[float, float]:
    return (REF_W - p[0], p[1])


def _ref_landmarks(category: GarmentCategory) -> dict[str, tuple[float, float]]:
    left = _LEFT_POINTS[category]
    pts = dict(left)
    for name, p in left.items():
        if name.endswith("_l"):
            pts[name[:-2] + "_r"] = _mirror(p)
        elif "_l_" in name:
            pts[name.replace("_l_", "_r_")] = _mirror(p)
    return {n: pts[n] for n in GarmentLandmark}


def garment_landmarks(category: GarmentCategory, size: tuple[int, int] = (768, 1024)) -> dict[str, tuple[float, float]]:
    """Landmarks (x, y) in pixels of ``make_garment(category, size=size)``; names in the module docstring."""
    category = garment_category(category)
    sx, sy = size[0] / REF_W, size[1] / REF_H
    return {n: (x * sx, y * sy) for n, (x, y) in _ref_landmarks(category).items()}


# ---------------------------------------------------------------- curves

Point = tuple[float, float]
Segment = tuple[Point, Point, Point, Point]  # cubic Bezier: start, control 1, control 2, end


def _bow(p0: Point, p1: Point, bulge: float) -> Segment:
    """A gently curved segment; bulge > 0 bends to the right of travel (into the garment when clockwise)."""
    a, b = np.asarray(p0, float), np.asarray(p1, float)
    chord = b - a
    normal = np.array([-chord[1], chord[0]])  # right of travel on a y-down canvas, length = chord length
    c1 = a + chord / 3 + normal * bulge
    c2 = a + 2 * chord / 3 + normal * bulge
    return (p0, tuple(c1), tuple(c2), p1)


def _sample(seg: Segment, n: int = 24) -> np.ndarray:
    t = np.linspace(0.0, 1.0, n)[:, None]
    p0, c1, c2, p1 = (np.asarray(p, float) for p in seg)
    return (1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * c1 + 3 * (1 - t) * t ** 2 * c2 + t ** 3 * p1


def _mirror_seg(seg: Segment) -> Segment:
    """The mirror image traversed backwards, so a clockwise outline stays clockwise."""
    return tuple(_mirror(p) for p in reversed(seg))  # type: ignore[return-value]


def _path(segments: list[Segment]) -> np.ndarray:
    return np.concatenate([_sample(s)[:-1] for s in segments] + [_sample(segments[-1])[-1:]])


@dataclass
class _Shape:
    outline: np.ndarray  # closed garment silhouette
    body: np.ndarray  # silhouette without the sleeves (armhole seams instead)
    neck_front: np.ndarray  # front neckline, neck_l -> neck_front -> neck_r
    neck_back: np.ndarray  # back neckline, neck_l -> neck_r
    hem: np.ndarray  # hem, hem_l -> hem_r
    armholes: list[np.ndarray]  # shoulder -> armpit, left then right
    cuffs: list[np.ndarray]  # sleeve opening out -> in, left then right (empty for tank tops)
    sleeve_axes: list[tuple[np.ndarray, np.ndarray]]  # (armhole middle, cuff middle) per sleeve


def _shape(category: GarmentCategory) -> _Shape:
    """The garment's curves on the reference canvas."""
    p = _ref_landmarks(category)
    half = p["neck_r"][0] - p["neck_front"][0]
    depth = p["neck_front"][1] - p["neck_l"][1]
    tank = category == GarmentCategory.TANK_TOP

    back = _bow(p["neck_l"], p["neck_r"], 0.22 if tank else 0.07)
    front_l: Segment = (p["neck_l"], (p["neck_l"][0] + 4, p["neck_l"][1] + (0.75 if tank else 0.6) * depth),
                        (p["neck_front"][0] - 0.6 * half, p["neck_front"][1]), p["neck_front"])
    front = [front_l, _mirror_seg(front_l)]
    strap = _bow(p["neck_r"], p["shoulder_r"], -0.02)
    side = _bow(p["armpit_r"], p["hem_r"], 0.012)
    hem = _bow(p["hem_r"], p["hem_l"], -0.012)
    if tank:
        ax, ay = p["armpit_r"]
        sx_, sy_ = p["shoulder_r"]
        armhole: Segment = (p["shoulder_r"], (sx_ + 6, sy_ + 0.55 * (ay - sy_)), (ax - 0.6 * (ax - sx_), ay),
                            p["armpit_r"])
        right = [strap, armhole, side]
        body_right = right
        cuffs: list[np.ndarray] = []
        axes: list[tuple[np.ndarray, np.ndarray]] = []
    else:
        long = category == GarmentCategory.LONG_SLEEVE
        sleeve_top = _bow(p["shoulder_r"], p["sleeve_r_out"], -0.015)
        cuff = _bow(p["sleeve_r_out"], p["sleeve_r_in"], 0.02)
        under = _bow(p["sleeve_r_in"], p["armpit_r"], 0.03 if long else 0.05)
        seam = _bow(p["shoulder_r"], p["armpit_r"], -0.1)
        right = [strap, sleeve_top, cuff, under, side]
        body_right = [strap, seam, side]
        cuffs = [_sample(_mirror_seg(cuff))[::-1], _sample(cuff)]
        seam_pts = _sample(seam)
        cuff_mid = _sample(cuff)[12]
        axes = [(seam_pts[12] * [-1, 1] + [REF_W, 0], cuff_mid * [-1, 1] + [REF_W, 0]), (seam_pts[12], cuff_mid)]
    left = [_mirror_seg(s) for s in reversed(right)]
    body_left = [_mirror_seg(s) for s in reversed(body_right)]
    armhole_r = body_right[1]
    return _Shape(
        outline=_path([back, *right, hem, *left]),
        body=_path([back, *body_right, hem, *body_left]),
        neck_front=_path(front),
        neck_back=_sample(back),
        hem=_sample(hem)[::-1],
        armholes=[_sample(_mirror_seg(armhole_r))[::-1], _sample(armhole_r)],
        cuffs=cuffs,
        sleeve_axes=axes,
    )


# ---------------------------------------------------------------- raster helpers


def _fix(pts: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return np.round(pts * scale * (1 << _SHIFT)).astype(np.int32)


def _fill(polys: list[np.ndarray], hw: tuple[int, int], scale: np.ndarray) -> np.ndarray:
    """Anti-aliased coverage (float32 0..1) of filled polygons."""
    img = np.zeros(hw, np.uint8)
    cv2.fillPoly(img, [_fix(p, scale) for p in polys], 255, cv2.LINE_AA, _SHIFT)
    return img.astype(np.float32) / 255.0


def _stroke(line: np.ndarray, hw: tuple[int, int], scale: np.ndarray, width: float) -> np.ndarray:
    """Anti-aliased coverage of a thick open polyline; width in output pixels."""
    img = np.zeros(hw, np.uint8)
    cv2.polylines(img, [_fix(line, scale)], False, 255, max(1, int(round(width))), cv2.LINE_AA, _SHIFT)
    return img.astype(np.float32) / 255.0


def _blur(img: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur; wide ones run at a quarter of the resolution, which looks the same and is ~10x faster."""
    if sigma < 6:
        return cv2.GaussianBlur(img, (0, 0), sigma)
    h, w = img.shape
    small = cv2.resize(img, ((w + 3) // 4, (h + 3) // 4), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigma / 4)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def _noise(rng: np.random.Generator, hw: tuple[int, int], sx: float, sy: float) -> np.ndarray:
    """Unit-variance Gaussian noise, blurred anisotropically (sx, sy in pixels)."""
    n = cv2.GaussianBlur(rng.standard_normal(hw, dtype=np.float32), (0, 0), sigmaX=sx, sigmaY=sy)
    return n / (n.std() + 1e-6)


def _low_freq(rng: np.random.Generator, hw: tuple[int, int], cells: tuple[int, int]) -> np.ndarray:
    grid = rng.standard_normal((cells[1], cells[0])).astype(np.float32)
    return cv2.resize(grid, (hw[1], hw[0]), interpolation=cv2.INTER_CUBIC)


def _clip01(x: np.ndarray) -> np.ndarray:
    """Clamp to [0, 1] in place (np.clip is several times slower on large float32 arrays)."""
    np.maximum(x, 0.0, out=x)
    return np.minimum(x, 1.0, out=x)


# ---------------------------------------------------------------- patterns


def _stripe_field(coord: np.ndarray, period: float, duty: float) -> np.ndarray:
    """1 inside a stripe, 0 outside, with ~1 px anti-aliased edges; coord in pixels."""
    phase = np.mod(coord / period, 1.0)
    dist = np.minimum(phase, 1.0 - phase) * period  # distance to the nearest stripe centre line, px
    return _clip01(duty * period / 2 - dist + 0.5)


def _print_layer(hw: tuple[int, int], centre: tuple[float, float], width: float, ink: tuple[int, int, int]
                 ) -> tuple[np.ndarray, np.ndarray]:
    """A chest graphic: a sun over waves in a ring with a word mark. Returns (rgb float, alpha)."""
    box = int(round(width))
    canvas = Image.new("L", (box, int(box * 1.1)), 0)
    d = ImageDraw.Draw(canvas)
    r = box * 0.40
    cx, cy = box / 2, box * 0.44
    d.ellipse([cx - r, cy - r, cx + r, cy + r], outline=255, width=max(2, box // 40))
    sun = r * 0.42
    d.ellipse([cx - sun, cy - sun * 0.6 - sun, cx + sun, cy - sun * 0.6 + sun], fill=255)
    for i in range(3):  # waves
        y = cy + r * 0.22 + i * r * 0.2
        pts = [(cx - r * 0.78 + k * r * 0.052, y + np.sin(k * 0.55) * r * 0.045) for k in range(31)]
        d.line(pts, fill=255, width=max(2, box // 45))
    # Clip the sun and waves to the ring.
    ring = Image.new("L", canvas.size, 0)
    ImageDraw.Draw(ring).ellipse([cx - r, cy - r, cx + r, cy + r], fill=255)
    canvas = Image.fromarray(np.minimum(np.asarray(canvas), np.asarray(ring)))
    d = ImageDraw.Draw(canvas)
    d.ellipse([cx - r, cy - r, cx + r, cy + r], outline=255, width=max(2, box // 40))
    font = ImageFont.load_default(size=max(8, int(box * 0.12)))
    d.text((cx, cy + r + box * 0.1), "SUNRISE", fill=255, font=font, anchor="mm")
    alpha_small = np.asarray(canvas, np.float32) / 255.0
    alpha = np.zeros(hw, np.float32)
    x0, y0 = int(round(centre[0] - box / 2)), int(round(centre[1] - box * 0.44))
    h_, w_ = alpha_small.shape
    alpha[y0:y0 + h_, x0:x0 + w_] = alpha_small[: hw[0] - y0, : hw[1] - x0]
    rgb = np.empty((*hw, 3), np.float32)
    rgb[:] = ink
    return rgb, alpha


def _contrast_colour(colour: tuple[int, int, int]) -> tuple[int, int, int]:
    """Off-white on dark or saturated fabric, navy on light fabric."""
    luma = 0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2]
    return (28, 38, 70) if luma > 170 else (244, 242, 234)


# ---------------------------------------------------------------- the garment


def make_garment(category: GarmentCategory, *, colour: tuple[int, int, int], pattern: str = "plain",
                 size: tuple[int, int] = (768, 1024), background: tuple[int, int, int] = (245, 245, 245),
                 seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A product photo of a top and its mask.

    Returns (RGB uint8 (H, W, 3), mask uint8 (H, W) with 255 = garment); ``size`` is (width, height).
    ``pattern`` is one of ``PATTERNS``: plain jersey, horizontal stripes, a chest print, or heather
    (melange) knit. Same arguments give the same pixels.
    """
    category = garment_category(category)
    if pattern not in PATTERNS:
        raise ValueError(f"unknown pattern {pattern!r}; expected one of {', '.join(PATTERNS)}")
    w, h = int(size[0]), int(size[1])
    if w < 32 or h < 32:
        raise ValueError(f"size {size!r} is too small; need at least 32 x 32")
    hw = (h, w)
    scale = np.array([w / REF_W, h / REF_H])
    px = float(np.sqrt(scale[0] * scale[1]))  # output pixels per reference pixel
    rng = np.random.default_rng([seed, list(GarmentCategory).index(category), PATTERNS.index(pattern)])
    shape = _shape(category)
    yy = np.arange(h, dtype=np.float32)[:, None]
    xx = np.arange(w, dtype=np.float32)[None, :]

    alpha = _fill([shape.outline], hw, scale)
    body = _fill([shape.body], hw, scale) * alpha
    sleeves = _clip01(alpha - body)
    opening = _fill([np.concatenate([shape.neck_back, shape.neck_front[::-1]])], hw, scale) * alpha

    # --- base colour (pattern) -------------------------------------------------------------
    base = np.empty((h, w, 3), np.float32)
    base[:] = colour
    if pattern == "heather":
        fibre = _noise(rng, hw, 2.2 * px, 0.6 * px)  # fibres run across the knit
        fleck = _noise(rng, hw, 0.7 * px, 0.7 * px)
        t = 0.65 * fibre + 0.35 * fleck
        base *= (1.0 + 0.10 * t)[..., None]
        base += (np.maximum(t - 1.6, 0) * 40.0)[..., None]  # pale fibres
    elif pattern == "stripes":
        ink = np.array(_contrast_colour(colour), np.float32)
        wobble = _low_freq(rng, hw, (4, 5)) * 2.5 * px
        period, duty = 44 * px, 0.42
        stripes = _stripe_field(yy + wobble, period, duty) * body
        for (a, b), side in zip(shape.sleeve_axes, (xx < w / 2, xx >= w / 2)):
            axis = (b - a) / np.linalg.norm(b - a)
            coord = ((xx - a[0] * scale[0]) * axis[0] + (yy - a[1] * scale[1]) * axis[1])
            stripes += _stripe_field(coord + wobble + period * 0.3, period, duty) * sleeves * side
        base += (ink - base) * stripes[..., None]
    elif pattern == "print":
        centre = (w / 2, (_ref_landmarks(category)["neck_front"][1] + 190) * scale[1])
        ink_rgb, ink = _print_layer(hw, centre, 230 * px, _contrast_colour(colour))
        ink *= 0.92 + 0.08 * np.tanh(_noise(rng, hw, 0.8 * px, 0.8 * px))  # slightly worn print
        base += (ink_rgb - base) * ink[..., None]

    # --- construction details ----------------------------------------------------------------
    band_w = (26 if category == GarmentCategory.TANK_TOP else 30) * px
    collar = _clip01(_stroke(shape.neck_front, hw, scale, band_w) * alpha - opening)
    back_band = _stroke(shape.neck_back, hw, scale, band_w * 0.9) * opening
    inside = _clip01(opening - back_band)
    rib = 1.0 + 0.05 * np.sin(xx * (2 * np.pi / (3.2 * px)))  # rib wales
    band_tone = np.float32(0.93)
    trim = collar + back_band
    if category == GarmentCategory.TANK_TOP:
        for line in shape.armholes:
            trim = np.maximum(trim, _stroke(line, hw, scale, band_w) * alpha)
    x, y, bw_, bh_ = cv2.boundingRect((trim > 0).astype(np.uint8))
    box = np.s_[y:y + bh_, x:x + bw_]
    band = np.asarray(colour, np.float32) * band_tone * rib[:, x:x + bw_, None]
    base[box] += (band - base[box]) * trim[box][..., None]

    shade = np.ones(hw, np.float32)
    # Stitch lines: double needle above the hem and the sleeve openings, single at the collar band.
    stitch = np.zeros(hw, np.float32)
    for off in (20, 27):
        stitch = np.maximum(stitch, _stroke(shape.hem - [0, off], hw, scale, 1.3 * px))
    for cuff, (a, b) in zip(shape.cuffs, shape.sleeve_axes):
        inward = (a - b) / np.linalg.norm(a - b)
        for off in ((48, 56) if category == LONG_SLEEVE else (18, 25)):
            stitch = np.maximum(stitch, _stroke(cuff + inward * off, hw, scale, 1.3 * px))
    band_seam = shape.neck_front + [0, band_w / px * 0.5 + 1]
    stitch = np.maximum(stitch, _stroke(band_seam, hw, scale, 1.2 * px))
    shade *= 1 - 0.10 * stitch * alpha
    if category == GarmentCategory.LONG_SLEEVE:  # rib cuffs
        for cuff, (a, b) in zip(shape.cuffs, shape.sleeve_axes):
            inward = (a - b) / np.linalg.norm(a - b)
            cuff_band = _fill([np.concatenate([cuff, (cuff + inward * 52)[::-1]])], hw, scale) * alpha
            shade *= 1 - cuff_band * (1 - 0.95 * rib)
    # Armhole seams and the slight step in shade between body and sleeves.
    if category != GarmentCategory.TANK_TOP:
        for line in shape.armholes:
            seam = _stroke(line, hw, scale, 1.6 * px)
            shade *= 1 - 0.16 * _blur(seam, 0.8 * px) * alpha
        shade *= 1 - 0.05 * _blur(sleeves, 6 * px)

    # --- fabric: knit grain, low-frequency shading, folds, edge roll --------------------------
    grain = _noise(rng, hw, 0.45 * px, 0.9 * px)
    luma = (0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2]) / 255.0
    shade *= 1 + (0.03 - 0.016 * luma) * grain  # knit grain reads weaker on pale fabric, as in photos
    shade *= 1 + 0.045 * _low_freq(rng, hw, (5, 6))
    shade *= 1 + 0.04 * (0.5 - yy / h) + 0.02 * (0.5 - xx / w)  # light from the upper left
    folds = np.zeros(hw, np.float32)
    hilite = np.zeros(hw, np.float32)
    lm = _ref_landmarks(category)
    fold_lines = [  # (start, end, bow) on the reference canvas: drape from the armpits, a soft waist wave
        (lm["armpit_l"], (310, 660), 0.08), (lm["armpit_r"], (470, 720), -0.1), ((230, 730), (540, 690), 0.06),
        ((330, lm["neck_front"][1] + 90), (300, 470), 0.1),
    ]
    for (x0, y0), (x1, y1), bow in fold_lines:
        jitter = rng.uniform(-25, 25, 4)
        line = _sample(_bow((x0 + 18 + jitter[0], y0 + 22 + jitter[1]), (x1 + jitter[2], y1 + jitter[3]), bow))
        strength = rng.uniform(0.6, 1.0)
        folds += strength * _stroke(line, hw, scale, 5 * px)
        hilite += strength * _stroke(line + [14, -10], hw, scale, 5 * px)
    folds = _blur(folds, 15 * px)
    hilite = _blur(hilite, 18 * px)
    norm = max(float(folds.max()), 1e-6)
    folds, hilite = folds / norm, hilite / norm
    shade *= 1 - 0.11 * folds + 0.04 * hilite
    dist = cv2.distanceTransform((alpha > 0.5).astype(np.uint8), cv2.DIST_L2, 5)
    # The edge rolls away from the light, and its last pixels are a darker rim: that rim is what keeps a
    # white garment visible on a white sweep, as in real product photos.
    shade *= 1 - 0.10 * np.exp(-dist / (9 * px)) - 0.10 * np.exp(-dist / (1.5 * px))
    shade *= 1 - 0.45 * inside  # the inside of the back, seen through the neck opening
    x, y, bw_, bh_ = cv2.boundingRect((opening > 0).astype(np.uint8))
    box = np.s_[max(0, y - 8):y + bh_ + 8, max(0, x - 8):x + bw_ + 8]
    shade[box] *= 1 - _blur(collar[box], 3 * px) * _blur(opening[box], 3 * px)  # collar casts onto the inside

    garment = base * shade[..., None]
    garment += (7.0 * hilite)[..., None]  # a little sheen, which is what shows folds on dark fabric

    # --- background with a soft drop shadow, then composite ------------------------------------
    shadow = _blur(np.roll(np.roll(alpha, int(round(7 * px)), axis=1), int(round(11 * px)), axis=0), 9 * px)
    light = (1 - 0.2 * shadow * (1 - alpha)) * (1 - 0.025 * (yy / h))  # sweep darkens towards the bottom
    bg = light[..., None] * np.asarray(background, np.float32)
    out = cv2.blendLinear(garment, bg, alpha, 1.0 - alpha)
    rgb = cv2.convertScaleAbs(out)  # rounds and saturates to uint8; every value is >= 0
    mask = np.where(alpha >= 0.5, 255, 0).astype(np.uint8)
    return rgb, mask


# ---------------------------------------------------------------- built-in catalog


def write_builtin_catalog(folder: Path) -> list[Path]:
    """Write ``<id>.png`` (768 x 1024) for every BUILTIN_CATALOG entry, its exact mask as ``masks/<id>.png``
    (the catalog uses it instead of computing one: a computed mask can take in part of the drop shadow) and
    ``catalog.yaml``; returns all paths."""
    folder = Path(folder)
    (folder / "masks").mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    meta: dict[str, dict[str, str]] = {}
    for entry in BUILTIN_CATALOG:
        rgb, mask = make_garment(entry.category, colour=entry.colour, pattern=entry.pattern)
        path = folder / f"{entry.id}.png"
        Image.fromarray(rgb).save(path, compress_level=3)  # level 6 is 2.5x slower for 8% smaller files
        Image.fromarray(mask).save(folder / "masks" / f"{entry.id}.png", optimize=True)
        written += [path, folder / "masks" / f"{entry.id}.png"]
        meta[entry.id] = {"name": entry.name, "category": entry.category.value, "price": entry.price}
    catalog = folder / "catalog.yaml"
    catalog.write_text(yaml.safe_dump({"garments": meta}, sort_keys=False, allow_unicode=True), encoding="utf-8")
    written.append(catalog)
    return written


def contact_sheet(columns: int = 4, tile: tuple[int, int] = (240, 320)) -> np.ndarray:
    """All BUILTIN_CATALOG garments side by side (RGB uint8), for the docs and for looking at them."""
    tiles = [cv2.resize(make_garment(e.category, colour=e.colour, pattern=e.pattern)[0], tile,
                        interpolation=cv2.INTER_AREA) for e in BUILTIN_CATALOG]
    blank = np.full_like(tiles[0], 245)
    tiles += [blank] * (-len(tiles) % columns)
    rows = [np.concatenate(tiles[i:i + columns], axis=1) for i in range(0, len(tiles), columns)]
    return np.concatenate(rows, axis=0)


def main() -> None:
    parser = argparse.ArgumentParser(description="Write the built-in garment catalog (photos + catalog.yaml).")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--sheet", type=Path, help="also write a contact sheet PNG of all garments here")
    args = parser.parse_args()
    for path in write_builtin_catalog(args.folder):
        print(path)
    if args.sheet:
        args.sheet.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(contact_sheet()).save(args.sheet, optimize=True)
        print(args.sheet)


if __name__ == "__main__":
    main()
