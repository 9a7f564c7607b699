"""Where each garment landmark goes on the shopper: body points from COCO-18 keypoints and the parsing.

The garment is first placed by a similarity (scale + rotation + shift) that puts its shoulder points on the
shopper's shoulders, which keeps its own proportions (neckline, length, sleeve length). The side points
(armpits, waist, hem corners) are then pulled onto the width of the shopper's torso measured on the
parsing, and the sleeves are laid along the arm polylines shoulder → elbow → wrist, so a bent arm bends
the sleeve.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from server.pipeline.backends.embedded.landmarks import has_sleeves
from server.pipeline.errors import BadFraming, NoGarmentFound
from server.pipeline.vocabulary import LIP_CLOTHES, Coco18, GarmentCategory, Lip

# Shoulder seams sit a little outside the shoulder joints that pose models report, and a little above.
SHOULDER_SPAN = 1.12  # garment shoulder width / joint-to-joint shoulder width
SHOULDER_LIFT = 0.14  # upwards, in shoulder widths
# Labels (LIP-20) whose union is the torso a garment is fitted to, at chest and at hip height.
UPPER_BODY = (*LIP_CLOTHES, Lip.JUMPSUITS)
TORSO_AND_HIPS = (*LIP_CLOTHES, Lip.PANTS, Lip.JUMPSUITS, Lip.SKIRT)
MIN_CONFIDENCE = 0.05
# Measured torso width, as a share of the shoulder-seam span, that is believed (outside: clipped).
ARMPIT_SPAN = (0.7, 1.0)
LOWER_SPAN = (0.6, 1.25)
HEM_BELOW_HIPS = 0.35  # the longest hem, below the hip keypoints, in shoulder widths
# Sleeve stations (fraction of the sleeve's length) that get a control-point pair each, besides the seam.
# A short sleeve turns from the seam (along the arm when it hangs) to the cuff (across it) within its length,
# so stations between would cross; it gets the cuff only.
SLEEVE_STATIONS = (0.34, 0.67, 1.0)
LONG_SLEEVE = 0.6  # sleeve length / arm length (shoulder-elbow-wrist) above which the cuff goes to the wrist
SHORT_SLEEVE = 1.5  # sleeve length / seam length below which a sleeve is short


@dataclass
class BodyFrame:
    """The shopper's torso frame in image pixels."""

    neck: np.ndarray  # (2,)
    shoulders: tuple[np.ndarray, np.ndarray]  # image-left, image-right joint
    across: np.ndarray  # unit vector image-left → image-right shoulder
    down: np.ndarray  # unit vector along the torso, towards the hips
    shoulder_width: float
    arms: tuple[np.ndarray, np.ndarray]  # (3, 2) shoulder, elbow, wrist polylines, image-left / right
    hip_depth: float | None  # distance from the neck to the hips along `down`, when both hips are seen


def _point(kp: np.ndarray, i: Coco18) -> np.ndarray | None:
    x, y, c = kp[i]
    return np.array([x, y], np.float64) if c > MIN_CONFIDENCE and x > 1 and y > 1 else None


def body_frame(keypoints: np.ndarray) -> BodyFrame:
    """Torso frame and arm polylines from COCO-18 keypoints (missing elbows/wrists are extrapolated)."""
    # The shopper's right: image left when facing us.
    right = [_point(keypoints, i) for i in (Coco18.R_SHOULDER, Coco18.R_ELBOW, Coco18.R_WRIST)]
    left = [_point(keypoints, i) for i in (Coco18.L_SHOULDER, Coco18.L_ELBOW, Coco18.L_WRIST)]
    s_l, s_r = right[0], left[0]
    if s_l is None or s_r is None:
        raise BadFraming("Both shoulders must be visible: stand facing the camera with your upper body in view.")
    if s_l[0] > s_r[0]:
        right, left, s_l, s_r = left, right, s_r, s_l
    shoulder_width = float(np.linalg.norm(s_r - s_l))
    if shoulder_width < 8:
        raise BadFraming("The person is too small in the photo: step closer to the camera.")
    across = (s_r - s_l) / shoulder_width
    down = np.array([-across[1], across[0]])
    if down[1] < 0:
        down = -down
    neck = _point(keypoints, Coco18.NECK)
    if neck is None:
        neck = (s_l + s_r) / 2
    arms = (_arm_polyline(right, -across, down, shoulder_width), _arm_polyline(left, across, down, shoulder_width))
    r_hip, l_hip = _point(keypoints, Coco18.R_HIP), _point(keypoints, Coco18.L_HIP)
    hip_depth = float((((r_hip + l_hip) / 2) - neck) @ down) if r_hip is not None and l_hip is not None else None
    return BodyFrame(neck, (s_l, s_r), across, down, shoulder_width, arms, hip_depth)


