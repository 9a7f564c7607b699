"""The kiosk's screens as states, and the `Booth` that runs them.

idle -> catalog -> preview -> countdown -> sending -> result -> (idle after inactivity)
with error states a shopper can read: unreachable, busy, rejected, no_camera, and the failsafe `error`.

Each state is data as far as it can be: a table of what its buttons do (`taps`), where the capture button
takes it (`button`) and the states it moves on to by itself (`exits`); tests/kiosk/test_flow_graph.py walks
that graph. States only decide what to show, with words from kiosk/gui/texts.py; drawing is the `View`'s job
(the Tk app, or a recorder in tests). Slow work (HTTP) runs in worker threads whose results come back as
events on a queue that the UI loop drains, so the UI thread never waits on the network or the camera.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import numpy as np

from common.config.kiosk import KioskConfig
from kiosk.camera.reader import FrameReader
from kiosk.catalog_cache import Catalog
from kiosk.client import ClientError, Garment, RequestRejected, ServerBusy, ServerUnreachable, TryOnReply
from kiosk.gui.framing import portrait_crop
from kiosk.gui.names import StateName, Tap
from kiosk.gui.states import Event, Goto, Next, State, StateMachine
from kiosk.gui.texts import refusal_notice, say, wait_notice
from kiosk.gui.timer import Timer

log = logging.getLogger(__name__)

# Events that mean a person touched the kiosk (they reset the inactivity timer).
TOUCH_EVENTS = {"tap", "button", "scroll"}
RETRY_CAP_S = 30.0
ERROR_RECOVER_S = 6.0


class View(Protocol):
    """What the states ask the screen to show; the view lays it out."""

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
            initial=StateName.IDLE, failsafe=StateName.ERROR,
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
        if self.machine.name != StateName.IDLE and now - self.touched > self.config.idle_timeout_s:
            log.info("no touch for %.0f s: back to idle", now - self.touched)
            self.machine.goto(StateName.IDLE)
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

    def send_photo(self) -> int:
        """Send the session's photo with its garment; the answer arrives as a tryon_done/tryon_failed event."""
        photo, garment = self.session.photo, self.session.garment
        if photo is None or garment is None:
            raise RuntimeError("there is no photo and garment to send")  # a bug: the failsafe screen takes it
        garment_id = garment.id
        return self.submit("tryon", lambda: self.try_on(photo, garment_id))


# What a tap does: go to a state, or call the state's method with what follows the target's colon
# (a garment's id for `garment:<id>`).
TapAction = StateName | Callable[[Any, str], Next]


class BoothState(State):
    name: StateName
    taps: ClassVar[Mapping[str, TapAction]] = {}
    button: ClassVar[StateName | None] = None  # where the capture button (or key) leads
    # The states it moves on to other than by `taps` and `button`: on a tick, a worker's answer, or at once
    # from enter(). Every state may also go back to idle (no touch for a while) or to the failsafe.
    exits: ClassVar[frozenset[StateName]] = frozenset()

    def __init__(self, booth: Booth) -> None:
        self.booth = booth

    @property
    def view(self) -> View:
        return self.booth.view

    @property
    def leads_to(self) -> frozenset[StateName]:
        """Every state this one may move on to by itself or by a touch."""
        targets = {action for action in self.taps.values() if isinstance(action, StateName)}
        if self.button is not None:
            targets.add(self.button)
        return frozenset(targets) | self.exits

    def on_event(self, event: Event) -> Next:
        if event.kind == "tap":
            target, _, argument = event.target.partition(":")
            action = self.taps.get(target, self.taps.get(Tap.ANY))
            if action is None or isinstance(action, StateName):
                return action
            return action(self, argument)
        if event.kind == "button":
            return self.button
        return self.on_answer(event)

    def on_answer(self, event: Event) -> Next:
        """Any other event: a worker's answer (catalog_*, tryon_*) or a scroll."""
        return None


