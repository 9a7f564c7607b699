"""End to end: the real kiosk app under Xvfb, driven by xdotool taps, against a real `python -m server`
(embedded backend) on loopback, with a file camera showing the demo person. Every check is made on
screenshots: the app exposes nothing special for tests."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import requests
import yaml
from PIL import Image

from common.config.kiosk import ClientConfig
from kiosk.client import TryOnClient
from kiosk.demo import demo_person_photo
from kiosk.gui import layout as L
from kiosk.gui.framing import PORTRAIT, portrait_crop
from tests.conftest import REPO, free_port

pytestmark = [
    pytest.mark.slow,
    pytest.mark.gui,
    pytest.mark.skipif(not all(shutil.which(t) for t in ("Xvfb", "xdotool", "import")),
                       reason="needs Xvfb, xdotool and ImageMagick's import (apt: xvfb xdotool imagemagick)"),
]
SHOTS = os.environ.get("KIOSK_SCREENSHOTS")  # a folder to keep the screenshots in (for docs/images)



def hex_rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])


def share_of(region: np.ndarray, colour: str, tol: int = 18) -> float:
    """The share of pixels in `region` within `tol` of `colour`."""
    return float((np.abs(region.astype(int) - hex_rgb(colour)).max(axis=2) <= tol).mean())


class Server:
    """`python -m server` on a loopback port; can be stopped and started again on the same port."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = folder / "server.yaml"
        self.config.write_text(yaml.safe_dump({"server": {"catalog": {"cache_dir": str(folder / "catalog")}}}))
        self.log = folder / "server.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server", "--host", "127.0.0.1", "--port", str(self.port),
             "--config", str(self.config)], cwd=REPO, stdout=self.log.open("a"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                if requests.get(self.url + "/readyz", timeout=2).json().get("ready"):
                    return
            except (requests.RequestException, ValueError):
                pass
            time.sleep(0.5)
        raise AssertionError("server did not become ready")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.process = None


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("server"))
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def person_file(tmp_path_factory) -> Path:
    return demo_person_photo(tmp_path_factory.mktemp("demo"))


