"""The inference gate (server/gate.py): after a 504 the abandoned work stops at its next stage and frees the
slot, instead of holding it until the whole try-on has run."""
from __future__ import annotations

import threading
import time

import pytest

from server.errors import ApiError
from server.gate import Deadline, DeadlinePassed, InferenceGate


def _staged_job(stages: int, stage_s: float, ran: list[int]):
    """A job of `stages` steps of `stage_s` seconds that checks its deadline between steps, as the service does."""
    def job(deadline: Deadline) -> str:
        for stage in range(stages):
            if stage:
                deadline.check()
            time.sleep(stage_s)
            ran.append(stage)
        return "done"
    return job


def _wait_until_free(gate: InferenceGate, limit_s: float) -> float:
    started = time.monotonic()
    while gate._running or gate.depth:
        assert time.monotonic() - started < limit_s, "the slot is still held"
        time.sleep(0.01)
    return time.monotonic() - started


def test_work_abandoned_by_a_504_frees_its_slot_at_the_next_stage():
    gate = InferenceGate(concurrency=1, max_queue=0, timeout_s=0.3)
    ran: list[int] = []
    try:
        with pytest.raises(ApiError) as info:
            gate.run(_staged_job(stages=20, stage_s=0.1, ran=ran))  # 2 s of work, 0.3 s allowed
        assert info.value.status == 504
        # Without the checks the slot would stay taken for the remaining ~1.7 s.
        assert _wait_until_free(gate, limit_s=1.0) < 0.5
        assert len(ran) < 8
        assert gate.run(lambda deadline: "next") == "next"  # the slot serves the next shopper
    finally:
        gate.shutdown()


def test_work_that_waited_past_its_deadline_in_the_queue_never_starts():
    gate = InferenceGate(concurrency=1, max_queue=1, timeout_s=0.2)
    release, started = threading.Event(), []
    holder = threading.Thread(target=lambda: pytest.raises(ApiError, gate.run, lambda deadline: release.wait(1.0)))
    holder.start()
    try:
        time.sleep(0.05)
        with pytest.raises(ApiError):
            gate.run(lambda deadline: started.append(1))
    finally:
        release.set()
        holder.join()
        _wait_until_free(gate, limit_s=2.0)
        gate.shutdown()
    assert started == []


def test_deadline_check_raises_only_after_the_deadline():
    Deadline(time.monotonic() + 10).check()
    with pytest.raises(DeadlinePassed):
        Deadline(time.monotonic() - 0.001).check()


def test_service_stops_a_try_on_between_stages_once_its_deadline_has_passed(tryon_app):
    """The real pipeline: a try-on whose deadline passes during its first stage does not run the backend."""
    from tests.conftest import person_photo_768x1024

    service = tryon_app.extensions["tryon"]
    garment = service.require_ready().catalog.garments()[0]
    person = person_photo_768x1024()
    with pytest.raises(DeadlinePassed):
        service._tryon(person, garment, None, "tshirt", 0, Deadline(time.monotonic() + 0.001))
    outcome = service._tryon(person, garment, None, "tshirt", 0, Deadline(time.monotonic() + 60))
    assert outcome.result.image.shape == person.shape