class IdleState(BoothState):
    """Attract screen: one line of how-to, tap anywhere to start."""

    name = StateName.IDLE
    taps = {Tap.ANY: StateName.CATALOG}
    button = StateName.CATALOG

    def enter(self, **data: Any) -> Next:
        self.booth.session = Session()  # the photo and result leave memory here
        self.view.show_attract()
        return None


class CatalogState(BoothState):
    """Grid of garments; from the server when it answers, else from the disk cache."""

    name = StateName.CATALOG
    exits = frozenset({StateName.SENDING, StateName.PREVIEW})
    RETRY_S = 10.0

    def enter(self, **data: Any) -> Next:
        self.job: int | None = None
        self.retry: Timer | None = None
        self.status: str | None = None
        self._draw()
        self._load()
        return None

    def _draw(self) -> None:
        catalog = self.booth.catalog
        status = self.status
        if catalog is None and status is None:
            status = say("catalog.loading")
        elif catalog is not None and not catalog.online and status is None:
            status = say("catalog.offline")
        self.view.show_catalog(catalog, status, has_photo=self.booth.session.photo is not None)

    def _load(self) -> None:
        self.retry = None
        self.job = self.booth.submit("catalog", self.booth.load_catalog)

    def on_answer(self, event: Event) -> Next:
        if event.kind == "catalog_done" and event.data["job"] == self.job:
            catalog: Catalog = event.data["result"]
            self.booth.catalog = catalog
            self.status = None
            if not catalog.online:
                self.retry = Timer(self.booth.clock(), self.RETRY_S)
            self._draw()
        elif event.kind == "catalog_failed" and event.data["job"] == self.job:
            self.retry = Timer(self.booth.clock(), self.RETRY_S)
            self.status = say("catalog.failed")
            self._draw()
        return None

    def _choose(self, garment_id: str) -> Next:
        catalog = self.booth.catalog
        garment = next((g for g in catalog.garments if g.id == garment_id), None) if catalog else None
        if garment is None:
            return None
        self.booth.session.garment = garment
        self.booth.session.result = None
        return StateName.SENDING if self.booth.session.photo is not None else StateName.PREVIEW

    taps = {Tap.GARMENT: _choose, Tap.HOME: StateName.IDLE}

    def on_tick(self, now: float) -> Next:
        if self.retry is not None and self.retry.due(now):
            self._load()
        return None


class PreviewState(BoothState):
    """Live mirrored preview with a framing guide; tap or the capture button starts the countdown."""

    name = StateName.PREVIEW
    taps = {Tap.CAPTURE: StateName.COUNTDOWN, Tap.BACK: StateName.CATALOG}
    button = StateName.COUNTDOWN
    exits = frozenset({StateName.CATALOG, StateName.NO_CAMERA})

    def enter(self, **data: Any) -> Next:
        if self.booth.session.garment is None:
            return StateName.CATALOG
        self.booth.session.photo = None
        self.booth.session.result = None
        self.view.show_preview(self.booth.session.garment)
        return self.on_tick(self.booth.clock())

    def on_tick(self, now: float) -> Next:
        camera = self.booth.camera
        if camera is None or camera.error is not None:
            return StateName.NO_CAMERA
        return None


class CountdownState(BoothState):
    name = StateName.COUNTDOWN
    taps = {Tap.CANCEL: StateName.PREVIEW}
    exits = frozenset({StateName.NO_CAMERA, StateName.SENDING})

    def enter(self, **data: Any) -> Next:
        self.timer = Timer(self.booth.clock(), self.booth.config.countdown_s)
        return self.on_tick(self.booth.clock())

    def on_tick(self, now: float) -> Next:
        camera = self.booth.camera
        if camera is None or camera.error is not None:
            return StateName.NO_CAMERA
        if self.timer.due(now):
            frame = camera.latest()
            if frame is None:
                return StateName.NO_CAMERA
            self.booth.session.photo = np.ascontiguousarray(portrait_crop(frame.rgb))
            return StateName.SENDING
        seconds = self.timer.seconds_left(now)
        if self.timer.show(seconds):
            self.view.show_countdown(seconds)
        return None


