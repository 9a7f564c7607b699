"""The hardware capture button through gpiozero, on gpiozero's mock pins (there is no GPIO here)."""
from __future__ import annotations

import threading

import pytest

from kiosk.gui.button import attach_gpio_button


@pytest.fixture
def mock_pins():
    from gpiozero import Device
    from gpiozero.pins.mock import MockFactory

    previous = Device.pin_factory
    Device.pin_factory = MockFactory()
    yield Device.pin_factory
    Device.pin_factory.reset()
    Device.pin_factory = previous


def test_pressing_the_gpio_button_calls_back(mock_pins):
    pressed = threading.Event()
    button = attach_gpio_button(17, pressed.set)
    mock_pins.pin(17).drive_low()  # pull-up: pressed pulls the pin to ground
    assert button is not None and pressed.wait(5)
    button.close()


def test_a_pin_already_in_use_leaves_the_kiosk_on_touch_only(mock_pins):
    first = attach_gpio_button(22, lambda: None)
    assert attach_gpio_button(22, lambda: None) is None
    first.close()
