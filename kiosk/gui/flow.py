"""The kiosk's screens as states, and the `Booth` that runs them.

idle -> catalog -> preview -> countdown -> sending -> result -> (idle after inactivity)
with error states a shopper can read: unreachable, busy, rejected, no_camera, and the failsafe `error`.

States only decide; drawing is the `View`'s job (the Tk app, or a recorder in tests). Slow work (HTTP)
runs in worker threads whose results come back as events on a queue that the UI loop drains, so the
UI thread never waits on the network or the camera.
"""
from __future__ import annotations

import logging
import math
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from common.config.kiosk import KioskConfig
from kiosk.camera.reader import FrameReader
from kiosk.catalog_cache import Catalog
from kiosk.client import ClientError, Garment, RequestRejected, ServerBusy, ServerUnreachable, TryOnReply
from kiosk.gui.framing import portrait_crop
from kiosk.gui.states import Event, Goto, Next, State, StateMachine

log = logging.getLogger(__name__)

# Events that mean a person touched the kiosk (they reset the inactivity timer).
TOUCH_EVENTS = {"tap", "button", "scroll"}
RETRY_CAP_S = 30.0
ERROR_RECOVER_S = 6.0


class View(Protocol):
    """What the states ask the screen to show. Texts are decided here, layout by the view."""

    def show_attract(self) -> None: ...
    def show_catalog(self, catalog: Catalog | None, status: str | None, has_photo: bool) -> None: ...
    def show_preview(self, garment: Garment) -> None: ...
    def show_countdown(self, seconds_left: int) -> None: ...
    def show_sending(self, garment: Garment, photo: np.ndarray, elapsed_s: float) -> None: ...
    def show_result(self, before: np.ndarray, after: np.ndarray, garment: Garment, mode: str) -> None: ...
    def show_notice(self, title: str, body: str, actions: list[tuple[str, str]]) -> None: ...


@dataclass
class Session:
    """One shopper's visit. Dropped as a whole when the booth goes back to idle."""

    garment: Garment | None = None
    photo: np.ndarray | None = None  # RGB, as taken (not mirrored)
    result: TryOnReply | None = None


@dataclass
class Booth:
    config: KioskConfig
    view: View
    camera: FrameReader | None
    load_catalog: Callable[[], Catalog]
    try_on: Callable[[np.ndarray, str], TryOnReply]
    clock: Callable[[], float] = time.monotonic
    session: Session = field(default_factory=Session)
    catalog: Catalog | None = None
    events: queue.Queue[Event] = field(default_factory=queue.Queue)

    def __post_init__(self) -> None:
        self.touched = self.clock()
        self._job_seq = 0
        self.machine = StateMachine(
            [IdleState(self), CatalogState(self), PreviewState(self), CountdownState(self),
             SendingState(self), ResultState(self), UnreachableState(self), BusyState(self),
             RejectedState(self), NoCameraState(self), ErrorState(self)],
            initial="idle", failsafe="error",
        )

    # ---- called from the UI loop -----------------------------------------------------------------------
    def start(self) -> None:
        self.machine.start()

    def post(self, event: Event) -> None:
        """Thread-safe: queue an event (worker threads, the GPIO button thread)."""
        self.events.put(event)

    def pump(self) -> None:
        """Handle every queued event, then let the current state look at the clock."""
        while True:
            try:
                event = self.events.get_nowait()
            except queue.Empty:
                break
            self.handle(event)
        self.tick()

    def handle(self, event: Event) -> None:
        if event.kind in TOUCH_EVENTS:
            self.touched = self.clock()
        self.machine.dispatch(event)

    def tick(self) -> None:
        now = self.clock()
        if self.machine.name != "idle" and now - self.touched > self.config.idle_timeout_s:
            log.info("no touch for %.0f s: back to idle", now - self.touched)
            self.machine.goto("idle")
            return
        self.machine.tick(now)

    # ---- worker jobs -----------------------------------------------------------------------------------
    def submit(self, kind: str, work: Callable[[], Any]) -> int:
        """Run `work` in a thread; its result arrives as Event(kind + '_done' | '_failed', data={job, ...})."""
        self._job_seq += 1
        job = self._job_seq

        def run() -> None:
            try:
                result = work()
            except Exception as exc:  # every failure becomes an event the state handles
                if not isinstance(exc, ClientError):
                    log.exception("%s job failed", kind)
                self.post(Event(f"{kind}_failed", data={"job": job, "error": exc}))
            else:
                self.post(Event(f"{kind}_done", data={"job": job, "result": result}))

        threading.Thread(target=run, name=f"job-{kind}-{job}", daemon=True).start()
        return job