# Where a try-on answer can lead (an unexpected failure goes to the failsafe).
TRYON_OUTCOMES = frozenset({StateName.RESULT, StateName.UNREACHABLE, StateName.BUSY, StateName.REJECTED})


def tryon_outcome(booth: Booth, event: Event, job: int | None, attempt: int) -> Next:
    """Where a try-on answer leads: the result, or the error state that explains the failure."""
    if job is None or event.data.get("job") != job:
        return None  # not ours (a cancelled request answering late)
    if event.kind == "tryon_done":
        booth.session.result = event.data["result"]
        return StateName.RESULT
    if event.kind == "tryon_failed":
        error = event.data["error"]
        if isinstance(error, ServerUnreachable):
            return Goto(StateName.UNREACHABLE, {"attempt": attempt})
        if isinstance(error, ServerBusy):
            return Goto(StateName.BUSY, {"retry_after": error.retry_after, "code": error.code, "attempt": attempt})
        if isinstance(error, RequestRejected):
            return Goto(StateName.REJECTED, {"error": error})
        raise error  # anything else is a bug: the failsafe screen takes it
    return None


class SendingState(BoothState):
    """The photo is with the server. Shows progress and elapsed time; cancel drops the answer."""

    name = StateName.SENDING
    taps = {Tap.CANCEL: StateName.PREVIEW}
    exits = TRYON_OUTCOMES | {StateName.CATALOG}

    def enter(self, attempt: int = 0, **data: Any) -> Next:
        session = self.booth.session
        if session.photo is None or session.garment is None:
            return StateName.CATALOG
        self.attempt = attempt
        self.photo, self.garment = session.photo, session.garment
        self.timer = Timer(self.booth.clock())
        self.job: int | None = self.booth.send_photo()
        return self.on_tick(self.timer.start)

    def exit(self) -> None:
        self.job = None  # a late answer to a cancelled request is ignored

    def on_tick(self, now: float) -> Next:
        elapsed = self.timer.elapsed(now)
        if self.timer.show(int(elapsed * 4)):  # redraw four times a second for the progress bar
            self.view.show_sending(self.garment, self.photo, elapsed)
        return None

    def on_answer(self, event: Event) -> Next:
        return tryon_outcome(self.booth, event, self.job, self.attempt)


class ResultState(BoothState):
    name = StateName.RESULT
    exits = frozenset({StateName.CATALOG})
    NEXT_MODE = {"after": "before", "before": "side_by_side", "side_by_side": "after"}

    def enter(self, **data: Any) -> Next:
        s = self.booth.session
        if s.result is None or s.photo is None or s.garment is None:
            return StateName.CATALOG
        self.before, self.after, self.garment = s.photo, s.result.image, s.garment
        self.mode = "after"
        self._draw()
        return None

    def _draw(self) -> None:
        self.view.show_result(self.before, self.after, self.garment, self.mode)

    def _toggle(self, _: str) -> Next:
        self.mode = self.NEXT_MODE[self.mode]
        self._draw()
        return None

    taps = {
        Tap.TOGGLE: _toggle,
        Tap.ANOTHER: StateName.CATALOG,  # keeps the photo: the next garment is sent without a new picture
        Tap.RETAKE: StateName.PREVIEW,
        Tap.HOME: StateName.IDLE,
    }


