"""Camera sources, the factory's choice, and the reader thread that keeps the newest frame."""
from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from common.config.kiosk import CameraConfig
from kiosk.camera import CameraError, FrameReader, make_camera
from kiosk.camera.file_camera import FileCamera
from kiosk.camera.opencv_camera import OpenCVCamera


def write_png(path: Path, colour: tuple[int, int, int]) -> Path:
    Image.fromarray(np.full((48, 64, 3), colour, np.uint8)).save(path)
    return path


def test_file_camera_plays_an_image_as_rgb(photo_file):
    with FileCamera(photo_file) as cam:
        frame = cam.read()
    assert frame.shape == (480, 640, 3) and tuple(frame[0, 0]) == (200, 30, 30)


def test_file_camera_cycles_a_folder_of_images(tmp_path):
    write_png(tmp_path / "a.png", (255, 0, 0))
    write_png(tmp_path / "b.png", (0, 255, 0))
    cam = FileCamera(tmp_path, fps=100, seconds_per_image=0.05)
    cam.open()
    seen = set()
    deadline = time.monotonic() + 5
    while len(seen) < 2 and time.monotonic() < deadline:
        seen.add(tuple(cam.read()[0, 0]))
    cam.close()
    assert seen == {(255, 0, 0), (0, 255, 0)}


def test_file_camera_loops_a_video(tmp_path):
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    for value in (0, 120, 240):
        writer.write(np.full((48, 64, 3), value, np.uint8))
    writer.release()
    with FileCamera(path, fps=100) as cam:
        frames = [int(cam.read()[24, 32, 0]) for _ in range(6)]
    assert frames[0] == pytest.approx(frames[3], abs=8) and frames[2] > frames[0] + 100


def test_missing_file_is_a_camera_error(tmp_path):
    with pytest.raises(CameraError, match="does not exist"):
        FileCamera(tmp_path / "nothing.png").open()


def test_unplugged_device_path_is_a_camera_error():
    with pytest.raises(CameraError, match="not plugged in"):
        OpenCVCamera("/dev/video-not-there").open()


def test_factory_uses_the_file_source_when_asked(photo_file):
    assert isinstance(make_camera(CameraConfig(source="file", path=photo_file)), FileCamera)


def test_factory_auto_falls_back_to_the_file_without_any_camera(photo_file):
    camera = make_camera(CameraConfig(source="auto", device="/dev/video-not-there", path=photo_file))
    assert isinstance(camera, FileCamera)


def test_factory_file_source_without_a_path_says_so():
    with pytest.raises(CameraError, match="kiosk.camera.path"):
        make_camera(CameraConfig(source="file"))


def test_reader_keeps_the_newest_frame(photo_file):
    reader = FrameReader(FileCamera(photo_file, fps=60)).start()
    try:
        deadline = time.monotonic() + 5
        while (reader.latest() is None or reader.latest().seq < 3) and time.monotonic() < deadline:
            time.sleep(0.01)
        frame = reader.latest()
    finally:
        reader.stop()
    assert frame.seq >= 3 and reader.error is None


def test_reader_reports_a_missing_camera_and_reconnects_when_it_appears(tmp_path, photo_file):
    path = tmp_path / "cam.png"
    reader = FrameReader(FileCamera(path, fps=60), reconnect_s=0.05).start()
    try:
        deadline = time.monotonic() + 5
        while reader.error is None and time.monotonic() < deadline:
            time.sleep(0.01)
        error = reader.error
        (tmp_path / "part").write_bytes(photo_file.read_bytes())
        (tmp_path / "part").rename(path)  # plugged in: appears whole
        while reader.latest() is None and time.monotonic() < deadline + 5:
            time.sleep(0.01)
        recovered = reader.latest() is not None and reader.error is None
    finally:
        reader.stop()
    assert error and "does not exist" in error and recovered
