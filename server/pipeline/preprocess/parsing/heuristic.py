"""A LIP-20 human parser built from the packaged MediaPipe models plus colour models (no pip or apt package
ships human-parsing weights).

Order of decisions, each on the MediaPipe person mask:
  face      convex hull of the face mesh (or an ellipse from eyes/ears when the mesh is missing)
  skin      a YCrCb chroma Gaussian sampled inside the face
  hair      non-skin pixels in a head ellipse, grown downwards by a Lab model (long hair), never under the chin
  neck      skin below the chin between the shoulders → background, as LIP annotates it (VITON's parses and
            SCHP-LIP, which ACGPN was trained and run with, leave the neck and chest skin at 0)
  arms      skin near the shoulder-elbow-wrist polylines, plus the hands; left/right by the nearer polyline
  legs      skin near the hip-knee-ankle polylines; shoes: non-skin pixels around the feet
  clothes   the rest, split into upper and lower by a per-column "waist cut" that best separates a torso
            colour model from a below-the-hips colour model, median-filtered along the body
Sizes are relative to the shoulder width, so the parser works the same at 192×256 and at 512 px.
"""
from __future__ import annotations

import cv2
import numpy as np
from scipy.ndimage import median_filter

from server.pipeline.preprocess.body import BodyObservation
from server.pipeline.preprocess.parsing.colour import ColourModel
from server.pipeline.vocabulary import BlazePose, Lip

SKIN_DISTANCE = 3.0  # Mahalanobis, YCrCb chroma
ARM_SKIN_DISTANCE = 4.0
HAIR_DISTANCE = 3.0  # Mahalanobis, Lab
MIN_SKIN_LUMA = 35
ARM_RADIUS = 0.2  # × shoulder width
SLEEVE_RADIUS = 0.3
LEG_RADIUS = 0.25
FOOT_RADIUS = 0.2


def _polyline_distance(shape: tuple[int, int], points: np.ndarray) -> np.ndarray:
    """Distance (px) of every pixel to the polyline through `points` (K, 2)."""
    canvas = np.full(shape, 255, np.uint8)
    cv2.polylines(canvas, [np.round(points).astype(np.int32).reshape(-1, 1, 2)], False, 0, 1)
    return cv2.distanceTransform(canvas, cv2.DIST_L2, 3)


def _keep_touching(candidates: np.ndarray, seed: np.ndarray) -> np.ndarray:
    """The connected parts of `candidates | seed` that contain a seed pixel."""
    count, components = cv2.connectedComponents((candidates | seed).astype(np.uint8), connectivity=8)
    touching = np.unique(components[seed])
    return np.isin(components, touching[touching > 0])


def _drop_specks(mask: np.ndarray, min_area: float) -> np.ndarray:
    """`mask` without its connected parts smaller than `min_area` pixels."""
    count, components, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    keep = np.flatnonzero(stats[:, cv2.CC_STAT_AREA] >= min_area)
    return np.isin(components, keep[keep > 0])