class BoothState(State):
    def __init__(self, booth: Booth) -> None:
        self.booth = booth

    @property
    def view(self) -> View:
        return self.booth.view


class IdleState(BoothState):
    """Attract screen: one line of how-to, tap anywhere to start."""

    name = "idle"

    def enter(self, **data: Any) -> Next:
        self.booth.session = Session()  # the photo and result leave memory here
        self.view.show_attract()
        return None

    def on_event(self, event: Event) -> Next:
        if event.kind in ("tap", "button"):
            return "catalog"
        return None


class CatalogState(BoothState):
    """Grid of garments; from the server when it answers, else from the disk cache."""

    name = "catalog"
    RETRY_S = 10.0

    def enter(self, **data: Any) -> Next:
        self.job: int | None = None
        self.retry_at: float | None = None
        self.status: str | None = None
        self._draw()
        self._load()
        return None

    def _draw(self) -> None:
        catalog = self.booth.catalog
        status = self.status
        if catalog is None and status is None:
            status = "Loading garments…"
        elif catalog is not None and not catalog.online and status is None:
            status = "Showing saved garments: the try-on server is not answering right now."
        self.view.show_catalog(catalog, status, has_photo=self.booth.session.photo is not None)

    def _load(self) -> None:
        self.retry_at = None
        self.job = self.booth.submit("catalog", self.booth.load_catalog)

    def on_event(self, event: Event) -> Next:
        if event.kind == "catalog_done" and event.data["job"] == self.job:
            self.booth.catalog = event.data["result"]
            self.status = None
            if not self.booth.catalog.online:
                self.retry_at = self.booth.clock() + self.RETRY_S
            self._draw()
        elif event.kind == "catalog_failed" and event.data["job"] == self.job:
            self.retry_at = self.booth.clock() + self.RETRY_S
            self.status = "The garment list can't be loaded right now. Trying again in a moment…"
            self._draw()
        elif event.kind == "tap" and event.target.startswith("garment:"):
            garment = self._garment(event.target.split(":", 1)[1])
            if garment is not None:
                self.booth.session.garment = garment
                self.booth.session.result = None
                return "sending" if self.booth.session.photo is not None else "preview"
        elif event.kind == "tap" and event.target == "home":
            return "idle"
        return None

    def on_tick(self, now: float) -> Next:
        if self.retry_at is not None and now >= self.retry_at:
            self._load()
        return None

    def _garment(self, garment_id: str) -> Garment | None:
        catalog = self.booth.catalog
        return next((g for g in catalog.garments if g.id == garment_id), None) if catalog else None


class PreviewState(BoothState):
    """Live mirrored preview with a framing guide; tap or the capture button starts the countdown."""

    name = "preview"

    def enter(self, **data: Any) -> Next:
        if self.booth.session.garment is None:
            return "catalog"
        self.booth.session.photo = None
        self.booth.session.result = None
        self.view.show_preview(self.booth.session.garment)
        return self.on_tick(self.booth.clock())

    def on_event(self, event: Event) -> Next:
        if (event.kind == "tap" and event.target == "capture") or event.kind == "button":
            return "countdown"
        if event.kind == "tap" and event.target == "back":
            return "catalog"
        return None

    def on_tick(self, now: float) -> Next:
        camera = self.booth.camera
        if camera is None or camera.error is not None:
            return "no_camera"
        return None


class CountdownState(BoothState):
    name = "countdown"

    def enter(self, **data: Any) -> Next:
        self.deadline = self.booth.clock() + self.booth.config.countdown_s
        self.shown = -1
        return self.on_tick(self.booth.clock())

    def on_tick(self, now: float) -> Next:
        camera = self.booth.camera
        if camera is None or camera.error is not None:
            return "no_camera"
        left = self.deadline - now
        if left <= 0:
            frame = camera.latest()
            if frame is None:
                return "no_camera"
            self.booth.session.photo = np.ascontiguousarray(portrait_crop(frame.rgb))
            return "sending"
        seconds = math.ceil(left)
        if seconds != self.shown:
            self.shown = seconds
            self.view.show_countdown(seconds)
        return None

    def on_event(self, event: Event) -> Next:
        if event.kind == "tap" and event.target == "cancel":
            return "preview"
        return None


