"""The `kiosk:` section of config.yaml: the Raspberry Pi touchscreen app."""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from common.config.base import Section


class CameraConfig(Section):
    source: Literal["auto", "picamera2", "opencv", "file"] = Field(
        "auto", description="auto: picamera2 when importable, else an OpenCV camera when device opens, else file "
        "when path is set")
    device: int | str = Field(0, description="opencv: device index or path (/dev/videoN, which survives re-plugging)")
    path: Path | None = Field(None, description="file: an image, a folder of images or a video")
    width: int = Field(1280, ge=160, le=4096, description="frame width asked of the camera (px)")
    height: int = Field(960, ge=120, le=4096, description="frame height asked of the camera (px)")
    fps: int = Field(30, ge=1, le=120, description="frame rate asked of the camera")
    mirror: bool = Field(
        True, description="show the preview as a mirror (what shoppers expect); the photo sent is not mirrored")


class ClientConfig(Section):
    server_urls: list[str] = Field(
        default_factory=lambda: ["http://127.0.0.1:8000"], min_length=1,
        description="try-on servers, tried in order; the next one takes over when one fails")
    auth_token: str | None = Field(
        None, description="sent as \"Authorization: Bearer <token>\"; must match server.auth_token")
    connect_timeout_s: float = Field(3.0, gt=0, le=60, description="seconds to connect to a server")
    read_timeout_s: float = Field(
        30.0, gt=0, le=600, description="seconds to wait for an answer; a slower try-on counts as unreachable")
    retries: int = Field(2, ge=0, le=10, description="retries on connect errors and 502/503/504")
    backoff_s: float = Field(0.5, ge=0, le=30, description="base of the exponential backoff between retries")
    upload_max_side: int = Field(
        1024, ge=256, le=4096, description="the photo is sent as a JPEG scaled so its longer side is at most this (px)")
    upload_jpeg_quality: int = Field(90, ge=30, le=100, description="JPEG quality of the photo sent")


class ScreenConfig(Section):
    fullscreen: bool = Field(True, description="fullscreen at the display's size; false: a width x height window")
    width: int = Field(800, ge=320, le=7680, description="window width when not fullscreen (development)")
    height: int = Field(480, ge=240, le=4320, description="window height when not fullscreen")
    hide_cursor: bool = Field(True, description="no mouse cursor on the touchscreen")


class KioskConfig(Section):
    client: ClientConfig = Field(ClientConfig(), description="the try-on servers")
    camera: CameraConfig = Field(CameraConfig(), description="the camera facing the shopper")
    screen: ScreenConfig = Field(ScreenConfig(), description="the touchscreen")
    countdown_s: int = Field(3, ge=1, le=10, description="seconds of countdown before the photo")
    idle_timeout_s: float = Field(
        60.0, ge=5, le=3600, description="back to the attract screen after this long without a touch (s); the photo "
        "is dropped")
    gpio_button_pin: int | None = Field(
        None, ge=0, le=40, description="BCM GPIO pin of a hardware capture button (gpiozero); null: none")
    capture_key: str = Field(
        "space", description="Tk key name that acts as the capture button (a USB foot pedal or keypad)")
    cache_dir: Path = Field(
        Path("~/.cache/fitting-booth/kiosk"), description="garment list and thumbnails, kept so the catalog still "
        "shows while the server is away")