class HeuristicParser:
    name = "heuristic"

    def parse(self, rgb: np.ndarray, body: BodyObservation) -> np.ndarray:
        """Parse only the person's bounding box (with a margin): the rest is background anyway."""
        height, width = rgb.shape[:2]
        person = body.person_mask > 0.5
        rows, cols = np.nonzero(person.any(axis=1))[0], np.nonzero(person.any(axis=0))[0]
        lip = np.zeros((height, width), np.uint8)
        if len(rows) == 0:
            return lip
        margin = max(4, int(0.05 * max(height, width)))
        y0, y1 = max(0, rows[0] - margin), min(height, rows[-1] + 1 + margin)
        x0, x1 = max(0, cols[0] - margin), min(width, cols[-1] + 1 + margin)
        offset = np.array([x0, y0], np.float32)
        landmarks = body.landmarks.copy()
        landmarks[:, :2] -= offset
        region = BodyObservation(
            landmarks,
            None if body.face is None else body.face - offset,
            [hand - offset for hand in body.hands],
            body.person_mask[y0:y1, x0:x1],
        )
        lip[y0:y1, x0:x1] = self._parse_region(np.ascontiguousarray(rgb[y0:y1, x0:x1]), region)
        return lip

    def _parse_region(self, rgb: np.ndarray, body: BodyObservation) -> np.ndarray:
        height, width = rgb.shape[:2]
        lm = body.landmarks
        person = body.person_mask > 0.5
        ys, xs = np.ogrid[0:height, 0:width]  # (H, 1) and (1, W): broadcast, never materialised
        ycrcb = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb).astype(np.float32)
        lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
        lip = np.zeros((height, width), np.uint8)

        shoulders = lm[BlazePose.LEFT_SHOULDER, :2] - lm[BlazePose.RIGHT_SHOULDER, :2]
        shoulder_width = max(float(np.hypot(*shoulders)), 4.0)
        shoulder_y = float(lm[BlazePose.LEFT_SHOULDER, 1] + lm[BlazePose.RIGHT_SHOULDER, 1]) / 2
        hip_y = float(lm[BlazePose.LEFT_HIP, 1] + lm[BlazePose.RIGHT_HIP, 1]) / 2
        torso = max(hip_y - shoulder_y, 1.0)
        neck_x = float(lm[BlazePose.LEFT_SHOULDER, 0] + lm[BlazePose.RIGHT_SHOULDER, 0]) / 2

        # Face and the skin colour sampled inside it.
        face = self._face(body, (height, width))
        face_core = cv2.erode(face.astype(np.uint8), np.ones((3, 3), np.uint8), iterations=2).astype(bool)
        sampled = face_core & person if (face_core & person).any() else face_core
        skin_model = ColourModel.fit(ycrcb[sampled][:, 1:])
        if skin_model is not None:
            d_skin = skin_model.distance(ycrcb[..., 1:])
            lit_person = (ycrcb[..., 0] > MIN_SKIN_LUMA) & person
            skin = (d_skin < SKIN_DISTANCE) & lit_person
        else:
            skin = np.zeros_like(person)
        face_ys, face_xs = np.nonzero(face)
        if len(face_ys):
            fx0, fx1, fy0, chin_y = face_xs.min(), face_xs.max(), face_ys.min(), face_ys.max()
        else:  # nothing to anchor a face on: use the shoulders
            fx0, fx1 = neck_x - shoulder_width / 4, neck_x + shoulder_width / 4
            fy0, chin_y = shoulder_y - shoulder_width * 0.8, shoulder_y - shoulder_width * 0.25
        face_w, face_h = max(fx1 - fx0, 2), max(chin_y - fy0, 2)
        face_cx = (fx0 + fx1) / 2

        # Hair: the head ellipse outside the face is mostly hair (plus ears); a Lab model of it grows downward
        # for long hair. Blond hair has skin-like chroma, so near the head a pixel is hair when it is closer
        # to the hair model than to the face's Lab model.
        head = ((xs - face_cx) / (0.85 * face_w)) ** 2 + ((ys - (fy0 + 0.35 * face_h)) / (0.95 * face_h)) ** 2 < 1
        face_margin = cv2.dilate(face.astype(np.uint8), np.ones((3, 3), np.uint8),
                                 iterations=max(1, int(0.06 * face_w)))
        ring = head & person & ~face_margin.astype(bool) & (ys < chin_y)
        hair_model = ColourModel.fit(lab[ring])
        face_model = ColourModel.fit(lab[face_core])
        hair = np.zeros_like(person)
        if hair_model is not None:
            d_hair = hair_model.distance(lab)
            hairlike = d_hair < HAIR_DISTANCE
            if face_model is not None:
                hairlike &= d_hair < face_model.distance(lab)
            below_chin_middle = (ys > chin_y) & (np.abs(xs - face_cx) < 0.45 * face_w)
            # Hair may fall over the shoulders, unless the top has the hair's colour: then stop at the shoulders.
            top = self._torso_patch(person & ~face, lm, shoulder_y, torso, xs, ys)
            top_model = ColourModel.fit(lab[top])
            same_colour = top_model is not None and min(
                hair_model.distance(top_model.mean), top_model.distance(hair_model.mean)) < HAIR_DISTANCE
            hair_bottom = shoulder_y - 0.05 * torso if same_colour else shoulder_y + 0.35 * torso
            band = (np.abs(xs - face_cx) < 1.3 * face_w) & (ys < hair_bottom)
            grow = person & ~face & band & ~below_chin_middle & hairlike
            hair = _keep_touching(grow, ring & hairlike) & ~face
        head_skin = head & skin & person & ~hair & (ys < chin_y + 0.1 * face_h)
        lip[hair] = Lip.HAIR
        lip[face | head_skin] = Lip.FACE

        # Arms (bare skin and hands) and the zone where sleeves are.
        left_arm = lm[[BlazePose.LEFT_SHOULDER, BlazePose.LEFT_ELBOW, BlazePose.LEFT_WRIST, BlazePose.LEFT_INDEX], :2]
        right_arm = lm[[BlazePose.RIGHT_SHOULDER, BlazePose.RIGHT_ELBOW, BlazePose.RIGHT_WRIST,
                        BlazePose.RIGHT_INDEX], :2]
        d_left = _polyline_distance((height, width), left_arm)
        d_right = _polyline_distance((height, width), right_arm)
        d_arm = np.minimum(d_left, d_right)
        neck_zone = (ys > chin_y) & (ys < shoulder_y + 0.3 * torso) & (np.abs(xs - neck_x) < 0.35 * shoulder_width)
        arm_skin = skin
        if skin_model is not None:  # forearms are often in shade: a looser skin test near the arm polylines
            arm_skin = (d_skin < ARM_SKIN_DISTANCE) & lit_person
        arms = arm_skin & (d_arm < ARM_RADIUS * shoulder_width) & ~neck_zone & (lip == Lip.BACKGROUND)
        hands = np.zeros((height, width), np.uint8)
        for hand in body.hands:
            cv2.fillConvexPoly(hands, cv2.convexHull(np.round(hand).astype(np.int32)), 1)
        arms |= cv2.dilate(hands, np.ones((5, 5), np.uint8)).astype(bool) & person & (lip == Lip.BACKGROUND)
        arms = _drop_specks(arms, (0.1 * shoulder_width) ** 2)  # skin-coloured specks on clothes
        lip[arms & (d_left <= d_right)] = Lip.LEFT_ARM
        lip[arms & (d_left > d_right)] = Lip.RIGHT_ARM

        # Neck and chest skin: LIP has no class for it and annotates it as background; it must not become
        # clothes below.
        chest = skin & (lip == Lip.BACKGROUND) & (ys > chin_y) & (ys < shoulder_y + 0.6 * torso)
        chest &= np.abs(xs - neck_x) < 0.5 * shoulder_width
        neck = _keep_touching(chest & ~neck_zone, chest & neck_zone) if (chest & neck_zone).any() else chest & False

        # Legs and shoes.
        left_leg = lm[[BlazePose.LEFT_HIP, BlazePose.LEFT_KNEE, BlazePose.LEFT_ANKLE], :2]
        right_leg = lm[[BlazePose.RIGHT_HIP, BlazePose.RIGHT_KNEE, BlazePose.RIGHT_ANKLE], :2]
        dl_leg = _polyline_distance((height, width), left_leg)
        dr_leg = _polyline_distance((height, width), right_leg)
        unlabelled = lip == Lip.BACKGROUND
        legs = skin & (np.minimum(dl_leg, dr_leg) < LEG_RADIUS * shoulder_width) & (ys > hip_y) & unlabelled
        lip[legs & (dl_leg <= dr_leg)] = Lip.LEFT_LEG
        lip[legs & (dl_leg > dr_leg)] = Lip.RIGHT_LEG
        feet = ((BlazePose.LEFT_ANKLE, BlazePose.LEFT_HEEL, BlazePose.LEFT_FOOT_INDEX, Lip.LEFT_SHOE),
                (BlazePose.RIGHT_ANKLE, BlazePose.RIGHT_HEEL, BlazePose.RIGHT_FOOT_INDEX, Lip.RIGHT_SHOE))
        for ankle, heel, foot, label in feet:
            x, y, visibility = lm[ankle]
            if visibility < 0.5 or not (0 <= x < width and 0 <= y < height):
                continue
            d_foot = _polyline_distance((height, width), lm[[ankle, heel, foot, ankle], :2])
            shoe = (d_foot < FOOT_RADIUS * shoulder_width) & person & ~skin & (lip == Lip.BACKGROUND) \
                & (ys > y - 0.05 * torso)
            lip[shoe] = label

        # Clothes: the rest of the person, upper vs lower.
        clothes = person & (lip == Lip.BACKGROUND) & ~neck
        sleeves = clothes & (d_arm < SLEEVE_RADIUS * shoulder_width) & (ys < hip_y)
        lower = self._lower_clothes(lab, clothes, lm, shoulder_y, hip_y, torso, xs, ys) & ~sleeves
        lip[clothes] = Lip.UPPER_CLOTHES
        if lower.any():
            lip[lower] = self._pants_or_skirt(lower, lm, width, height)
        return lip

    @staticmethod
    def _face(body: BodyObservation, shape: tuple[int, int]) -> np.ndarray:
        face = np.zeros(shape, np.uint8)
        if body.face is not None:
            cv2.fillConvexPoly(face, cv2.convexHull(np.round(body.face).astype(np.int32)), 1)
        else:
            lm = body.landmarks
            ears = lm[[BlazePose.LEFT_EAR, BlazePose.RIGHT_EAR], :2]
            centre = (lm[BlazePose.LEFT_EYE, :2] + lm[BlazePose.RIGHT_EYE, :2] + lm[BlazePose.NOSE, :2] * 2) / 4
            half_width = max(float(np.hypot(*(ears[0] - ears[1]))) / 2, 2.0)
            cv2.ellipse(
                face, (int(centre[0]), int(centre[1] + 0.2 * half_width)),
                (int(half_width * 0.9), int(half_width * 1.25)), 0, 0, 360, 1, -1,
            )
        return face.astype(bool)

    @staticmethod
    def _torso_patch(
        region: np.ndarray, lm: np.ndarray, shoulder_y: float, torso: float, xs: np.ndarray, ys: np.ndarray
    ) -> np.ndarray:
        """The middle of the chest and belly, where the top's colour is sampled."""
        shoulder_l, shoulder_r = sorted(float(lm[i, 0]) for i in (BlazePose.LEFT_SHOULDER, BlazePose.RIGHT_SHOULDER))
        inset = 0.25 * (shoulder_r - shoulder_l)
        patch = region & (xs > shoulder_l + inset) & (xs < shoulder_r - inset)
        return patch & (ys > shoulder_y + 0.2 * torso) & (ys < shoulder_y + 0.65 * torso)

    @staticmethod
    def _lower_clothes(
        lab: np.ndarray, clothes: np.ndarray, lm: np.ndarray, shoulder_y: float, hip_y: float, torso: float,
        xs: np.ndarray, ys: np.ndarray,
    ) -> np.ndarray:
        """Pixels of `clothes` that belong to a lower garment (pants / skirt)."""
        height, width = clothes.shape
        shoulder_l, shoulder_r = sorted(float(lm[i, 0]) for i in (BlazePose.LEFT_SHOULDER, BlazePose.RIGHT_SHOULDER))
        upper_model = ColourModel.fit(lab[HeuristicParser._torso_patch(clothes, lm, shoulder_y, torso, xs, ys)])
        if upper_model is None:
            return np.zeros_like(clothes)
        hip_l, hip_r = sorted((float(lm[BlazePose.LEFT_HIP, 0]), float(lm[BlazePose.RIGHT_HIP, 0])))
        hip_pad = 0.25 * max(hip_r - hip_l, 1.0)
        thigh_patch = clothes & (xs > hip_l - hip_pad) & (xs < hip_r + hip_pad)
        thigh_patch &= (ys > hip_y + 0.15 * torso) & (ys < hip_y + 0.6 * torso)
        lower_model = ColourModel.fit(lab[thigh_patch])
        d_up = upper_model.distance(lab)
        if lower_model is None:
            # Little below the hips is visible: only clearly different colours under the hip line are lower.
            return clothes & (ys > hip_y - 0.05 * torso) & (d_up > 2 * HAIR_DISTANCE)
        similar = min(upper_model.distance(lower_model.mean), lower_model.distance(upper_model.mean)) < 2.5
        if similar:
            # One colour from chest to thighs (a dress, or a matching two-piece): split at the hips, so that
            # a top's try-on replaces what lies above them and keeps what lies below.
            return clothes & (ys >= hip_y)
        prefers_lower = clothes & (lower_model.neg_log_likelihood(lab) < upper_model.neg_log_likelihood(lab))
        prefers_upper = clothes & ~prefers_lower
        # cost(c) for each column = lower-looking pixels above the cut + upper-looking pixels below it.
        below_lower = np.vstack([np.zeros((1, width)), np.cumsum(prefers_lower, axis=0)])
        below_upper = np.vstack([np.zeros((1, width)), np.cumsum(prefers_upper, axis=0)])
        cost = below_lower + (below_upper[-1] - below_upper)  # (H+1, W)
        lo = int(np.clip(hip_y - 0.45 * torso, 0, height))
        hi = int(np.clip(hip_y + 0.5 * torso, lo + 1, height + 1))
        cut = lo + np.argmin(cost[lo:hi], axis=0)
        columns = np.flatnonzero(clothes.any(axis=0))
        if len(columns) == 0:
            return np.zeros_like(clothes)
        kernel = max(5, int(0.3 * (shoulder_r - shoulder_l)) | 1)
        cut[columns] = median_filter(cut[columns], size=kernel, mode="nearest")
        return clothes & (ys >= cut[np.newaxis, :])

    @staticmethod
    def _pants_or_skirt(lower: np.ndarray, lm: np.ndarray, width: int, height: int) -> int:
        """Skirt when the garment bridges the gap between the knees; pants otherwise (or when unknown)."""
        knees = lm[[BlazePose.LEFT_KNEE, BlazePose.RIGHT_KNEE]]
        if (knees[:, 2] < 0.5).any() or not ((0 <= knees[:, 0]).all() and (knees[:, 0] < width).all()):
            return Lip.PANTS
        y = int(knees[:, 1].mean() - 0.15 * abs(knees[0, 1] - lm[BlazePose.LEFT_HIP, 1]))
        x = int(knees[:, 0].mean())
        if not (0 <= y < height):
            return Lip.PANTS
        return Lip.SKIRT if lower[y, max(0, x - 1):x + 2].all() else Lip.PANTS