class SendingState(BoothState):
    """The photo is with the server. Shows progress and elapsed time; cancel drops the answer."""

    name = "sending"

    def enter(self, attempt: int = 0, **data: Any) -> Next:
        session = self.booth.session
        if session.photo is None or session.garment is None:
            return "catalog"
        self.attempt = attempt
        self.started = self.booth.clock()
        self.shown = -1
        photo, garment_id = session.photo, session.garment.id
        self.job = self.booth.submit("tryon", lambda: self.booth.try_on(photo, garment_id))
        return self.on_tick(self.started)

    def exit(self) -> None:
        self.job = None  # a late answer to a cancelled request is ignored

    def on_tick(self, now: float) -> Next:
        elapsed = now - self.started
        if int(elapsed * 4) != self.shown:  # redraw four times a second for the progress bar
            self.shown = int(elapsed * 4)
            self.view.show_sending(self.booth.session.garment, self.booth.session.photo, elapsed)
        return None

    def on_event(self, event: Event) -> Next:
        if event.kind == "tap" and event.target == "cancel":
            return "preview"
        return tryon_outcome(self.booth, event, self.job, self.attempt)


def tryon_outcome(booth: Booth, event: Event, job: int | None, attempt: int) -> Next:
    """Where a try-on answer leads: the result, or the error state that explains the failure."""
    if job is None or event.data.get("job") != job:
        return None  # not ours (a cancelled request answering late)
    if event.kind == "tryon_done":
        booth.session.result = event.data["result"]
        return "result"
    if event.kind == "tryon_failed":
        error = event.data["error"]
        if isinstance(error, ServerUnreachable):
            return Goto("unreachable", {"attempt": attempt})
        if isinstance(error, ServerBusy):
            return Goto("busy", {"retry_after": error.retry_after, "code": error.code, "attempt": attempt})
        if isinstance(error, RequestRejected):
            return Goto("rejected", {"error": error})
        raise error  # anything else is a bug: the failsafe screen takes it
    return None


class ResultState(BoothState):
    name = "result"

    def enter(self, **data: Any) -> Next:
        if self.booth.session.result is None:
            return "catalog"
        self.mode = "after"
        self._draw()
        return None

    def _draw(self) -> None:
        s = self.booth.session
        self.view.show_result(s.photo, s.result.image, s.garment, self.mode)

    def on_event(self, event: Event) -> Next:
        if event.kind != "tap":
            return None
        if event.target == "toggle":
            self.mode = {"after": "before", "before": "side_by_side", "side_by_side": "after"}[self.mode]
            self._draw()
        elif event.target == "another":
            return "catalog"  # keeps the photo: the next garment is sent without a new picture
        elif event.target == "retake":
            return "preview"
        elif event.target == "home":
            return "idle"
        return None


class _WaitThenResend(BoothState):
    """Shared by the unreachable and busy states: count down, then send the same photo again from here
    (the notice stays up while it is retried, so the screen does not flicker)."""

    def enter(self, attempt: int = 0, **data: Any) -> Next:
        self.attempt = attempt
        self.retry_at = self.booth.clock() + self.delay(attempt, **data)
        self.shown = -1
        self.job: int | None = None
        return self.on_tick(self.booth.clock())

    def exit(self) -> None:
        self.job = None

    def delay(self, attempt: int, **data: Any) -> float:
        raise NotImplementedError

    def words(self, seconds: int) -> tuple[str, str]:
        raise NotImplementedError

    def on_tick(self, now: float) -> Next:
        if self.job is not None:  # a retry is on its way; its answer comes as an event
            return None
        left = self.retry_at - now
        if left <= 0:
            session = self.booth.session
            photo, garment_id = session.photo, session.garment.id
            self.job = self.booth.submit("tryon", lambda: self.booth.try_on(photo, garment_id))
            self.attempt += 1
            self._notice(0)
        elif math.ceil(left) != self.shown:
            self.shown = math.ceil(left)
            self._notice(self.shown)
        return None

    def _notice(self, seconds: int) -> None:
        title, body = self.words(seconds)
        self.view.show_notice(title, body, [("browse", "Browse garments"), ("retake", "Cancel")])

    def on_event(self, event: Event) -> Next:
        if event.kind == "tap" and event.target == "browse":
            return "catalog"  # the photo stays: choosing a garment sends it again
        if event.kind == "tap" and event.target == "retake":
            return "preview"
        return tryon_outcome(self.booth, event, self.job, self.attempt)


