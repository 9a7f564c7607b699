"""Garment landmarks found on the mask of a flat, front-facing product photo.

Points are (x, y) in the photo's pixels. "_l" / "_r" are image left / right (the garment seen from the
front, as the shopper is seen by the camera), so a garment's left shoulder lands on the shopper's image-left
shoulder without mirroring.

The shape is read from three things that survive any colour or print: the top profile of the mask (the
neckline is the dip between the two highest points), the concavities of the outline (the armpits are the
deepest notches between sleeve and body, or the bottom of the armholes of a tank top), and the pixels
beyond the shoulder-armpit line (the sleeves, whose far end is the cuff).
"""
from __future__ import annotations

import cv2
import numpy as np

from server.pipeline.errors import NoGarmentFound
from server.pipeline.vocabulary import GarmentCategory

Landmarks = dict[str, np.ndarray]


def clean_mask(mask: np.ndarray) -> np.ndarray:
    """The largest connected blob of the mask with its holes filled, as bool."""
    binary = (mask > 127).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    if count < 2:
        raise NoGarmentFound("The garment photo has no garment in it (its mask is empty).")
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    blob = (labels == largest).astype(np.uint8)
    contours, _ = cv2.findContours(blob, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    filled = np.zeros_like(blob)
    cv2.drawContours(filled, contours, -1, 1, thickness=cv2.FILLED)
    return filled.astype(bool)


def find_landmarks(mask: np.ndarray, category: GarmentCategory, image: np.ndarray | None = None) -> Landmarks:
    """Landmarks of a garment mask (uint8, 255 = garment), all of `GarmentLandmark`. With the photo, the
    front neckline is found below any inside of the back that shows through the neck opening."""
    m = clean_mask(mask)
    ys, xs = np.nonzero(m)
    y0, y1, x0, x1 = ys.min(), ys.max(), xs.min(), xs.max()
    height, width = y1 - y0 + 1, x1 - x0 + 1
    if height < 16 or width < 16:
        raise NoGarmentFound("The garment in the photo is too small to fit (under 16 pixels).")

    lower = ys > y0 + 0.6 * height  # the body part below any sleeve
    cx = float(np.median(xs[lower])) if lower.any() else float(x0 + width / 2)
    # A lower part far off the middle (a folded or twisted hem) must still leave both shoulders to search.
    cx = float(np.clip(cx, x0 + 0.3 * width, x1 - 0.3 * width))

    top = np.where(m.any(0), m.argmax(0), np.iinfo(np.int32).max).astype(np.int64)  # first row per column
    pts: Landmarks = {}
    for side, cols in (("l", np.arange(int(x0 + 0.2 * width), int(cx) + 1)[::-1]),
                       ("r", np.arange(int(cx), int(x1 - 0.2 * width) + 1))):
        highest = top[cols].min()
        flat = np.nonzero(top[cols] <= highest + max(1, 0.01 * height))[0]
        # Where the neckline meets the shoulder line: the outer end of the flat top (the collar), or for a
        # tank top the inner end (the strap's inner edge).
        end = cols[flat[0]] if category == GarmentCategory.TANK_TOP else cols[flat[-1]]
        pts[f"neck_{side}"] = np.array([float(end), float(top[end])])

    neck_top = float(np.median(top[int(cx) - 1:int(cx) + 2]))
    if image is not None:
        neck_line = (pts["neck_l"][1] + pts["neck_r"][1]) / 2
        depth = NECK_DEPTH[category] * (pts["neck_r"][0] - pts["neck_l"][0])
        neck_top = _front_neckline(image, m, int(cx), neck_line, depth, neck_top)
    pts["neck_front"] = np.array([cx, neck_top])
    contour = _outline(m)
    for side, sign in (("l", -1), ("r", 1)):
        armpit = _armpit(m, contour, cx, sign, y0, height, category)
        if category != GarmentCategory.TANK_TOP:
            # Body sides hang straight below the armpits: a notch found far from the side line is some
            # other dent (a sleeve's fold, a sleeve lying against the body); the side line wins then.
            side_x = float(np.median([_body_edge(m, int(y0 + f * height), cx, sign)
                                      for f in np.linspace(0.5, 0.65, 6)]))
            if abs(armpit[0] - side_x) > SIDE_TOLERANCE * width:
                row = armpit[1] if y0 + 0.2 * height <= armpit[1] <= y0 + 0.45 * height else y0 + 0.3 * height
                armpit = np.array([side_x, float(row)])
        pts[f"armpit_{side}"] = armpit
        pts[f"hem_{side}"] = _hem_corner(m, cx, sign, y1)
        col = int(round(armpit[0]))
        if category == GarmentCategory.TANK_TOP:
            # The shoulder of a tank top is the top of its strap: the neck side point pushed outwards to
            # the strap's outer edge on the top profile.
            neck_x = int(pts[f"neck_{side}"][0])
            strap = _strap_outer(top, neck_x, sign, height)
            pts[f"shoulder_{side}"] = np.array([float(strap), float(top[strap])])
            # The armhole spans shoulder to armpit (the catalog generator's convention).
            pts[f"sleeve_{side}_out"] = pts[f"shoulder_{side}"].copy()
            pts[f"sleeve_{side}_in"] = armpit.copy()
        else:
            pts[f"shoulder_{side}"] = np.array([float(col), float(top[col])])
            pts.update(_cuff(m, pts[f"shoulder_{side}"], armpit, side))
    if pts["shoulder_r"][0] - pts["shoulder_l"][0] < MIN_SHOULDER_SPAN * width or \
            pts["armpit_r"][0] - pts["armpit_l"][0] < MIN_SHOULDER_SPAN * width:
        _fall_back_to_box(pts, m, top, x0, x1, y0, height)
    return pts


def _fall_back_to_box(pts: Landmarks, m: np.ndarray, top: np.ndarray, x0: int, x1: int, y0: int,
                      height: int) -> None:
    """An outline the rules cannot read (a wrap top, a sleeve across the body): body sides at a fifth of the
    width in from the box, armpits at 30% of the height, sleeves not split off. Better a plain fit than a
    garment folded through itself."""
    width = x1 - x0 + 1
    for side, x in (("l", x0 + 0.2 * width), ("r", x1 - 0.2 * width)):
        col = int(round(x))
        pts[f"shoulder_{side}"] = np.array([float(col), float(top[col])])
        pts[f"armpit_{side}"] = np.array([float(col), float(y0 + 0.3 * height)])
        pts[f"sleeve_{side}_out"] = pts[f"shoulder_{side}"].copy()
        pts[f"sleeve_{side}_in"] = pts[f"armpit_{side}"].copy()
        if abs(pts[f"hem_{side}"][0] - (x0 + x1) / 2) < 0.2 * width:
            pts[f"hem_{side}"] = np.array([float(col), float(np.nonzero(m[:, col])[0].max())])


# A flat-lay photo shows the inside of the back through the neck opening, in the garment's shade, so the
# mask's top at the centre is the back neckline. The front neckline is the brightening (ratio at least
# NECKLINE_JUMP) going down the centre line, searched around the usual depth of the category's neckline
# (depth / neck width): of the strong brightenings there, the one nearest that depth, so stripes or a
# chest print cannot pass for it.
NECKLINE_JUMP = 1.25
MIN_SHOULDER_SPAN = 0.35  # shoulder (and armpit) span below this share of the garment width: unreadable
SIDE_TOLERANCE = 0.06  # armpit distance from the body's side line (share of the garment width) believed
NECK_DEPTH = {GarmentCategory.TSHIRT: 0.48, GarmentCategory.LONG_SLEEVE: 0.48, GarmentCategory.TANK_TOP: 1.0}


def _front_neckline(image: np.ndarray, m: np.ndarray, cx: int, neck_line: float, depth: float,
                    mask_top: float) -> float:
    """Row of the front neckline on the centre line (the mask's top there when no neckline shows)."""
    if mask_top >= neck_line + 0.3 * depth:
        return mask_top  # the mask already dips to a front neckline: no back shows through
    band = image[:, max(0, cx - 2):cx + 3].astype(np.float32).mean(axis=(1, 2))
    lo = int(max(mask_top, neck_line + 0.6 * depth))
    hi = int(min(len(band) - 4, neck_line + 1.4 * depth))
    if hi <= lo + 2:
        return mask_top
    log = np.log(band[lo:hi + 3] + 8.0)
    step = log[3:] - log[:-3]  # brightening over 3 rows
    step = np.where(m[lo:lo + len(step), cx], step, -np.inf)
    strong = np.nonzero(step >= np.log(NECKLINE_JUMP))[0]
    if len(strong):  # of the strong brightenings, the one nearest the usual depth
        best = strong[np.argmin(np.abs(lo + strong + 2 - (neck_line + depth)))]
        return float(lo + best + 2)
    return max(mask_top, neck_line + depth)


def has_sleeves(pts: Landmarks) -> bool:
    """Whether the garment has sleeves worth warping (a tank top's or a cap sleeve's "cuff" is its seam)."""
    return any(not np.allclose(pts[f"sleeve_{s}_out"], pts[f"shoulder_{s}"]) for s in ("l", "r"))


def _outline(m: np.ndarray) -> np.ndarray:
    contours, _ = cv2.findContours(m.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    return max(contours, key=cv2.contourArea)


def _convexity_defects(contour: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """The outline and its convexity defects. An outline that touches itself (a strap or sleeve lying on the
    body, joined by one pixel) gives hull indices OpenCV refuses; its simplified polygon does not."""
    try:
        return contour, cv2.convexityDefects(contour, cv2.convexHull(contour, returnPoints=False))
    except cv2.error:
        simple = cv2.approxPolyDP(contour, 1.0, True)
        try:
            return simple, cv2.convexityDefects(simple, cv2.convexHull(simple, returnPoints=False))
        except cv2.error:
            return simple, None


def _body_edge(m: np.ndarray, row: int, cx: float, sign: int) -> int:
    """Column of the outer edge of the run of garment pixels that contains the centre column, in one row."""
    line = m[row]
    c = int(cx)
    if not line[c]:
        return c
    if sign < 0:
        gaps = np.nonzero(~line[:c])[0]
        return int(gaps[-1] + 1) if len(gaps) else 0
    gaps = np.nonzero(~line[c:])[0]
    return int(c + gaps[0] - 1) if len(gaps) else len(line) - 1


def _hem_corner(m: np.ndarray, cx: float, sign: int, y1: int) -> np.ndarray:
    """Bottom corner of the body: the outer edge of the centre run a little above the lowest row."""
    height = m.shape[0]
    row = max(0, y1 - max(1, int(0.01 * height)))
    x = _body_edge(m, row, cx, sign)
    col = m[:, x]
    bottom = int(np.nonzero(col)[0].max()) if col.any() else row
    return np.array([float(x), float(max(bottom, row))])


def _armpit(m: np.ndarray, contour: np.ndarray, cx: float, sign: int, y0: int, height: int,
            category: GarmentCategory) -> np.ndarray:
    """The deepest concavity of the outline on one side between 15% and 80% of the height.

    For sleeves that is the notch between sleeve and body; for a tank top the armhole, whose lowest
    point (where the side seam starts) is the armpit."""
    contour, defects = _convexity_defects(contour)
    pts = contour[:, 0, :].astype(np.float64)
    best, best_depth = None, 0.0
    if defects is not None:
        for start, end, far, depth in defects[:, 0, :]:
            x, y = pts[far]
            if (x - cx) * sign <= 0 or not (y0 + 0.15 * height < y < y0 + 0.8 * height):
                continue
            if depth > best_depth:
                best, best_depth = (start, end, far), depth
    if best is None:
        # No notch (sleeves lying against the body): the side of the body at a third of the height.
        row = int(y0 + 0.33 * height)
        return np.array([float(_body_edge(m, row, cx, sign)), float(row)])
    if category != GarmentCategory.TANK_TOP:
        return pts[best[2]]
    # Tank top: walk the armhole (between the defect's hull points) and take its lowest point that is
    # still inside the outer half (the side seam's top).
    start, end, _ = best
    seg = pts[start:end + 1] if start <= end else np.concatenate([pts[start:], pts[:end + 1]])
    return seg[np.argmax(seg[:, 1] - 0.25 * np.abs(seg[:, 0] - cx))]


def _strap_outer(top: np.ndarray, neck_x: int, sign: int, height: int) -> int:
    """Walking outwards from the neck side point along the top profile, the last column before it drops."""
    x = neck_x
    limit = top[neck_x] + max(2, 0.03 * height)
    while 0 <= x + sign < len(top) and top[x + sign] <= limit:
        x += sign
    return x


def sleeve_outline(m: np.ndarray, shoulder: np.ndarray, armpit: np.ndarray) -> np.ndarray:
    """(K, 2) the garment outline from the shoulder point to the armpit the shorter way round: the sleeve's
    outline (the other way passes the neck, the hem and the other sleeve)."""
    contour = _outline(m)[:, 0, :].astype(np.float64)
    n = len(contour)
    i_s, i_a = (int(np.argmin(np.linalg.norm(contour - p, axis=1))) for p in (shoulder, armpit))
    forward, backward = (i_a - i_s) % n, (i_s - i_a) % n
    start, length = (i_s, forward) if forward <= backward else (i_a, backward)
    return contour[np.arange(start, start + length + 1) % n]


def _cuff(m: np.ndarray, shoulder: np.ndarray, armpit: np.ndarray, side: str) -> Landmarks:
    """The two corners of the sleeve's far end (outer = shoulder side, inner = armpit side): the end of the
    sleeve outline farthest from the shoulder-armpit seam."""
    path = sleeve_outline(m, shoulder, armpit)
    root = (shoulder + armpit) / 2
    seam = np.linalg.norm(armpit - shoulder)
    if np.linalg.norm(path[0] - shoulder) > np.linalg.norm(path[-1] - shoulder):
        path = path[::-1]  # from the shoulder to the armpit
    dist = np.linalg.norm(path - root, axis=1)
    if len(path) < 4 or dist.max() < 0.6 * seam:  # a cap sleeve: the cuff is the seam itself
        return {f"sleeve_{side}_out": shoulder.copy(), f"sleeve_{side}_in": armpit.copy()}
    # The outline simplified to a few corners: shoulder, ..., outer cuff corner, inner cuff corner, ...,
    # armpit. The cuff is the consecutive pair of corners farthest from the seam.
    arc = float(np.linalg.norm(np.diff(path, axis=0), axis=1).sum())
    corners = cv2.approxPolyDP(path.astype(np.float32)[:, None], 0.04 * arc, False)[:, 0, :].astype(np.float64)
    if len(corners) < 4:
        return {f"sleeve_{side}_out": shoulder.copy(), f"sleeve_{side}_in": armpit.copy()}
    reach = np.linalg.norm(corners - root, axis=1)
    i = int(np.argmax(reach[1:-2] + reach[2:-1])) + 1
    return {f"sleeve_{side}_out": corners[i], f"sleeve_{side}_in": corners[i + 1]}
