"""The kiosk's screens as states, driven without a display: what a shopper would see happen.

The view is a recorder (the Tk app is tested end to end in test_gui_e2e.py); the camera is a real
FrameReader over a file camera; the server is replaced by plain functions here (the real client
against the real server is in test_client.py).
"""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kiosk.camera import FrameReader
from kiosk.camera.file_camera import FileCamera
from kiosk.catalog_cache import Catalog
from kiosk.client import Garment, RequestRejected, ServerBusy, ServerUnreachable, TryOnReply
from kiosk.gui.flow import ERROR_RECOVER_S, RETRY_CAP_S, Booth, BoothState
from kiosk.gui.names import StateName, Tap
from kiosk.gui.states import Event

GARMENT = Garment("navy-tee", "Navy Crew Tee", "tshirt", "€19.90", "/v1/garments/navy-tee/thumbnail")
CATALOG = Catalog([GARMENT], {}, online=True)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class RecordingView:
    """Keeps the last screen the states asked for."""

    def __init__(self) -> None:
        self.screens: list[tuple[str, Any]] = []

    @property
    def last(self) -> tuple[str, Any]:
        return self.screens[-1]

    def show_attract(self) -> None:
        self.screens.append(("attract", None))

    def show_catalog(self, catalog, status, has_photo) -> None:
        self.screens.append(("catalog", {"catalog": catalog, "status": status, "has_photo": has_photo}))

    def show_preview(self, garment) -> None:
        self.screens.append(("preview", garment))

    def show_countdown(self, seconds_left) -> None:
        self.screens.append(("countdown", seconds_left))

    def show_sending(self, garment, photo, elapsed_s) -> None:
        self.screens.append(("sending", elapsed_s))

    def show_result(self, before, after, garment, mode) -> None:
        self.screens.append(("result", mode))

    def show_notice(self, title, body, actions) -> None:
        self.screens.append(("notice", {"title": title, "body": body, "actions": [a for a, _ in actions]}))


def reply(photo: np.ndarray, garment_id: str) -> TryOnReply:
    return TryOnReply(image=255 - photo, garment_id=garment_id, backend="embedded", request_id="r1")


@pytest.fixture
def camera(photo_file):
    reader = FrameReader(FileCamera(photo_file, fps=30), reconnect_s=0.05).start()
    wait_for(lambda: reader.latest() is not None)
    yield reader
    reader.stop()


def wait_for(condition, booth: Booth | None = None, limit_s: float = 10.0) -> None:
    """Pump the booth's events until `condition()` holds (worker threads answer asynchronously)."""
    deadline = time.monotonic() + limit_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        if booth is not None:
            booth.pump()
        time.sleep(0.01)


UNDECLARED: list[tuple[str, str]] = []  # state changes the tests made that no state declares


@pytest.fixture(autouse=True)
def every_move_is_declared():
    """The graph that test_flow_graph.py walks is the one these tests go through: every state change they
    make is one the state declares (or the return to idle after inactivity)."""
    UNDECLARED.clear()
    yield
    assert not UNDECLARED


def make_booth(config, camera, *, try_on=reply, load_catalog=lambda: CATALOG) -> Booth:
    booth = Booth(config, RecordingView(), camera, load_catalog=load_catalog, try_on=try_on, clock=Clock())
    states = booth.machine.states

    def check(previous: str, new: str) -> None:
        state = states.get(previous)  # none when starting or when the failsafe takes over
        if isinstance(state, BoothState) and new not in state.leads_to | {StateName.IDLE}:
            UNDECLARED.append((previous, new))

    booth.machine.on_change = check
    booth.start()
    return booth


def view_of(booth: Booth) -> RecordingView:
    assert isinstance(booth.view, RecordingView)
    return booth.view


def clock_of(booth: Booth) -> Clock:
    assert isinstance(booth.clock, Clock)
    return booth.clock


def to_sending(booth: Booth) -> None:
    booth.handle(Event("tap"))
    wait_for(lambda: booth.catalog is not None, booth)
    booth.handle(Event("tap", f"{Tap.GARMENT}:{GARMENT.id}"))
    booth.handle(Event("tap", Tap.CAPTURE))
    clock_of(booth).now += booth.config.countdown_s
    booth.pump()


def test_a_shopper_goes_from_attract_screen_to_the_result(kiosk_config, camera):
    booth = make_booth(kiosk_config, camera)
    assert booth.view.last[0] == "attract"
    to_sending(booth)
    assert booth.machine.name == StateName.SENDING
    wait_for(lambda: booth.machine.name == StateName.RESULT, booth)
    assert booth.view.last == ("result", "after")