class Screen:
    """An Xvfb display with the kiosk on it; taps with xdotool, looks with `import`."""

    def __init__(self, width: int, height: int, folder: Path) -> None:
        self.layout = L.Layout(width, height)
        self.folder = folder
        read_fd, write_fd = os.pipe()
        self.xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{width}x{height}x24",
                                      "-nolisten", "tcp"], pass_fds=(write_fd,), stderr=subprocess.DEVNULL)
        os.close(write_fd)
        with os.fdopen(read_fd) as pipe:  # Xvfb writes the display number it picked once it is ready
            self.env = {**os.environ, "DISPLAY": ":" + pipe.readline().strip()}
        self.kiosk: subprocess.Popen | None = None
        self.shots = 0

    def start_kiosk(self, config: Path) -> None:
        self.kiosk_log = (self.folder / "kiosk.log").open("a")
        self.kiosk = subprocess.Popen([sys.executable, "-m", "kiosk", "--config", str(config)], cwd=REPO,
                                      env=self.env, stdout=self.kiosk_log, stderr=subprocess.STDOUT)

    def tap(self, x: float, y: float) -> None:
        subprocess.run(["xdotool", "mousemove", str(int(x)), str(int(y)), "click", "1"], env=self.env,
                       check=True, timeout=10)

    def shot(self, name: str = "") -> np.ndarray:
        path = self.folder / f"shot-{self.shots:03d}.png"
        self.shots += 1
        subprocess.run(["import", "-window", "root", str(path)], env=self.env, check=True, timeout=20)
        if SHOTS and name:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(SHOTS) / f"{name}-{self.layout.width}x{self.layout.height}.png")
        return np.asarray(Image.open(path).convert("RGB"))

    def wait_for(self, what: str, check, limit_s: float = 120) -> np.ndarray:
        deadline = time.monotonic() + limit_s
        while True:
            assert self.kiosk is None or self.kiosk.poll() is None, (self.folder / "kiosk.log").read_text()[-3000:]
            image = self.shot()
            if check(image):
                return image
            if time.monotonic() > deadline:
                last = self.folder / f"shot-{self.shots - 1:03d}.png"
                raise AssertionError(f"the screen never showed {what} (last: {last})")
            time.sleep(0.3)

    def close(self) -> None:
        for process in (self.kiosk, self.xvfb):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
        if self.kiosk is not None:
            self.kiosk_log.close()

    # -- where things are (the same Layout the app uses) ----------------------------------------------
    def first_garment(self) -> tuple[int, int]:
        lay = self.layout
        cols = max(3, round(lay.width / lay.px(200)))
        cell_w = (lay.width - lay.gap * (cols + 1)) // cols
        return lay.gap + cell_w // 2, lay.px(76) + lay.px(34) + lay.gap + cell_w // 2

    def panel_button(self, index_from_bottom: int, count: int) -> tuple[int, int]:
        """Centre of a button stacked at the bottom of the side panel."""
        lay = self.layout
        x = lay.width - lay.panel_w // 2
        y1 = lay.height - 2 * lay.gap
        top = y1 - count * lay.button_h - (count - 1) * lay.gap
        i = count - 1 - index_from_bottom
        return x, top + i * (lay.button_h + lay.gap) + lay.button_h // 2

    def photo_region(self, image: np.ndarray) -> np.ndarray:
        x0, y0, x1, y1 = self.layout.fit(self.layout.photo_box, PORTRAIT)
        return image[y0:y1, x0:x1]

    # -- what is on screen ----------------------------------------------------------------------------
    def catalog_shown(self, image: np.ndarray) -> bool:
        """The first cell's garment photo: its light backdrop at the top left (with or without the
        status line above the grid)."""
        lay = self.layout
        x0 = lay.gap + lay.px(10)
        for top in (lay.px(76), lay.px(76) + lay.px(34)):
            y0 = top + lay.gap + lay.px(8)
            if (image[y0:y0 + lay.px(20), x0:x0 + lay.px(60)] > 215).all(axis=2).mean() > 0.8:
                return True
        return False

    def status_warning_shown(self, image: np.ndarray) -> bool:
        lay = self.layout
        band = image[lay.px(76):lay.px(76) + lay.px(34), :]
        return share_of(band, L.WARN, 40) > 0.002

    def notice_shown(self, image: np.ndarray) -> bool:
        h, w = image.shape[:2]
        return share_of(image[h // 2 - 10:h // 2 + 10, w // 2 - 10:w // 2 + 10], L.PANEL, 6) > 0.5 \
            and share_of(image[:5, :5], L.BG, 6) > 0.9

    def preview_shown(self, image: np.ndarray) -> bool:
        x, y = self.panel_button(1, 2)
        left = x - self.layout.panel_w // 2 + 3 * self.layout.gap  # inside the button, left of its label
        return share_of(image[y - 5:y + 5, left:left + self.layout.px(20)], L.ACCENT, 10) > 0.8 \
            and self.photo_region(image).std() > 20


def expected_result(server_url: str, person_file: Path) -> tuple[np.ndarray, np.ndarray, str]:
    """What the kiosk should get: the same crop of the same frame sent by the same client code."""
    client = TryOnClient(ClientConfig(server_urls=[server_url]))
    garment = client.garments()[0].id
    before = portrait_crop(np.asarray(Image.open(person_file).convert("RGB")))
    return before, client.try_on(before, garment).image, garment


def result_shown(screen: Screen, image: np.ndarray, before: np.ndarray, after: np.ndarray) -> bool:
    """The photo area shows the try-on (mirrored), not the plain photo, where the two differ."""
    region = screen.photo_region(image).astype(int)
    h, w = region.shape[:2]

    def as_shown(rgb: np.ndarray) -> np.ndarray:
        return np.asarray(Image.fromarray(rgb).resize((w, h), Image.Resampling.BILINEAR))[:, ::-1].astype(int)

    b, a = as_shown(before), as_shown(after)
    changed = np.abs(a - b).max(axis=2) > 60
    if changed.mean() < 0.02:
        return False
    to_after = np.abs(region - a).max(axis=2)[changed].mean()
    to_before = np.abs(region - b).max(axis=2)[changed].mean()
    return to_after < 25 and to_after < 0.5 * to_before


@pytest.fixture(params=[(800, 480), (1920, 1080)], ids=["800x480", "1920x1080"])
def screen(request, server, person_file, tmp_path):
    width, height = request.param
    config = tmp_path / "kiosk.yaml"
    config.write_text(yaml.safe_dump({"kiosk": {
        "client": {"server_urls": [server.url], "retries": 1, "backoff_s": 0.2},
        "camera": {"source": "file", "path": str(person_file)},
        "countdown_s": 1, "idle_timeout_s": 600, "cache_dir": str(tmp_path / "cache")}}))
    scr = Screen(width, height, tmp_path)
    scr.start_kiosk(config)
    yield scr
    scr.close()


def test_shopper_taps_a_garment_captures_and_sees_the_result(screen, server, person_file):
    before, after, _ = expected_result(server.url, person_file)
    screen.wait_for("the attract screen", lambda im: share_of(im, L.ACCENT, 10) > 0.01, 60)
    screen.tap(screen.layout.width // 2, screen.layout.height // 2)
    screen.wait_for("the catalog", screen.catalog_shown)
    screen.shot("catalog")
    screen.tap(*screen.first_garment())
    screen.wait_for("the live preview", screen.preview_shown)
    screen.shot("preview")
    screen.tap(*screen.panel_button(1, 2))  # Take photo
    image = screen.wait_for("the try-on result", lambda im: result_shown(screen, im, before, after), 180)
    screen.shot("result")
    assert result_shown(screen, image, before, after)


def test_server_down_says_so_keeps_the_catalog_and_recovers_when_it_is_back(screen, server, person_file):
    before, after, _ = expected_result(server.url, person_file)
    screen.wait_for("the attract screen", lambda im: share_of(im, L.ACCENT, 10) > 0.01, 60)
    screen.tap(screen.layout.width // 2, screen.layout.height // 2)
    screen.wait_for("the catalog", screen.catalog_shown)  # thumbnails now cached on disk
    screen.tap(*screen.first_garment())
    screen.wait_for("the live preview", screen.preview_shown)
    server.stop()
    try:
        screen.tap(*screen.panel_button(1, 2))  # Take photo, with the server gone
        screen.wait_for("the server-unreachable notice", screen.notice_shown, 60)
        screen.shot("unreachable")
        lay = screen.layout
        cw, ch = min(lay.width - 2 * lay.gap, lay.px(640)), min(lay.height - 2 * lay.gap, lay.px(380))
        browse = ((lay.width - cw) // 2 + lay.px(20) + lay.px(60),
                  (lay.height + ch) // 2 - lay.px(28) - lay.button_h // 2)
        screen.tap(*browse)  # "Browse garments" on the notice
        image = screen.wait_for("the cached catalog", screen.catalog_shown)
        offline = screen.wait_for("the offline warning", screen.status_warning_shown, 30)
        screen.shot("catalog-offline")
        assert screen.catalog_shown(image) and screen.status_warning_shown(offline)
    finally:
        server.start()
    screen.tap(*screen.first_garment())  # the photo is kept: this sends it again
    screen.wait_for("the try-on result after the server came back",
                    lambda im: result_shown(screen, im, before, after), 180)