def _arm_polyline(chain: list, outward: np.ndarray, down: np.ndarray, sw: float) -> np.ndarray:
    """Shoulder, elbow, wrist; a missing elbow hangs down slightly outwards, a missing wrist continues."""
    shoulder, elbow, wrist = chain
    if elbow is None:
        elbow = shoulder + 0.75 * sw * _unit(down + 0.25 * outward)
    if wrist is None:
        wrist = elbow + 0.7 * sw * _unit(elbow - shoulder)
    return np.stack([shoulder, elbow, wrist])


def _unit(v: np.ndarray) -> np.ndarray:
    return v / (np.linalg.norm(v) + 1e-9)


def similarity(garment: dict[str, np.ndarray], frame: BodyFrame) -> tuple[np.ndarray, float]:
    """2x3 matrix mapping garment pixels onto the body so the garment's shoulders sit on the shoulder
    targets, and the scale (body pixels per garment pixel)."""
    g_l, g_r = garment["shoulder_l"], garment["shoulder_r"]
    t_l, t_r = shoulder_targets(frame)
    g_vec, t_vec = g_r - g_l, t_r - t_l
    scale = float(np.linalg.norm(t_vec)) / max(float(np.linalg.norm(g_vec)), 1e-6)
    angle = np.arctan2(t_vec[1], t_vec[0]) - np.arctan2(g_vec[1], g_vec[0])
    rot = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    shift = (t_l + t_r) / 2 - rot @ ((g_l + g_r) / 2)
    return np.concatenate([rot, shift[:, None]], 1), scale


def shoulder_targets(frame: BodyFrame) -> tuple[np.ndarray, np.ndarray]:
    s_l, s_r = frame.shoulders
    spread = frame.across * frame.shoulder_width * (SHOULDER_SPAN - 1) / 2
    lift = frame.down * frame.shoulder_width * SHOULDER_LIFT
    return s_l - spread - lift, s_r + spread - lift


def _apply(matrix: np.ndarray, p: np.ndarray) -> np.ndarray:
    return matrix[:, :2] @ p + matrix[:, 2]


def torso_width_at(lip: np.ndarray, point: np.ndarray, labels: tuple[int, ...],
                   sw: float) -> tuple[float, float] | None:
    """Image x of the left and right edge of the torso in the row through `point`, or None when the parsing
    has no plausible torso there (narrower than half or wider than 2.5 shoulder widths)."""
    row = int(round(point[1]))
    col = int(round(point[0]))
    if not (0 <= row < lip.shape[0] and 0 <= col < lip.shape[1]):
        return None
    line = np.isin(lip[row], labels)
    if not line[col]:
        return None
    gaps_left = np.nonzero(~line[:col])[0]
    gaps_right = np.nonzero(~line[col:])[0]
    left = float(gaps_left[-1] + 1) if len(gaps_left) else 0.0
    right = float(col + gaps_right[0] - 1) if len(gaps_right) else float(len(line) - 1)
    if not (0.5 * sw <= right - left <= 2.5 * sw):
        return None
    return left, right


def polyline_point(poly: np.ndarray, distance: float) -> tuple[np.ndarray, np.ndarray]:
    """Point at arc length `distance` along `poly` (extrapolating past its end) and the local direction,
    smoothed across the vertices so a bend turns gradually."""
    seg = np.diff(poly, axis=0)
    lengths = np.linalg.norm(seg, axis=1)
    travelled = 0.0
    for i, (d, length) in enumerate(zip(seg, lengths)):
        if distance <= travelled + length or i == len(seg) - 1:
            t = (distance - travelled) / max(length, 1e-6)
            direction = _unit(d)
            if i + 1 < len(seg) and t > 0.6:  # blend into the next segment near the joint
                w = min(1.0, (t - 0.6) / 0.8)
                direction = _unit((1 - w) * direction + w * _unit(seg[i + 1]))
            elif i > 0 and t < 0.4:
                w = min(1.0, (0.4 - t) / 0.8)
                direction = _unit((1 - w) * direction + w * _unit(seg[i - 1]))
            return poly[i] + t * d, direction
        travelled += length
    raise AssertionError("unreachable")