class UnreachableState(_WaitThenResend):
    name = "unreachable"

    def delay(self, attempt: int, **data: Any) -> float:
        return min(RETRY_CAP_S, max(1.0, self.booth.config.client.backoff_s) * 2 ** (attempt + 1))

    def words(self, seconds: int) -> tuple[str, str]:
        when = f"Trying again in {seconds} s…" if seconds else "Trying again now…"
        return ("We can't reach the try-on server",
                f"Your photo is safe here. {when}\nYou can keep browsing the garments meanwhile.")


class BusyState(_WaitThenResend):
    name = "busy"

    def enter(self, attempt: int = 0, code: str = "busy", **data: Any) -> Next:
        self.code = code
        return super().enter(attempt, **data)

    def delay(self, attempt: int, retry_after: float = 5.0, **data: Any) -> float:
        return max(1.0, retry_after)

    def words(self, seconds: int) -> tuple[str, str]:
        if self.code == "busy":
            when = f"Yours starts in {seconds} s…" if seconds else "Sending yours now…"
            return ("The try-on server is busy", f"Another picture is being made. {when}")
        when = f"Trying again in {seconds} s…" if seconds else "Trying again now…"
        return ("The try-on server is not ready",
                f"Your photo is safe here. {when}\nYou can keep browsing the garments meanwhile.")


class RejectedState(BoothState):
    """The server could not use the photo; its message is the advice (step back, face the camera…)."""

    name = "rejected"

    def enter(self, error: RequestRejected | None = None, **data: Any) -> Next:
        self.booth.session.photo = None
        if error is not None and error.code in ("no_person", "bad_framing"):
            title = "Let's take that photo again"
            body = error.message
        elif error is not None and error.status == 404:
            title = "That garment is no longer available"
            body = "Please choose another one."
            self.booth.catalog = None
        else:
            title = "That didn't work"
            body = (error.message if error is not None else "") or "Please try again."
        self.view.show_notice(title, body, [("retake", "Take a new photo"), ("browse", "Other garments")])
        return None

    def on_event(self, event: Event) -> Next:
        if event.kind == "tap" and event.target == "retake" or event.kind == "button":
            return "preview"
        if event.kind == "tap" and event.target == "browse":
            return "catalog"
        return None


class NoCameraState(BoothState):
    """The camera is missing or unplugged; the reader keeps reconnecting and we go back when it works."""

    name = "no_camera"

    def enter(self, **data: Any) -> Next:
        self.view.show_notice("The camera isn't working right now",
                              "We're reconnecting it, this usually takes a few seconds.\n"
                              "If it keeps happening, please ask a member of staff.",
                              [("browse", "Browse garments")])
        return None

    def on_tick(self, now: float) -> Next:
        camera = self.booth.camera
        if camera is not None and camera.error is None and camera.latest() is not None:
            return "preview"
        return None

    def on_event(self, event: Event) -> Next:
        if event.kind == "tap" and event.target == "browse":
            return "catalog"
        return None


class ErrorState(BoothState):
    """Failsafe: something unexpected broke. Say sorry, then start over by itself."""

    name = "error"

    def enter(self, error: Exception | None = None, **data: Any) -> Next:
        self.booth.session = Session()
        self.until = self.booth.clock() + ERROR_RECOVER_S
        self.view.show_notice("Sorry, something went wrong",
                              "The booth is starting over. Please try again in a moment.", [])
        return None

    def on_tick(self, now: float) -> Next:
        return "idle" if now >= self.until else None

    def on_event(self, event: Event) -> Next:
        return "idle" if event.kind == "tap" else None
