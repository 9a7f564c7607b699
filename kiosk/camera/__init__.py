"""Camera sources behind one interface (`Camera`), a factory that picks one from config, and a reader
thread that keeps the latest frame so the UI never waits on the camera."""
from kiosk.camera.base import Camera, CameraError
from kiosk.camera.factory import make_camera
from kiosk.camera.reader import FrameReader

__all__ = ["Camera", "CameraError", "FrameReader", "make_camera"]
