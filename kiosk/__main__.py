"""The kiosk: `python -m kiosk [--config FILE] [--windowed] [--demo]`.

--demo starts a local try-on server (unless one answers at the configured URL) and uses a demo person
photo as the camera, so the whole booth runs on a laptop.
"""
from __future__ import annotations

import argparse
import logging
import sys

from common.config import ConfigError, load_config
from kiosk.camera import Camera, CameraError, FrameReader, make_camera
from kiosk.camera.file_camera import FileCamera
from kiosk.catalog_cache import CatalogCache
from kiosk.client import TryOnClient
from kiosk.demo import DemoError, demo_person_photo, start_local_server, stop_server
from kiosk.gui.button import attach_gpio_button
from kiosk.gui.flow import Booth
from kiosk.gui.states import Event

log = logging.getLogger("kiosk")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kiosk", description=__doc__.splitlines()[0])
    parser.add_argument("--config",
                        help="config file (default: $TRYON_CONFIG, /etc/fitting-booth/config.yaml, ./config.yaml)")
    parser.add_argument("--windowed", action="store_true", help="a window of kiosk.screen size instead of fullscreen")
    parser.add_argument("--demo", action="store_true",
                        help="start a local server and use a demo person photo as camera")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    kiosk = config.kiosk
    server = None
    camera: Camera
    try:
        if args.demo:
            camera = FileCamera(demo_person_photo(kiosk.cache_dir), fps=kiosk.camera.fps)
            server = start_local_server(kiosk.client.server_urls[0], args.config)
        else:
            camera = make_camera(kiosk.camera)
    except (DemoError, CameraError) as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        stop_server(server)
        return 2

    # Imported here: Tk needs a display, and --help or a config error should not.
    from kiosk.gui.app import KioskApp

    client = TryOnClient(kiosk.client)
    cache = CatalogCache(kiosk.cache_dir)
    reader = FrameReader(camera).start()
    try:
        app = KioskApp(kiosk, windowed=args.windowed)
        booth = Booth(kiosk, app, reader, load_catalog=lambda: cache.refresh(client), try_on=client.try_on)
        booth.catalog = cache.load()  # the attract screen shows garments from the last run at once
        button = None
        if kiosk.gpio_button_pin is not None:
            button = attach_gpio_button(kiosk.gpio_button_pin, lambda: booth.post(Event("button")))
        app.run(booth)
        del button
    finally:
        reader.stop()
        client.close()
        stop_server(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