def test_the_photo_sent_is_the_unmirrored_portrait_crop_of_the_camera_frame(kiosk_config, camera):
    sent: list[np.ndarray] = []
    booth = make_booth(kiosk_config, camera, try_on=lambda p, g: sent.append(p) or reply(p, g))
    to_sending(booth)
    wait_for(lambda: sent, booth)
    photo = sent[0]
    assert photo.shape == (480, 360, 3) and photo[0, 0, 0] > photo[0, 0, 2]  # red stays left


def test_countdown_shows_three_two_one(kiosk_config, camera):
    booth = make_booth(kiosk_config, camera)
    booth.handle(Event("tap"))
    wait_for(lambda: booth.catalog is not None, booth)
    booth.handle(Event("tap", f"{Tap.GARMENT}:{GARMENT.id}"))
    booth.handle(Event("button"))  # the hardware button or capture key
    for _ in range(3):
        booth.pump()
        booth.clock.now += 1
    assert [v for k, v in booth.view.screens if k == "countdown"] == [3, 2, 1]


def test_no_touch_for_idle_timeout_goes_back_to_attract_and_drops_the_photo(kiosk_config, camera):
    booth = make_booth(kiosk_config, camera)
    to_sending(booth)
    wait_for(lambda: booth.machine.name == StateName.RESULT, booth)
    booth.clock.now += kiosk_config.idle_timeout_s + 1
    booth.pump()
    assert (booth.machine.name, booth.session.photo, booth.session.result) == (StateName.IDLE, None, None)


def test_touches_keep_the_session_alive(kiosk_config, camera):
    booth = make_booth(kiosk_config, camera)
    to_sending(booth)
    wait_for(lambda: booth.machine.name == StateName.RESULT, booth)
    for _ in range(3):
        booth.clock.now += kiosk_config.idle_timeout_s * 0.6
        booth.handle(Event("tap", Tap.TOGGLE))
        booth.pump()
    assert booth.machine.name == StateName.RESULT


def test_cancel_while_sending_returns_to_preview_and_ignores_the_late_answer(kiosk_config, camera):
    release = threading.Event()
    booth = make_booth(kiosk_config, camera, try_on=lambda p, g: release.wait(5) and reply(p, g))
    to_sending(booth)
    booth.handle(Event("tap", Tap.CANCEL))
    release.set()
    time.sleep(0.2)
    booth.pump()
    assert booth.machine.name == StateName.PREVIEW


def test_another_garment_is_sent_with_the_same_photo_without_a_new_picture(kiosk_config, camera):
    sent: list[tuple[np.ndarray, str]] = []
    booth = make_booth(kiosk_config, camera, try_on=lambda p, g: sent.append((p, g)) or reply(p, g))
    to_sending(booth)
    wait_for(lambda: booth.machine.name == StateName.RESULT, booth)
    booth.handle(Event("tap", Tap.ANOTHER))
    assert booth.view.last[1]["has_photo"]
    wait_for(lambda: booth.catalog is not None, booth)
    booth.handle(Event("tap", f"{Tap.GARMENT}:{GARMENT.id}"))
    wait_for(lambda: len(sent) == 2, booth)
    assert sent[0][0] is sent[1][0]


def test_unreachable_server_says_when_it_retries_and_then_resends(kiosk_config, camera):
    calls: list[int] = []

    def flaky(photo, garment_id):
        calls.append(1)
        if len(calls) == 1:
            raise ServerUnreachable("connection refused")
        return reply(photo, garment_id)

    booth = make_booth(kiosk_config, camera, try_on=flaky)
    to_sending(booth)
    wait_for(lambda: booth.machine.name == StateName.UNREACHABLE, booth)
    notice = booth.view.last[1]
    assert "Trying again in" in notice["body"] and Tap.BROWSE in notice["actions"]
    booth.clock.now += RETRY_CAP_S
    wait_for(lambda: booth.machine.name == StateName.RESULT, booth)


def test_catalog_stays_browsable_while_the_server_is_unreachable(kiosk_config, camera):
    booth = make_booth(kiosk_config, camera, try_on=lambda p, g: (_ for _ in ()).throw(ServerUnreachable("down")))
    to_sending(booth)
    wait_for(lambda: booth.machine.name == StateName.UNREACHABLE, booth)
    booth.handle(Event("tap", Tap.BROWSE))
    assert booth.machine.name == StateName.CATALOG and booth.view.last[1]["catalog"] is CATALOG


