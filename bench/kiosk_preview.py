"""Kiosk live preview at 800x480 under Xvfb: frames drawn per second, CPU (share of one core) and RSS.

    .venv/bin/python bench/kiosk_preview.py [--seconds 20] [--size 800x480]

Runs the real KioskApp and FrameReader in this process with a file camera producing 1280x960 frames at
30 fps (the configured camera size), puts the booth on the preview screen and measures after a warm-up.
Targets (issue #6): >= 25 fps, < 0.5 of one core, < 150 MB RSS.
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psutil


def start_xvfb(size: str) -> subprocess.Popen:
    read_fd, write_fd = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{size}x24", "-nolisten", "tcp"],
                            pass_fds=(write_fd,), stderr=subprocess.DEVNULL)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        os.environ["DISPLAY"] = ":" + pipe.readline().strip()
    return xvfb


FRAME_SCRIPT = """
import sys
import numpy as np
from PIL import Image
from skimage import data
person = Image.fromarray(data.astronaut()).resize((960, 960), Image.Resampling.LANCZOS)
frame = Image.new("RGB", (1280, 960), tuple(int(c) for c in np.asarray(person)[5, 5]))
frame.paste(person, (160, 0))
frame.save(sys.argv[1])
"""


def camera_frame(folder: Path) -> Path:
    """The demo person on a 1280x960 frame (the size kiosk.camera asks a real camera for), made in a child
    process so scikit-image does not count in this process's memory."""
    path = folder / "frame-1280x960.png"
    subprocess.run([sys.executable, "-c", FRAME_SCRIPT, str(path)], check=True)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--size", default="800x480")
    args = parser.parse_args()

    xvfb = start_xvfb(args.size)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            return run(args, Path(tmp))
    finally:
        xvfb.terminate()
        xvfb.wait()


def run(args: argparse.Namespace, tmp: Path) -> int:
    from common.config import load_config
    from kiosk.camera import FrameReader
    from kiosk.camera.file_camera import FileCamera
    from kiosk.catalog_cache import Catalog
    from kiosk.client import Garment, ServerUnreachable
    from kiosk.gui.app import KioskApp
    from kiosk.gui.flow import Booth
    from kiosk.gui.names import StateName

    config = load_config(Path(__file__).resolve().parents[1] / "config.yaml",
                         {"kiosk": {"cache_dir": str(tmp / "cache"), "idle_timeout_s": 3600}}).kiosk
    garment = Garment("navy-tee", "Navy Crew Tee", "tshirt", "€19.90", "/v1/garments/navy-tee/thumbnail")
    catalog = Catalog([garment], {}, online=False)

    def no_server(*_):
        raise ServerUnreachable("benchmark: no server")

    reader = FrameReader(FileCamera(camera_frame(tmp), fps=config.camera.fps)).start()
    app = KioskApp(config)
    booth = Booth(config, app, reader, load_catalog=lambda: catalog, try_on=no_server)
    booth.catalog = catalog
    process = psutil.Process()
    marks: dict[str, tuple[float, float, int]] = {}

    def to_preview() -> None:
        booth.session.garment = garment
        booth.machine.goto(StateName.PREVIEW)

    def mark(name: str) -> None:
        cpu = process.cpu_times()
        marks[name] = (time.perf_counter(), cpu.user + cpu.system, app.frames_drawn)
        if name == "end":
            app.root.destroy()

    app.root.after(500, to_preview)
    app.root.after(int((0.5 + args.warmup) * 1000), lambda: mark("start"))
    app.root.after(int((0.5 + args.warmup + args.seconds) * 1000), lambda: mark("end"))
    app.run(booth)
    reader.stop()

    (t0, c0, f0), (t1, c1, f1) = marks["start"], marks["end"]
    wall = t1 - t0
    fps = (f1 - f0) / wall
    cpu = (c1 - c0) / wall
    rss_mb = process.memory_info().rss / 2**20
    print(f"screen {args.size}, camera 1280x960 @ {config.camera.fps} fps (file), {wall:.1f} s measured")
    print(f"preview frames drawn: {fps:.1f} fps   (target >= 25)")
    print(f"kiosk process CPU: {cpu:.2f} of one core   (target < 0.5)")
    print(f"kiosk process RSS: {rss_mb:.0f} MB   (target < 150)")
    print(f"machine: {platform.processor() or platform.machine()}, {psutil.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}, Python {platform.python_version()}")
    print("torch loaded:", "torch" in sys.modules, " mediapipe loaded:", "mediapipe" in sys.modules)
    return 0


if __name__ == "__main__":
    sys.exit(main())
