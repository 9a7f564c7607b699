"""Sizes and colours for one screen size, scaled from the 800x480 Pi touchscreen design.

Every touch target is at least 64 design pixels high (64 px on the Pi screen, 144 px at 1080p), above
the 48 px minimum for fingers.
"""
from __future__ import annotations

from dataclasses import dataclass

DESIGN_W, DESIGN_H = 800, 480

BG = "#11151b"
PANEL = "#1c232d"
CARD = "#252e3a"
TEXT = "#f5f2ec"
MUTED = "#a3adba"
ACCENT = "#ff8a3d"
ACCENT_DARK = "#c95f1c"
ON_ACCENT = "#1b1006"
WARN = "#f2c14e"
GUIDE = "#7fe0b0"
FONT = "DejaVu Sans"


@dataclass(frozen=True)
class Layout:
    width: int
    height: int

    @property
    def s(self) -> float:
        """Scale from the 800x480 design."""
        return min(self.width / DESIGN_W, self.height / DESIGN_H)

    def px(self, design_px: float) -> int:
        return max(1, round(design_px * self.s))

    def font(self, design_pt: float, weight: str = "normal") -> tuple[str, int, str]:
        # Negative sizes are pixels in Tk: independent of the display's DPI setting.
        return (FONT, -self.px(design_pt), weight)

    @property
    def button_h(self) -> int:
        return self.px(64)

    @property
    def gap(self) -> int:
        return self.px(12)

    @property
    def panel_w(self) -> int:
        """Width of the side panel next to the photo (preview, sending, result)."""
        return self.px(300)

    @property
    def photo_box(self) -> tuple[int, int, int, int]:
        """x0, y0, x1, y1 of the photo area left of the panel."""
        return 0, 0, self.width - self.panel_w, self.height

    def fit(self, box: tuple[int, int, int, int], aspect: float) -> tuple[int, int, int, int]:
        """The largest rectangle of width/height `aspect` centred in `box`."""
        x0, y0, x1, y1 = box
        w, h = x1 - x0, y1 - y0
        if w / h > aspect:
            fw, fh = round(h * aspect), h
        else:
            fw, fh = w, round(w / aspect)
        left, top = x0 + (w - fw) // 2, y0 + (h - fh) // 2
        return left, top, left + fw, top + fh