def test_busy_server_waits_the_retry_after_it_asked_for(kiosk_config, camera):
    calls: list[int] = []

    def busy_once(photo, garment_id):
        calls.append(1)
        if len(calls) == 1:
            raise ServerBusy("busy", retry_after=7)
        return reply(photo, garment_id)

    booth = make_booth(kiosk_config, camera, try_on=busy_once)
    to_sending(booth)
    wait_for(lambda: booth.machine.name == StateName.BUSY, booth)
    assert "7 s" in booth.view.last[1]["body"]
    booth.clock.now += 6.5
    booth.pump()
    calls_before = len(calls)
    booth.clock.now += 1
    wait_for(lambda: booth.machine.name == StateName.RESULT, booth)
    assert (calls_before, len(calls)) == (1, 2)


def test_an_unavailable_server_shows_its_wait_and_not_a_busy_queue(kiosk_config, camera):
    booth = make_booth(kiosk_config, camera, try_on=lambda p, g: (_ for _ in ()).throw(
        ServerBusy("The model is unavailable.", retry_after=30, code="backend_unavailable")))
    to_sending(booth)
    wait_for(lambda: booth.machine.name == StateName.BUSY, booth)
    body = booth.view.last[1]["body"]
    assert "30 s" in body and "Another picture" not in body


def test_retries_keep_the_notice_on_screen_and_back_off(kiosk_config, camera):
    booth = make_booth(kiosk_config, camera, try_on=lambda p, g: (_ for _ in ()).throw(ServerUnreachable("down")))
    to_sending(booth)
    wait_for(lambda: booth.machine.name == StateName.UNREACHABLE, booth)
    since = len(booth.view.screens)
    booth.clock.now += RETRY_CAP_S  # the first retry is due; it fails again
    wait_for(lambda: "Trying again in 4 s" in booth.view.last[1]["body"], booth)
    assert {kind for kind, _ in booth.view.screens[since:]} == {"notice"}


def test_no_person_shows_the_servers_advice_and_offers_a_new_photo(kiosk_config, camera):
    advice = "We can't see anyone. Please stand in the frame, facing the camera."
    booth = make_booth(kiosk_config, camera,
                       try_on=lambda p, g: (_ for _ in ()).throw(RequestRejected(400, "no_person", advice)))
    to_sending(booth)
    wait_for(lambda: booth.machine.name == StateName.REJECTED, booth)
    assert booth.view.last[1]["body"] == advice and booth.view.last[1]["actions"][0] == Tap.RETAKE


def test_unexpected_error_shows_sorry_and_starts_over_by_itself(kiosk_config, camera):
    booth = make_booth(kiosk_config, camera, try_on=lambda p, g: 1 / 0)
    to_sending(booth)
    wait_for(lambda: booth.machine.name == StateName.ERROR, booth)
    booth.clock.now += ERROR_RECOVER_S + 0.1
    booth.pump()
    assert booth.machine.name == StateName.IDLE


def test_catalog_failure_is_said_and_retried(kiosk_config, camera):
    attempts: list[int] = []

    def load():
        attempts.append(1)
        if len(attempts) == 1:
            raise ServerUnreachable("down")
        return CATALOG

    booth = make_booth(kiosk_config, camera, load_catalog=load)
    booth.handle(Event("tap"))
    wait_for(lambda: "can't be loaded" in (booth.view.last[1] or {}).get("status", "")
             if booth.view.last[0] == "catalog" else False, booth)
    booth.clock.now += 11
    wait_for(lambda: booth.catalog is CATALOG, booth)


def test_missing_camera_is_said_and_the_preview_comes_back_when_it_is_plugged_in(kiosk_config, photo_file,
                                                                                  tmp_path: Path):
    later = tmp_path / "later.png"
    reader = FrameReader(FileCamera(later, fps=30), reconnect_s=0.05).start()
    try:
        booth = make_booth(kiosk_config, reader)
        booth.handle(Event("tap"))
        wait_for(lambda: booth.catalog is not None, booth)
        booth.handle(Event("tap", f"{Tap.GARMENT}:{GARMENT.id}"))
        assert booth.machine.name == StateName.NO_CAMERA and "camera" in view_of(booth).last[1]["title"]
        (tmp_path / "part").write_bytes(photo_file.read_bytes())
        (tmp_path / "part").rename(later)  # plugged in: appears whole
        wait_for(lambda: booth.machine.name == StateName.PREVIEW, booth)
    finally:
        reader.stop()
