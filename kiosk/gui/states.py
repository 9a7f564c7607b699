"""A small state machine with named states and a failsafe state (after pibooth's `StateMachine`).

Each state has `enter`, `exit`, `on_event` and `on_tick`; the last two return the next state's name (or
`Goto` with data for its `enter`) or None to stay. Any exception raised inside a state sends the machine to
the failsafe state, which recovers by itself; an exception inside the failsafe state goes straight to the
initial state. The machine is pure Python: no Tk, so it is tested without a display.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """Something that happened: a tap on `target`, a button press, a worker's result."""

    kind: str
    target: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Goto:
    state: str
    data: dict[str, Any] = field(default_factory=dict)


Next = str | Goto | None


class State:
    name = "state"

    def enter(self, **data: Any) -> Next:
        """Called on arrival; may return a state to move on to at once."""
        return None

    def exit(self) -> None:
        """Called on leaving."""

    def on_event(self, event: Event) -> Next:
        return None

    def on_tick(self, now: float) -> Next:
        return None


class StateMachine:
    def __init__(self, states: list[State], *, initial: str, failsafe: str,
                 on_change: Callable[[str, str], None] | None = None) -> None:
        self.states = {s.name: s for s in states}
        if initial not in self.states or failsafe not in self.states:
            raise ValueError("initial and failsafe must be among the states")
        self.initial = initial
        self.failsafe = failsafe
        self.on_change = on_change
        self.current: State | None = None

    @property
    def name(self) -> str:
        return self.current.name if self.current else ""

    def start(self) -> None:
        self.goto(self.initial)

    def goto(self, name: str, **data: Any) -> None:
        """Leave the current state and enter `name` (and whatever its enter() chains to)."""
        target: Next = Goto(name, data)
        for _ in range(16):  # enter() may chain; a cycle is a bug, caught below
            if target is None:
                return
            goto = target if isinstance(target, Goto) else Goto(target)
            target = self._switch(goto)
        raise RuntimeError(f"state transitions do not settle (last: {target})")

    def dispatch(self, event: Event) -> None:
        self._run(lambda state: state.on_event(event))

    def tick(self, now: float) -> None:
        self._run(lambda state: state.on_tick(now))

    def _run(self, step: Callable[[State], Next]) -> None:
        if self.current is None:
            return
        try:
            target = step(self.current)
        except Exception as exc:  # the failsafe exists for exactly this
            self._fail(exc)
            return
        if target is not None:
            goto = target if isinstance(target, Goto) else Goto(target)
            self.goto(goto.state, **goto.data)

    def _switch(self, goto: Goto) -> Next:
        previous = self.current
        try:
            if goto.state not in self.states:
                raise KeyError(f"no state named {goto.state!r}")
            if previous is not None:
                previous.exit()
            self.current = self.states[goto.state]
            log.debug("state %s -> %s", previous.name if previous else None, goto.state)
            if self.on_change:
                self.on_change(previous.name if previous else "", goto.state)
            return self.current.enter(**goto.data)
        except Exception as exc:
            self._fail(exc)
            return None

    def _fail(self, exc: Exception) -> None:
        log.exception("state %s failed: %s", self.name, exc)
        if self.name == self.failsafe:
            target = self.initial
            data: dict[str, Any] = {}
        else:
            target = self.failsafe
            data = {"error": exc}
        try:
            if self.current is not None and self.name != target:
                try:
                    self.current.exit()
                except Exception:
                    log.exception("exit of %s failed too", self.name)
            self.current = self.states[target]
            if self.on_change:
                self.on_change("", target)
            nxt = self.current.enter(**data)
            if nxt is not None:
                goto = nxt if isinstance(nxt, Goto) else Goto(nxt)
                self.goto(goto.state, **goto.data)
        except Exception:  # last resort: plain initial state
            log.exception("failsafe state failed; back to %s", self.initial)
            self.current = self.states[self.initial]