class _WaitThenResend(BoothState):
    """Shared by the unreachable and busy states: count down, then send the same photo again from here
    (the notice stays up while it is retried, so the screen does not flicker)."""

    taps = {
        Tap.BROWSE: StateName.CATALOG,  # the photo stays: choosing a garment sends it again
        Tap.RETAKE: StateName.PREVIEW,
    }
    exits = TRYON_OUTCOMES
    words = ""  # the texts it shows: "<words>.title", ".body", ".when" and ".now"

    def enter(self, attempt: int = 0, **data: Any) -> Next:
        self.attempt = attempt
        self.timer = Timer(self.booth.clock(), self.delay(attempt, **data))
        self.job: int | None = None
        return self.on_tick(self.booth.clock())

    def exit(self) -> None:
        self.job = None

    def delay(self, attempt: int, **data: Any) -> float:
        raise NotImplementedError

    def on_tick(self, now: float) -> Next:
        if self.job is not None:  # a retry is on its way; its answer comes as an event
            return None
        if self.timer.due(now):
            self.job = self.booth.send_photo()
            self.attempt += 1
            self._notice(0)
            return None
        seconds = self.timer.seconds_left(now)
        if self.timer.show(seconds):
            self._notice(seconds)
        return None

    def _notice(self, seconds: int) -> None:
        when = say(f"{self.words}.when", seconds=seconds) if seconds else say(f"{self.words}.now")
        self.view.show_notice(say(f"{self.words}.title"), say(f"{self.words}.body", when=when),
                              [(Tap.BROWSE, say("button.browse")), (Tap.RETAKE, say("button.cancel"))])

    def on_answer(self, event: Event) -> Next:
        return tryon_outcome(self.booth, event, self.job, self.attempt)


class UnreachableState(_WaitThenResend):
    name = StateName.UNREACHABLE
    words = "unreachable"

    def delay(self, attempt: int, **data: Any) -> float:
        return min(RETRY_CAP_S, max(1.0, self.booth.config.client.backoff_s) * 2 ** (attempt + 1))


class BusyState(_WaitThenResend):
    name = StateName.BUSY

    def enter(self, attempt: int = 0, code: str = "busy", **data: Any) -> Next:
        self.words = wait_notice(code)
        return super().enter(attempt, **data)

    def delay(self, attempt: int, retry_after: float = 5.0, **data: Any) -> float:
        return max(1.0, retry_after)


class RejectedState(BoothState):
    """The server could not use the photo; its message is the advice (step back, face the camera…)."""

    name = StateName.REJECTED
    taps = {Tap.RETAKE: StateName.PREVIEW, Tap.BROWSE: StateName.CATALOG}
    button = StateName.PREVIEW

    def enter(self, error: RequestRejected | None = None, **data: Any) -> Next:
        self.booth.session.photo = None
        words = refusal_notice(error.code, error.status) if error is not None else "failed"
        if error is not None and error.status == 404:
            self.booth.catalog = None  # reloaded without the garment that is gone
        message = (error.message if error is not None else "") or say("rejected.no_message")
        self.view.show_notice(say(f"{words}.title"), say(f"{words}.body", message=message),
                              [(Tap.RETAKE, say("rejected.retake")), (Tap.BROWSE, say("rejected.browse"))])
        return None


class NoCameraState(BoothState):
    """The camera is missing or unplugged; the reader keeps reconnecting and we go back when it works."""

    name = StateName.NO_CAMERA
    taps = {Tap.BROWSE: StateName.CATALOG}
    exits = frozenset({StateName.PREVIEW})

    def enter(self, **data: Any) -> Next:
        self.view.show_notice(say("no_camera.title"), say("no_camera.body"), [(Tap.BROWSE, say("button.browse"))])
        return None

    def on_tick(self, now: float) -> Next:
        camera = self.booth.camera
        if camera is not None and camera.error is None and camera.latest() is not None:
            return StateName.PREVIEW
        return None


class ErrorState(BoothState):
    """Failsafe: something unexpected broke. Say sorry, then start over by itself."""

    name = StateName.ERROR
    taps = {Tap.ANY: StateName.IDLE}
    exits = frozenset({StateName.IDLE})

    def enter(self, error: Exception | None = None, **data: Any) -> Next:
        self.booth.session = Session()
        self.timer = Timer(self.booth.clock(), ERROR_RECOVER_S)
        self.view.show_notice(say("error.title"), say("error.body"), [])
        return None

    def on_tick(self, now: float) -> Next:
        return StateName.IDLE if self.timer.due(now) else None
