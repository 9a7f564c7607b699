"""The `kiosk:` section of config.yaml: the Raspberry Pi touchscreen app."""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from common.config.base import Section


class CameraConfig(Section):
    # auto: picamera2 when present, else the first OpenCV camera, else the demo file source.
    source: Literal["auto", "picamera2", "opencv", "file"] = "auto"
    # opencv: device index (0) or path (/dev/video0); file: an image, a folder of images or a video.
    device: int | str = 0
    path: Path | None = None
    width: int = Field(1280, ge=160, le=4096)
    height: int = Field(960, ge=120, le=4096)
    fps: int = Field(30, ge=1, le=120)
    # Show the preview as a mirror (what shoppers expect); the photo sent is not mirrored.
    mirror: bool = True


class ClientConfig(Section):
    # Tried in order; the next one takes over when one fails.
    server_urls: list[str] = Field(default_factory=lambda: ["http://127.0.0.1:8000"], min_length=1)
    auth_token: str | None = None
    connect_timeout_s: float = Field(3.0, gt=0, le=60)
    read_timeout_s: float = Field(30.0, gt=0, le=600)
    retries: int = Field(2, ge=0, le=10)
    backoff_s: float = Field(0.5, ge=0, le=30)
    # The photo is sent as a JPEG scaled so its longer side is at most this.
    upload_max_side: int = Field(1024, ge=256, le=4096)
    upload_jpeg_quality: int = Field(90, ge=30, le=100)


class ScreenConfig(Section):
    fullscreen: bool = True
    # Window size when not fullscreen (development); fullscreen uses the display's size.
    width: int = Field(800, ge=320, le=7680)
    height: int = Field(480, ge=240, le=4320)
    hide_cursor: bool = True


class KioskConfig(Section):
    client: ClientConfig = ClientConfig()
    camera: CameraConfig = CameraConfig()
    screen: ScreenConfig = ScreenConfig()
    countdown_s: int = Field(3, ge=1, le=10)
    # Back to the attract screen after this long without a touch; the photo is dropped.
    idle_timeout_s: float = Field(60.0, ge=5, le=3600)
    # Hardware capture button: a BCM GPIO pin (gpiozero) and/or a key name (Tk keysym).
    gpio_button_pin: int | None = Field(None, ge=0, le=40)
    capture_key: str = "space"
    # Garment thumbnails and list kept here so the catalog still shows while the server is away.
    cache_dir: Path = Path("~/.cache/fitting-booth/kiosk")