@dataclass
class Targets:
    """Control-point pairs: garment pixels (src) and where they go on the person (dst)."""

    torso_src: np.ndarray  # (N, 2)
    torso_dst: np.ndarray  # (N, 2)
    sleeves: list[tuple[np.ndarray, np.ndarray]]  # per sleeve (src (M, 2), dst (M, 2)); empty for tank tops
    hem_line: tuple[np.ndarray, np.ndarray]  # hem corners on the person (image-left, image-right)
    scale: float  # person pixels per garment pixel
    placed: dict[str, np.ndarray]  # the body point of each named torso landmark
    frame: BodyFrame
    long_sleeves: bool = False  # the sleeves follow the whole arm to the wrist (control points along it)


def body_targets(garment: dict[str, np.ndarray], garment_mask: np.ndarray, keypoints: np.ndarray,
                 lip: np.ndarray, category: GarmentCategory | None = None) -> Targets:
    """Pair the garment landmarks with points on the person. `category` LONG_SLEEVE makes the sleeves
    long whatever their flat proportion (otherwise that proportion decides)."""
    frame = body_frame(keypoints)
    sim, scale = similarity(garment, frame)
    sw = frame.shoulder_width
    src: list[np.ndarray] = []
    dst: list[np.ndarray] = []

    placed: dict[str, np.ndarray] = {}

    def pair(g: np.ndarray, t: np.ndarray, name: str = "") -> None:
        src.append(g)
        dst.append(t)
        if name:
            placed[name] = t

    t_sh = shoulder_targets(frame)
    for name in ("neck_l", "neck_r", "neck_front"):
        pair(garment[name], _apply(sim, garment[name]), name)
    pair(garment["shoulder_l"], t_sh[0], "shoulder_l")
    pair(garment["shoulder_r"], t_sh[1], "shoulder_r")

    # Side points: placed by the similarity, then their distance from the body's centre line is set to the
    # torso's half width measured on the parsing in that row (when the parsing has a torso there).
    g_mid_top = (garment["armpit_l"] + garment["armpit_r"]) / 2
    g_mid_hem = (garment["hem_l"] + garment["hem_r"]) / 2
    side_names: list[tuple[str, str, tuple[Lip, ...], tuple[float, float]]] = [
        ("armpit_l", "armpit_r", UPPER_BODY, ARMPIT_SPAN)]
    waist = {}
    for frac, key in ((0.5, "waist"),):
        y = g_mid_top[1] + frac * (g_mid_hem[1] - g_mid_top[1])
        waist[f"{key}_l"], waist[f"{key}_r"] = _garment_side_points(garment_mask, y, (g_mid_top[0] + g_mid_hem[0]) / 2)
        side_names.append((f"{key}_l", f"{key}_r", TORSO_AND_HIPS, LOWER_SPAN))
    side_names.append(("hem_l", "hem_r", TORSO_AND_HIPS, LOWER_SPAN))
    points = {**garment, **waist}
    # However long the garment, its hem stops a little below the hips (a top, not a dress): points below
    # the armpits move up in proportion when the similarity puts the hem lower than that.
    squeeze = 1.0
    hem_depth = float((_apply(sim, g_mid_hem) - frame.neck) @ frame.down)
    if frame.hip_depth is not None and hem_depth > frame.hip_depth + HEM_BELOW_HIPS * sw:
        squeeze = (frame.hip_depth + HEM_BELOW_HIPS * sw) / hem_depth
    seam_span = float(np.linalg.norm(t_sh[1] - t_sh[0]))
    for name_l, name_r, labels, (low, high) in side_names:
        t_l, t_r = (_squeezed(_apply(sim, points[n]), frame, squeeze) for n in (name_l, name_r))
        centre = (t_l + t_r) / 2
        width = torso_width_at(lip, centre, labels, sw)
        if width is not None:
            # Clothing that hides the arms (a bulky jacket, arms not parsed) measures wider than any
            # torso: the width is kept within the range a torso has relative to the shoulders.
            # Each side is measured from the body's centre line, so one bulky side cannot shift both.
            axis = frame.neck + frame.down * (centre[1] - frame.neck[1]) / max(frame.down[1], 1e-6)
            half_l, half_r = (float(np.clip(d, low * seam_span / 2, high * seam_span / 2))
                              for d in (axis[0] - width[0], width[1] - axis[0]))
            t_l = axis - frame.across * half_l
            t_r = axis + frame.across * half_r
        pair(points[name_l], t_l, name_l)
        pair(points[name_r], t_r, name_r)
    # Centre of the chest keeps the middle of the garment in the middle of the body.
    g_centre = (garment["neck_front"] + g_mid_hem) / 2
    t_centre = (placed["neck_front"] + (placed["hem_l"] + placed["hem_r"]) / 2) / 2
    pair(g_centre, t_centre)

    sleeves = []
    if has_sleeves(garment):
        for side, idx in (("l", 0), ("r", 1)):
            sleeves.append(_sleeve_pairs(garment, side, frame.arms[idx], placed[f"shoulder_{side}"],
                                         placed[f"armpit_{side}"], scale, frame,
                                         category == GarmentCategory.LONG_SLEEVE))
    if not (np.all(np.isfinite(dst)) and all(np.all(np.isfinite(d)) for _, d in sleeves)):
        raise NoGarmentFound("The garment's shape could not be read: photograph it flat, front up, whole.")
    long_sleeves = any(len(s) > 4 for s, _ in sleeves)  # seam pair + cuff pair only for a short sleeve
    return Targets(np.array(src), np.array(dst), sleeves, (placed["hem_l"], placed["hem_r"]), scale, placed,
                   frame, long_sleeves)


