"""The booth's states as a graph, read from what each state declares (its tap table, its capture button and
its exits): every state is there and reachable, none is a dead end, and every button shown is handled.
test_flow.py checks that the moves the booth really makes are the declared ones."""
from __future__ import annotations

import pytest

from kiosk.gui.flow import Booth, BoothState
from kiosk.gui.names import StateName, Tap
from tests.kiosk.test_flow import CATALOG, Clock, RecordingView, reply


@pytest.fixture
def booth(kiosk_config) -> Booth:
    return Booth(kiosk_config, RecordingView(), None, load_catalog=lambda: CATALOG, try_on=reply, clock=Clock())


def graph(booth: Booth) -> dict[str, frozenset[StateName]]:
    """Each state's name and the states it can move on to."""
    moves = {}
    for name, state in booth.machine.states.items():
        assert isinstance(state, BoothState)
        moves[name] = state.leads_to
    return moves


def reachable(moves: dict[str, frozenset[StateName]], start: str) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for target in moves[todo.pop()] - seen:
            seen.add(target)
            todo.append(target)
    return seen


def test_every_state_name_has_its_state(booth):
    assert sorted(booth.machine.states) == sorted(StateName)
    assert (booth.machine.initial, booth.machine.failsafe) == (StateName.IDLE, StateName.ERROR)


def test_every_tap_and_move_names_an_existing_state(booth):
    states = booth.machine.states
    for state in states.values():
        assert set(state.taps) <= set(Tap), state.name
        for action in state.taps.values():
            assert callable(action) or action in states, (state.name, action)
        assert state.leads_to <= set(states), state.name


def test_every_state_is_reachable_from_the_initial_state(booth):
    # The failsafe is reached from any state, by an exception; the others by what the states declare.
    assert reachable(graph(booth), booth.machine.initial) | {booth.machine.failsafe} == set(StateName)


def test_no_state_is_a_dead_end(booth):
    """No state is terminal: each has a way out, and the initial state can be reached from it (without
    waiting for the inactivity timeout, which also leads back to it)."""
    moves = graph(booth)
    for name, targets in moves.items():
        assert targets - {name}, f"{name} has no way out"
        assert booth.machine.initial in reachable(moves, name), f"{name} never gets back to the start"


@pytest.mark.parametrize("name", [StateName.UNREACHABLE, StateName.BUSY, StateName.REJECTED, StateName.NO_CAMERA,
                                  StateName.ERROR])
def test_every_button_on_a_notice_is_handled_by_its_state(booth, name):
    booth.machine.goto(name)
    kind, notice = booth.view.last
    assert (booth.machine.name, kind) == (name, "notice")
    assert set(notice["actions"]) <= set(booth.machine.states[name].taps)
