"""The fullscreen Tk touchscreen app: draws what the states ask for on one canvas.

Tk is only touched from the main loop. Camera frames come from the reader thread (`latest()`), HTTP
results arrive as events on the booth's queue; `_loop` polls both with `after`, so nothing here waits.
"""
from __future__ import annotations

import logging
import tkinter as tk
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, ImageTk

from common.config.kiosk import KioskConfig
from kiosk.catalog_cache import Catalog
from kiosk.client import Garment
from kiosk.gui import layout as L
from kiosk.gui.flow import Booth
from kiosk.gui.framing import PORTRAIT, portrait_crop
from kiosk.gui.names import StateName, Tap
from kiosk.gui.states import Event
from kiosk.gui.texts import say

log = logging.getLogger(__name__)

POLL_MS = 10  # how often the loop looks for events and new camera frames
DRAG_PX = 12  # a press that moves more than this is a scroll, not a tap
LIVE_STATES = (StateName.PREVIEW, StateName.COUNTDOWN)
TAP_PREFIX = "tap:"  # a button's canvas items are tagged tap:<target>
# The label of the button that shows the next result mode, by the mode shown.
NEXT_MODE_LABEL = {"after": "result.show_before", "before": "result.side_by_side", "side_by_side": "result.show_after"}


def tap_tag(target: str) -> str:
    return TAP_PREFIX + target


