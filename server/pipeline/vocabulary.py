"""The names behind every number the pipeline passes around: parse labels (LIP-20 and ACGPN-14), body
keypoints (OpenPose COCO-18 and MediaPipe BlazePose-33), garment categories and garment landmarks.

Every other module uses these names; none writes a label or keypoint number of its own. A person analysis
carries two label maps whose numbers differ (upper clothes is `Lip.UPPER_CLOTHES` = 5 but
`Acgpn.UPPER_CLOTHES` = 4): the enum type says which map a number belongs to.
"""
from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import TypeVar

from server.pipeline.errors import UnsupportedCategory


class Lip(IntEnum):
    """LIP-20 labels, what a human parser emits (Gong et al., "Look into Person", CVPR 2017)."""

    BACKGROUND = 0
    HAT = 1
    HAIR = 2
    GLOVE = 3
    SUNGLASSES = 4
    UPPER_CLOTHES = 5
    DRESS = 6
    COAT = 7
    SOCKS = 8
    PANTS = 9
    JUMPSUITS = 10
    SCARF = 11
    SKIRT = 12
    FACE = 13
    LEFT_ARM = 14
    RIGHT_ARM = 15
    LEFT_LEG = 16
    RIGHT_LEG = 17
    LEFT_SHOE = 18
    RIGHT_SHOE = 19


class Acgpn(IntEnum):
    """ACGPN's 14 labels (2 and 3 are unused), as its official data loader reads them."""

    BACKGROUND = 0
    HAIR = 1
    UPPER_CLOTHES = 4
    LEFT_SHOE = 5
    RIGHT_SHOE = 6
    NOISE = 7
    PANTS = 8
    LEFT_LEG = 9
    RIGHT_LEG = 10
    LEFT_ARM = 11
    FACE = 12
    RIGHT_ARM = 13


ACGPN_CLASSES = 14  # one-hot width: the values above run to 13

# Groups of LIP labels that several stages treat alike.
LIP_CLOTHES = (Lip.UPPER_CLOTHES, Lip.DRESS, Lip.COAT)  # what a top replaces
LIP_ARMS = (Lip.LEFT_ARM, Lip.RIGHT_ARM)

# LIP-20 → ACGPN-14 with the levindabhi table (the mapping the ACGPN community results used): hat/hair →
# hair, upper/dress/coat → upper clothes, pants/skirt → pants, sunglasses/face → face, and everything without
# an ACGPN class (glove, socks, jumpsuit, scarf) → noise.
LIP_TO_ACGPN: dict[Lip, Acgpn] = {
    Lip.BACKGROUND: Acgpn.BACKGROUND,
    Lip.HAT: Acgpn.HAIR,
    Lip.HAIR: Acgpn.HAIR,
    Lip.GLOVE: Acgpn.NOISE,
    Lip.SUNGLASSES: Acgpn.FACE,
    Lip.UPPER_CLOTHES: Acgpn.UPPER_CLOTHES,
    Lip.DRESS: Acgpn.UPPER_CLOTHES,
    Lip.COAT: Acgpn.UPPER_CLOTHES,
    Lip.SOCKS: Acgpn.NOISE,
    Lip.PANTS: Acgpn.PANTS,
    Lip.JUMPSUITS: Acgpn.NOISE,
    Lip.SCARF: Acgpn.NOISE,
    Lip.SKIRT: Acgpn.PANTS,
    Lip.FACE: Acgpn.FACE,
    Lip.LEFT_ARM: Acgpn.LEFT_ARM,
    Lip.RIGHT_ARM: Acgpn.RIGHT_ARM,
    Lip.LEFT_LEG: Acgpn.LEFT_LEG,
    Lip.RIGHT_LEG: Acgpn.RIGHT_LEG,
    Lip.LEFT_SHOE: Acgpn.LEFT_SHOE,
    Lip.RIGHT_SHOE: Acgpn.RIGHT_SHOE,
}


class Coco18(IntEnum):
    """OpenPose COCO-18 keypoints. "Left" and "right" are the subject's own, as in OpenPose."""

    NOSE = 0
    NECK = 1
    R_SHOULDER = 2
    R_ELBOW = 3
    R_WRIST = 4
    L_SHOULDER = 5
    L_ELBOW = 6
    L_WRIST = 7
    R_HIP = 8
    R_KNEE = 9
    R_ANKLE = 10
    L_HIP = 11
    L_KNEE = 12
    L_ANKLE = 13
    R_EYE = 14
    L_EYE = 15
    R_EAR = 16
    L_EAR = 17


class BlazePose(IntEnum):
    """MediaPipe BlazePose's 33 landmarks (mediapipe's `PoseLandmark`, named here so that modules which only
    need the numbers do not load MediaPipe). "Left" is the subject's left."""

    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


class GarmentCategory(StrEnum):
    """The tops the try-on supports. Checked once where a category enters: the API request and the catalog
    file; everything after them receives a `GarmentCategory`."""

    TSHIRT = "tshirt"
    LONG_SLEEVE = "long_sleeve"
    TANK_TOP = "tank_top"


class GarmentLandmark(StrEnum):
    """Key points of a flat, front-facing garment photo. "_l" / "_r" are image left / right (the garment seen
    from the front, as the shopper is seen by the camera)."""

    NECK_L = "neck_l"
    NECK_R = "neck_r"
    NECK_FRONT = "neck_front"
    SHOULDER_L = "shoulder_l"
    SHOULDER_R = "shoulder_r"
    ARMPIT_L = "armpit_l"
    ARMPIT_R = "armpit_r"
    HEM_L = "hem_l"
    HEM_R = "hem_r"
    SLEEVE_L_OUT = "sleeve_l_out"
    SLEEVE_L_IN = "sleeve_l_in"
    SLEEVE_R_OUT = "sleeve_r_out"
    SLEEVE_R_IN = "sleeve_r_in"


Label = TypeVar("Label", Lip, Acgpn, Coco18, BlazePose)

SLEEVE_LANDMARKS = (GarmentLandmark.SLEEVE_L_OUT, GarmentLandmark.SLEEVE_L_IN, GarmentLandmark.SLEEVE_R_OUT,
                    GarmentLandmark.SLEEVE_R_IN)
TORSO_LANDMARKS = tuple(m for m in GarmentLandmark if m not in SLEEVE_LANDMARKS)


def garment_category(value: object) -> GarmentCategory:
    """The category a request, catalog file or caller names; raises UnsupportedCategory for anything else."""
    if isinstance(value, str) and value in GarmentCategory.__members__.values():
        return GarmentCategory(value)
    raise UnsupportedCategory(f"The try-on supports tops only ({', '.join(GarmentCategory)}); got {value!r}.")


def mirrored(label: Label) -> Label:
    """The label or keypoint a horizontal flip turns `label` into (left ↔ right; others stay)."""
    for a, b in (("LEFT_", "RIGHT_"), ("L_", "R_")):
        for this, other in ((a, b), (b, a)):
            if label.name.startswith(this):
                return type(label)[other + label.name[len(this):]]
    return label
