"""The hardware capture button on a GPIO pin, through gpiozero (Raspberry Pi)."""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


def attach_gpio_button(pin: int, on_press: Callable[[], None]) -> Any | None:
    """Call `on_press` (from gpiozero's thread) when the button on BCM `pin` is pressed.

    Returns the gpiozero Button (keep a reference), or None when GPIO is not usable here (not a Pi, no
    pin factory): the kiosk then runs with touch and the capture key only.
    """
    try:
        from gpiozero import Button
        from gpiozero.exc import GPIOZeroError

        button = Button(pin, pull_up=True, bounce_time=0.05)
    except (ImportError, GPIOZeroError, OSError, RuntimeError) as exc:
        log.warning("capture button on GPIO%d is not available: %s", pin, exc)
        return None
    button.when_pressed = on_press
    log.info("capture button on GPIO%d", pin)
    return button
