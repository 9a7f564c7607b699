"""The generic state machine: transitions, and the failsafe state that catches any exception."""
from __future__ import annotations

from typing import Any

from kiosk.gui.states import Event, Goto, Next, State, StateMachine


class Recorder(State):
    """A state that logs what happens to it and can be told to fail."""

    def __init__(self, name: str, log: list[str], *, on: dict[str, Next] | None = None,
                 fail_on: str | None = None, fail_enter: bool = False) -> None:
        self.name = name
        self.log = log
        self.on = on or {}
        self.fail_on = fail_on
        self.fail_enter = fail_enter
        self.entered_with: dict[str, Any] = {}

    def enter(self, **data: Any) -> Next:
        self.log.append(f"enter {self.name}")
        self.entered_with = data
        if self.fail_enter:
            raise RuntimeError(f"{self.name} broke on enter")
        return None

    def exit(self) -> None:
        self.log.append(f"exit {self.name}")

    def on_event(self, event: Event) -> Next:
        if event.kind == self.fail_on:
            raise ValueError("a bug")
        return self.on.get(event.kind)


def machine(log: list[str], **states: Recorder) -> StateMachine:
    m = StateMachine(list(states.values()), initial="idle", failsafe="error")
    m.start()
    return m


def test_events_move_between_named_states_calling_exit_then_enter():
    log: list[str] = []
    m = machine(log, idle=Recorder("idle", log, on={"tap": "next"}), next=Recorder("next", log),
                error=Recorder("error", log))
    m.dispatch(Event("tap"))
    assert (m.name, log) == ("next", ["enter idle", "exit idle", "enter next"])


def test_goto_passes_data_to_the_next_state():
    log: list[str] = []
    nxt = Recorder("next", log)
    m = machine(log, idle=Recorder("idle", log, on={"tap": Goto("next", {"attempt": 2})}), next=nxt,
                error=Recorder("error", log))
    m.dispatch(Event("tap"))
    assert nxt.entered_with == {"attempt": 2}


def test_an_exception_inside_a_state_goes_to_the_failsafe_state_with_the_error():
    log: list[str] = []
    error = Recorder("error", log)
    m = machine(log, idle=Recorder("idle", log, fail_on="tap"), error=error)
    m.dispatch(Event("tap"))
    assert m.name == "error" and isinstance(error.entered_with["error"], ValueError)


def test_an_exception_while_entering_a_state_goes_to_the_failsafe_state():
    log: list[str] = []
    m = machine(log, idle=Recorder("idle", log, on={"tap": "bad"}), bad=Recorder("bad", log, fail_enter=True),
                error=Recorder("error", log))
    m.dispatch(Event("tap"))
    assert m.name == "error"


def test_a_failing_failsafe_state_falls_back_to_the_initial_state():
    log: list[str] = []
    m = machine(log, idle=Recorder("idle", log, fail_on="tap"), error=Recorder("error", log, fail_enter=True))
    m.dispatch(Event("tap"))
    assert m.name == "idle"


def test_an_unknown_state_name_is_a_bug_caught_by_the_failsafe():
    log: list[str] = []
    m = machine(log, idle=Recorder("idle", log, on={"tap": "nowhere"}), error=Recorder("error", log))
    m.dispatch(Event("tap"))
    assert m.name == "error"