class KioskApp:
    """The View of the booth's states, in Tk."""

    def __init__(self, config: KioskConfig, *, windowed: bool = False) -> None:
        self.config = config
        self.root = tk.Tk(className="fitting-booth")
        self.root.title(say("window.title"))
        if config.screen.fullscreen and not windowed:
            width, height = self.root.winfo_screenwidth(), self.root.winfo_screenheight()
            self.root.overrideredirect(True)  # no title bar or borders, with or without a window manager
            self.root.geometry(f"{width}x{height}+0+0")
            self.root.attributes("-fullscreen", True)
        else:
            width, height = config.screen.width, config.screen.height
            self.root.geometry(f"{width}x{height}")
            self.root.resizable(False, False)
        self.layout = L.Layout(width, height)
        self.canvas = tk.Canvas(self.root, width=width, height=height, bg=L.BG, highlightthickness=0, bd=0)
        self.canvas.pack(fill="both", expand=True)
        if config.screen.hide_cursor:
            self.root.configure(cursor="none")
            self.canvas.configure(cursor="none")
        self.booth: Booth | None = None
        self._images: dict[str, ImageTk.PhotoImage] = {}  # Tk forgets images nobody references
        self._thumbs: dict[tuple[str, int, int], ImageTk.PhotoImage] = {}
        self._live: ImageTk.PhotoImage | None = None
        self._live_seq = -1
        self._press: tuple[int, int] | None = None
        self._dragging = False
        self._grid_offset = 0
        self._grid_span = (0, 0)  # (visible height, content height) of the catalog grid
        self.frames_drawn = 0  # preview frames put on screen (bench/kiosk_preview.py reads it)
        self.canvas.bind("<ButtonPress-1>", self._on_press)
        self.canvas.bind("<B1-Motion>", self._on_motion)
        self.canvas.bind("<ButtonRelease-1>", self._on_release)
        self.canvas.bind("<MouseWheel>", lambda e: self._scroll(e.delta))
        self.canvas.bind("<Button-4>", lambda e: self._scroll(120))
        self.canvas.bind("<Button-5>", lambda e: self._scroll(-120))
        self.root.bind(f"<KeyPress-{config.capture_key}>", lambda e: self._post(Event("button")))

    # ---- running ---------------------------------------------------------------------------------------
    def run(self, booth: Booth, *, on_quit: Callable[[], None] | None = None) -> None:
        self.booth = booth
        self.root.protocol("WM_DELETE_WINDOW", self.root.destroy)
        self.root.bind("<Control-q>", lambda e: self.root.destroy())  # staff with a keyboard
        booth.start()
        self.root.after(POLL_MS, self._loop, booth)
        self.root.focus_force()
        try:
            self.root.mainloop()
        finally:
            if on_quit:
                on_quit()

    def _post(self, event: Event) -> None:
        if self.booth is not None:
            self.booth.post(event)

    def _loop(self, booth: Booth) -> None:
        try:
            booth.pump()
            if booth.machine.name in LIVE_STATES:
                self._draw_live_frame()
        except Exception:  # never let the loop die; the state machine has its own failsafe
            log.exception("UI loop")
        self.root.after(POLL_MS, self._loop, booth)

    # ---- input -----------------------------------------------------------------------------------------
    def _on_press(self, e: tk.Event) -> None:
        self._press = (e.x, e.y)
        self._dragging = False

    def _on_motion(self, e: tk.Event) -> None:
        if self._press is None:
            return
        dy = e.y - self._press[1]
        if self._dragging or abs(dy) > DRAG_PX or abs(e.x - self._press[0]) > DRAG_PX:
            self._dragging = True
            self._scroll(dy)
            self._press = (e.x, e.y)

    def _on_release(self, e: tk.Event) -> None:
        dragged, self._press = self._dragging, None
        if dragged:
            self._post(Event("scroll"))
            return
        target = ""
        for item in reversed(self.canvas.find_overlapping(e.x - 1, e.y - 1, e.x + 1, e.y + 1)):
            tags = [t for t in self.canvas.gettags(item) if t.startswith(TAP_PREFIX)]
            if tags:
                target = tags[0].removeprefix(TAP_PREFIX)
                break
        self._post(Event("tap", target))

    def _scroll(self, dy: float) -> None:
        visible, content = self._grid_span
        if content <= visible:
            return
        new = min(0, max(visible - content, self._grid_offset + int(dy)))
        if new != self._grid_offset:
            self.canvas.move("grid", 0, new - self._grid_offset)
            self._grid_offset = new

    # ---- drawing helpers -------------------------------------------------------------------------------
    def _clear(self) -> None:
        self.canvas.delete("all")
        self._images.clear()
        self._live = None
        self._live_seq = -1
        self._grid_span = (0, 0)

    def _round_rect(self, x0: float, y0: float, x1: float, y1: float, r: float, **kw) -> int:
        points = [x0 + r, y0, x1 - r, y0, x1, y0, x1, y0 + r, x1, y1 - r, x1, y1, x1 - r, y1,
                  x0 + r, y1, x0, y1, x0, y1 - r, x0, y0 + r, x0, y0]
        return self.canvas.create_polygon(points, smooth=True, **kw)

    def _button(self, x0: int, y0: int, x1: int, y1: int, label: str, target: str, *,
                primary: bool = False, tags: tuple[str, ...] = ()) -> None:
        lay = self.layout
        fill, fg = (L.ACCENT, L.ON_ACCENT) if primary else (L.CARD, L.TEXT)
        tag = (tap_tag(target),) + tags
        self._round_rect(x0, y0, x1, y1, lay.px(14), fill=fill, outline="", tags=tag)
        self.canvas.create_text((x0 + x1) / 2, (y0 + y1) / 2, text=label, fill=fg,
                                font=lay.font(20 if primary else 18, "bold"), tags=tag)

    def _photo(self, key: str, rgb: np.ndarray, box: tuple[int, int, int, int], *, mirror: bool) -> None:
        x0, y0, x1, y1 = box
        img = cv2.resize(rgb, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
        if mirror:
            img = img[:, ::-1]
        photo = ImageTk.PhotoImage(Image.fromarray(np.ascontiguousarray(img)))
        self._images[key] = photo
        self.canvas.create_image(x0, y0, image=photo, anchor="nw", tags=(key,))

    def _thumb(self, path: Path | None, w: int, h: int) -> ImageTk.PhotoImage | None:
        if path is None:
            return None
        key = (str(path), w, h)
        if key not in self._thumbs:
            try:
                with Image.open(path) as im:  # fit the box, up or down (big screens, small thumbnails)
                    fitted = ImageOps.contain(im.convert("RGB"), (w, h), Image.Resampling.LANCZOS)
                    self._thumbs[key] = ImageTk.PhotoImage(fitted)
            except OSError:
                return None
        return self._thumbs[key]

    def _panel(self) -> tuple[int, int, int, int]:
        lay = self.layout
        x0 = lay.width - lay.panel_w
        self.canvas.create_rectangle(x0, 0, lay.width, lay.height, fill=L.PANEL, outline="")
        return x0 + lay.gap * 2, lay.gap * 2, lay.width - lay.gap * 2, lay.height - lay.gap * 2

    def _garment_header(self, garment: Garment, area: tuple[int, int, int, int], caption: str) -> int:
        """Thumbnail + name + price at the top of the side panel; returns the y below it."""
        lay = self.layout
        x0, y0, x1, _ = area
        size = lay.px(72)
        thumb = self._thumb(self._thumb_path(garment.id), size, size)
        if thumb is not None:
            self.canvas.create_image(x0 + size // 2, y0 + size // 2, image=thumb)
        tx = x0 + size + lay.gap
        self.canvas.create_text(tx, y0 + lay.px(4), text=caption, fill=L.MUTED, anchor="nw", font=lay.font(14))
        name = self.canvas.create_text(tx, y0 + lay.px(24), text=garment.name, fill=L.TEXT, anchor="nw",
                                       font=lay.font(18, "bold"), width=x1 - tx)
        bottom = self.canvas.bbox(name)[3]
        if garment.price:
            price = self.canvas.create_text(tx, bottom + lay.px(4), text=garment.price, fill=L.ACCENT, anchor="nw",
                                            font=lay.font(16, "bold"))
            bottom = self.canvas.bbox(price)[3]
        return max(y0 + size, bottom) + lay.gap * 2

    def _thumb_path(self, garment_id: str) -> Path | None:
        catalog = self.booth.catalog if self.booth else None
        return catalog.thumbnails.get(garment_id) if catalog else None

    def _stacked_buttons(self, area: tuple[int, int, int, int], buttons: list[tuple[str, str, bool]]) -> None:
        """Buttons stacked at the bottom of the side panel, the first one on top."""
        lay = self.layout
        x0, _, x1, y1 = area
        y = y1 - len(buttons) * lay.button_h - (len(buttons) - 1) * lay.gap
        for label, target, primary in buttons:
            self._button(x0, y, x1, y + lay.button_h, label, target, primary=primary)
            y += lay.button_h + lay.gap

    # ---- the View --------------------------------------------------------------------------------------
    def show_attract(self) -> None:
        self._clear()
        lay, c = self.layout, self.canvas
        W, H = lay.width, lay.height
        catalog = self.booth.catalog if self.booth else None
        if catalog is not None and catalog.thumbnails:  # a strip of garments along the bottom
            th = lay.px(130)
            tw = round(th * 0.75)
            paths = [catalog.thumbnails[g.id] for g in catalog.garments if g.id in catalog.thumbnails]
            count = min(len(paths), max(1, (W - lay.gap) // (tw + lay.gap)))
            x = (W - count * (tw + lay.gap) + lay.gap) // 2
            for path in paths[:count]:
                self._round_rect(x, H - th - lay.px(36), x + tw, H - lay.px(36), lay.px(10), fill="#f3f1ed", outline="")
                thumb = self._thumb(path, tw - lay.px(8), th - lay.px(8))
                if thumb is not None:
                    c.create_image(x + tw // 2, H - th // 2 - lay.px(36), image=thumb)
                x += tw + lay.gap
            mid = (H - th - lay.px(36)) // 2
        else:
            mid = H // 2
        c.create_text(W // 2, mid - lay.px(70), text=say("attract.title"), fill=L.TEXT, font=lay.font(44, "bold"))
        c.create_text(W // 2, mid - lay.px(18), text=say("attract.subtitle"), fill=L.MUTED, font=lay.font(19))
        bw, bh = lay.px(300), lay.px(72)
        self._button(W // 2 - bw // 2, mid + lay.px(22), W // 2 + bw // 2, mid + lay.px(22) + bh,
                     say("attract.start"), Tap.START, primary=True)

    def show_catalog(self, catalog: Catalog | None, status: str | None, has_photo: bool) -> None:
        self._clear()
        lay, c = self.layout, self.canvas
        W, H = lay.width, lay.height
        header = lay.px(76)
        title = say("catalog.title_again" if has_photo else "catalog.title")
        subtitle = say("catalog.subtitle_again" if has_photo else "catalog.subtitle")
        top = header
        # Grid first, header on top of it, so scrolled rows slide under the header.
        if catalog is not None and catalog.garments:
            cols = max(3, round(W / lay.px(200)))
            pad = lay.gap
            cell_w = (W - pad * (cols + 1)) // cols
            img_h = round(cell_w / 0.78)
            cell_h = img_h + lay.px(48)
            top = header + (lay.px(34) if status else 0)
            for i, garment in enumerate(catalog.garments):
                row, col = divmod(i, cols)
                x = pad + col * (cell_w + pad)
                y = top + pad + row * (cell_h + pad)
                tag = ("grid", tap_tag(f"{Tap.GARMENT}:{garment.id}"))
                self._round_rect(x, y, x + cell_w, y + cell_h, lay.px(12), fill=L.CARD, outline="", tags=tag)
                self._round_rect(x + lay.px(4), y + lay.px(4), x + cell_w - lay.px(4), y + img_h,
                                 lay.px(10), fill="#f3f1ed", outline="", tags=tag)
                thumb = self._thumb(catalog.thumbnails.get(garment.id), cell_w - lay.px(16), img_h - lay.px(12))
                if thumb is not None:
                    c.create_image(x + cell_w // 2, y + lay.px(4) + (img_h - lay.px(4)) // 2, image=thumb, tags=tag)
                c.create_text(x + lay.px(10), y + img_h + lay.px(6), text=garment.name, anchor="nw", fill=L.TEXT,
                              font=lay.font(14, "bold"), width=cell_w - lay.px(20), tags=tag)
                if garment.price:  # a price tag on the photo's corner
                    px1, py0 = x + cell_w - lay.px(10), y + lay.px(10)
                    self._round_rect(px1 - lay.px(78), py0, px1, py0 + lay.px(28), lay.px(8), fill=L.ACCENT,
                                     outline="", tags=tag)
                    c.create_text(px1 - lay.px(39), py0 + lay.px(14), text=garment.price, fill=L.ON_ACCENT,
                                  font=lay.font(14, "bold"), tags=tag)
            rows = (len(catalog.garments) + cols - 1) // cols
            self._grid_span = (H - top, rows * (cell_h + pad) + pad)
            self._grid_offset = 0
        elif status is None:
            c.create_text(W // 2, H // 2, text=say("catalog.empty"), fill=L.MUTED, font=lay.font(20))
        c.create_rectangle(0, 0, W, header, fill=L.BG, outline="")
        c.create_text(lay.px(20), lay.px(14), text=title, anchor="nw", fill=L.TEXT, font=lay.font(28, "bold"))
        if self._grid_span[1] > self._grid_span[0]:
            subtitle += "  " + say("catalog.more")
        c.create_text(lay.px(22), lay.px(50), text=subtitle, anchor="nw", fill=L.MUTED, font=lay.font(15))
        self._button(W - lay.px(176), lay.px(8), W - lay.px(12), lay.px(8) + lay.button_h, say("catalog.start_over"),
                     Tap.HOME)
        if status:
            if catalog is not None and catalog.garments:
                c.create_rectangle(0, header, W, header + lay.px(34), fill=L.BG, outline="")
                c.create_text(lay.px(22), header + lay.px(4), text=status, anchor="nw", fill=L.WARN,
                              font=lay.font(15), width=W - lay.px(44))
            else:
                c.create_text(W // 2, H // 2, text=status, fill=L.WARN, font=lay.font(20), width=W - lay.px(80),
                              justify="center")

    def show_preview(self, garment: Garment) -> None:
        self._clear()
        lay, c = self.layout, self.canvas
        box = lay.fit(lay.photo_box, PORTRAIT)
        x0, y0, x1, y1 = box
        c.create_rectangle(*box, fill="#000000", outline="", tags=("live",))
        self._draw_guide(box)
        area = self._panel()
        y = self._garment_header(garment, area, say("caption.trying_on"))
        c.create_text(area[0], y, anchor="nw", fill=L.TEXT, font=lay.font(18), width=area[2] - area[0],
                      text=say("preview.hint"), tags=("hint",))
        self._stacked_buttons(area, [(say("preview.take"), Tap.CAPTURE, True), (say("preview.back"), Tap.BACK, False)])

    def _draw_guide(self, box: tuple[int, int, int, int]) -> None:
        """Where to stand: a body frame with shoulder and hip marks."""
        lay, c = self.layout, self.canvas
        x0, y0, x1, y1 = box
        w, h = x1 - x0, y1 - y0
        gx0, gx1 = x0 + 0.16 * w, x1 - 0.16 * w
        gy0, gy1 = y0 + 0.08 * h, y1 - 0.04 * h
        c.create_line([gx0, gy0, gx1, gy0, gx1, gy1, gx0, gy1, gx0, gy0], dash=(lay.px(10), lay.px(8)),
                      fill=L.GUIDE, width=lay.px(3), tags=("guide",))
        for frac, label in ((0.30, say("preview.shoulders")), (0.70, say("preview.hips"))):
            y = y0 + frac * h
            c.create_line(gx0, y, gx1, y, dash=(lay.px(4), lay.px(6)), fill=L.GUIDE, width=lay.px(3), tags=("guide",))
            c.create_text(gx0 + lay.px(8), y - lay.px(4), text=label, anchor="sw", fill=L.GUIDE,
                          font=lay.font(14, "bold"), tags=("guide",))

    def _draw_live_frame(self) -> None:
        camera = self.booth.camera if self.booth else None
        frame = camera.latest() if camera else None
        if frame is None or frame.seq == self._live_seq:
            return
        items = self.canvas.find_withtag("live")
        if not items:
            return
        x0, y0, x1, y1 = (int(v) for v in self.canvas.coords(items[0]))
        rgb = cv2.resize(portrait_crop(frame.rgb), (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
        if self.config.camera.mirror:
            rgb = rgb[:, ::-1]
        image = Image.fromarray(np.ascontiguousarray(rgb))
        if self._live is None or (self._live.width(), self._live.height()) != image.size:
            self._live = ImageTk.PhotoImage(image)
            self.canvas.create_image(x0, y0, image=self._live, anchor="nw", tags=("live_img",))
            self.canvas.tag_raise("guide")
            self.canvas.tag_raise("count")
        else:
            self._live.paste(image)
        self._live_seq = frame.seq
        self.frames_drawn += 1

    def show_countdown(self, seconds_left: int) -> None:
        lay, c = self.layout, self.canvas
        c.delete("count")
        x0, y0, x1, y1 = lay.fit(lay.photo_box, PORTRAIT)
        cx, cy, r = (x0 + x1) // 2, (y0 + y1) // 2, lay.px(80)
        c.create_oval(cx - r, cy - r, cx + r, cy + r, fill=L.ACCENT, outline="", stipple="gray50", tags=("count",))
        c.create_text(cx, cy, text=str(seconds_left), fill=L.TEXT, font=lay.font(110, "bold"), tags=("count",))
        c.delete(tap_tag(Tap.CAPTURE), tap_tag(Tap.BACK), "hint")
        area = (lay.width - lay.panel_w + 2 * lay.gap, 0, lay.width - 2 * lay.gap, lay.height - 2 * lay.gap)
        c.create_text(area[0], lay.px(120), anchor="nw", fill=L.TEXT, font=lay.font(22, "bold"),
                      width=area[2] - area[0], text=say("countdown.hold_still"), tags=("count",))
        if not c.find_withtag(tap_tag(Tap.CANCEL)):
            self._stacked_buttons(area, [(say("button.cancel"), Tap.CANCEL, False)])

    def show_sending(self, garment: Garment, photo: np.ndarray, elapsed_s: float) -> None:
        lay, c = self.layout, self.canvas
        if not c.find_withtag("sending"):
            self._clear()
            box = lay.fit(lay.photo_box, PORTRAIT)
            self._photo("sending", photo, box, mirror=self.config.camera.mirror)
            c.create_rectangle(*box, fill="#000000", stipple="gray50", outline="", tags=("sending",))
            area = self._panel()
            y = self._garment_header(garment, area, say("caption.trying_on"))
            c.create_text(area[0], y, anchor="nw", fill=L.TEXT, font=lay.font(24, "bold"),
                          text=say("sending.title"), width=area[2] - area[0])
            self._stacked_buttons(area, [(say("button.cancel"), Tap.CANCEL, False)])
        c.delete("progress")
        area = (lay.width - lay.panel_w + 2 * lay.gap, 0, lay.width - 2 * lay.gap, 0)
        bar_y = lay.height // 2 + lay.px(10)
        bw = area[2] - area[0]
        c.create_rectangle(area[0], bar_y, area[2], bar_y + lay.px(12), fill=L.CARD, outline="", tags=("progress",))
        phase = (elapsed_s * 0.6) % 1.0  # a block sliding along: the server does not report progress
        bx = area[0] + phase * bw * 0.75
        c.create_rectangle(bx, bar_y, bx + bw * 0.25, bar_y + lay.px(12), fill=L.ACCENT, outline="",
                           tags=("progress",))
        c.create_text(area[0], bar_y + lay.px(26), anchor="nw", fill=L.MUTED, font=lay.font(16),
                      text=say("sending.elapsed", seconds=int(elapsed_s)), tags=("progress",))

    def show_result(self, before: np.ndarray, after: np.ndarray, garment: Garment, mode: str) -> None:
        self._clear()
        lay = self.layout
        mirror = self.config.camera.mirror
        x0, y0, x1, y1 = lay.photo_box
        aspect = after.shape[1] / after.shape[0]
        if mode == "side_by_side":
            mid = (x0 + x1) // 2
            for key, img, half, label in (("before", before, (x0, y0, mid, y1), say("result.before")),
                                          ("after", after, (mid, y0, x1, y1), say("result.after"))):
                box = lay.fit(half, aspect)
                self._photo(key, img, box, mirror=mirror)
                self._label(box, label)
        else:
            box = lay.fit(lay.photo_box, aspect)
            self._photo(mode, after if mode == "after" else before, box, mirror=mirror)
            self._label(box, say("result.after" if mode == "after" else "result.before"))
        area = self._panel()
        self._garment_header(garment, area, say("result.caption"))
        self._stacked_buttons(area, [(say("result.another"), Tap.ANOTHER, True),
                                     (say(NEXT_MODE_LABEL[mode]), Tap.TOGGLE, False),
                                     (say("result.retake"), Tap.RETAKE, False), (say("result.done"), Tap.HOME, False)])

    def _label(self, box: tuple[int, int, int, int], text: str) -> None:
        lay = self.layout
        x, y = box[0] + lay.gap, box[1] + lay.gap
        self._round_rect(x, y, x + lay.px(92), y + lay.px(32), lay.px(10), fill=L.BG, outline="")
        self.canvas.create_text(x + lay.px(46), y + lay.px(16), text=text, fill=L.TEXT, font=lay.font(15, "bold"))

    def show_notice(self, title: str, body: str, actions: list[tuple[str, str]]) -> None:
        self._clear()
        lay, c = self.layout, self.canvas
        W, H = lay.width, lay.height
        cw, ch = min(W - 2 * lay.gap, lay.px(640)), min(H - 2 * lay.gap, lay.px(380))
        x0, y0 = (W - cw) // 2, (H - ch) // 2
        self._round_rect(x0, y0, x0 + cw, y0 + ch, lay.px(22), fill=L.PANEL, outline="")
        c.create_text(W // 2, y0 + lay.px(40), text=title, fill=L.TEXT, font=lay.font(28, "bold"),
                      width=cw - lay.px(60), justify="center", anchor="n")
        c.create_text(W // 2, y0 + lay.px(110), text=body, fill=L.MUTED, font=lay.font(19),
                      width=cw - lay.px(80), justify="center", anchor="n")
        if actions:
            n = len(actions)
            bw = (cw - lay.px(40) - (n - 1) * lay.gap) // n
            by = y0 + ch - lay.px(28) - lay.button_h
            for i, (target, label) in enumerate(actions):
                bx = x0 + lay.px(20) + i * (bw + lay.gap)
                self._button(bx, by, bx + bw, by + lay.button_h, label, target, primary=i == 0)
