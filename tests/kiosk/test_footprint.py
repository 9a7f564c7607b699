"""The kiosk must fit a Raspberry Pi: importing any of it never loads torch or mediapipe."""
from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO

MODULES = ["kiosk.__main__", "kiosk.gui.app", "kiosk.gui.flow", "kiosk.camera", "kiosk.client",
           "kiosk.catalog_cache", "kiosk.demo"]


def test_importing_the_kiosk_loads_neither_torch_nor_mediapipe():
    code = ("import importlib, sys\n"
            f"for m in {MODULES!r}: importlib.import_module(m)\n"
            "heavy = sorted(n for n in sys.modules\n"
            "               if n.split('.')[0] in ('torch', 'mediapipe', 'onnxruntime', 'server'))\n"
            "print(','.join(heavy))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120,
                         check=True)
    assert out.stdout.strip() == ""