def _squeezed(p: np.ndarray, frame: BodyFrame, squeeze: float) -> np.ndarray:
    """p with its depth below the neck (along the torso) scaled by `squeeze`."""
    depth = float((p - frame.neck) @ frame.down)
    return p - frame.down * depth * (1 - squeeze)


def _garment_side_points(mask: np.ndarray, y: float, cx: float) -> tuple[np.ndarray, np.ndarray]:
    """Outer edges of the garment's body (the run through the centre column) in row y."""
    row = np.clip(int(round(y)), 0, mask.shape[0] - 1)
    line = mask[row] > 127
    col = int(np.clip(round(cx), 0, mask.shape[1] - 1))
    gaps_left = np.nonzero(~line[:col])[0]
    gaps_right = np.nonzero(~line[col:])[0]
    left = float(gaps_left[-1] + 1) if len(gaps_left) else 0.0
    right = float(col + gaps_right[0] - 1) if len(gaps_right) else float(mask.shape[1] - 1)
    return np.array([left, float(row)]), np.array([right, float(row)])


def _sleeve_pairs(garment: dict[str, np.ndarray], side: str, arm: np.ndarray, t_shoulder: np.ndarray,
                  t_armpit: np.ndarray, scale: float, frame: BodyFrame,
                  long: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Control points along both edges of one sleeve, laid along the arm polyline. `long`: the garment is
    known to have long sleeves."""
    g_sh, g_pit = garment[f"shoulder_{side}"], garment[f"armpit_{side}"]
    g_out, g_in = garment[f"sleeve_{side}_out"], garment[f"sleeve_{side}_in"]
    g_root, g_cuff = (g_sh + g_pit) / 2, (g_out + g_in) / 2
    length = natural = float(np.linalg.norm(g_cuff - g_root)) * scale
    root_w = float(np.linalg.norm(t_armpit - t_shoulder))
    cuff_w = float(np.linalg.norm(g_out - g_in)) * scale
    root = (t_shoulder + t_armpit) / 2
    poly = np.concatenate([root[None], arm[1:]])
    arm_length = float(np.linalg.norm(np.diff(poly, axis=0), axis=1).sum())
    if length > LONG_SLEEVE * arm_length:
        length = arm_length  # a long sleeve ends at the wrist, whatever the arm's length
    body_centre = frame.neck + frame.down * frame.shoulder_width
    src, dst = [g_sh, g_pit], [t_shoulder, t_armpit]
    # Short or long is the garment's category, else its own proportion (an arm foreshortened towards the
    # camera shortens a long sleeve but it still follows the arm to the wrist). A flat long sleeve with a
    # deep armhole (a wide seam, heathered knits) reads short by proportion, so the category wins.
    if long:
        length = arm_length  # a long sleeve by category ends at the wrist too
    stations = SLEEVE_STATIONS if long or natural >= SHORT_SLEEVE * root_w else (1.0,)
    for t in stations:
        centre, direction = polyline_point(poly, t * length)
        normal = np.array([-direction[1], direction[0]])
        if (centre - body_centre) @ normal < 0:
            normal = -normal  # away from the body: the shoulder (outer) edge of the sleeve
        half = ((1 - t) * root_w + t * cuff_w) / 2
        src += [g_sh + t * (g_out - g_sh), g_pit + t * (g_in - g_pit)]
        dst += [centre + normal * half, centre - normal * half]
    return np.array(src), np.array(dst)
