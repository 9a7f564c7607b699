"""Fuzz the API from its OpenAPI document (schemathesis) against the real app over HTTP.

Every generated request, valid or not, must get an answer that is not a 5xx, whose status the document
lists, and whose body matches the documented schema (errors: {"error": {"code", "message", "request_id"}}).
Bounded: a modest number of examples per operation so the file runs in about a minute on two cores.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

SPEC = Path(__file__).resolve().parents[2] / "server" / "openapi.yaml"
schema = schemathesis.openapi.from_path(SPEC)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

pytestmark = pytest.mark.slow
SENT: list[tuple[str, int]] = []  # (operation, status) of every generated request, for the summary below


@pytest.fixture(scope="module")
def http():
    session = requests.Session()
    yield session
    session.close()


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_operation_answers_as_documented(case, live_server, http):
    response = case.call_and_validate(base_url=live_server, session=http, checks=CHECKS, timeout=60)
    SENT.append((f"{case.method} {case.path}", response.status_code))
    if response.status_code >= 400:
        error = response.json()["error"]
        assert isinstance(error["code"], str) and error["code"]
        assert isinstance(error["message"], str) and error["message"]


def test_the_server_is_alive_after_the_fuzzing(live_server, http):
    from collections import Counter

    if SENT:  # run after the fuzzing (not with -k on this test alone)
        print(f"\nschemathesis sent {len(SENT)} requests:", dict(Counter(SENT)))
    assert http.get(live_server + "/livez", timeout=10).json() == {"status": "ok"}
    assert http.get(live_server + "/readyz", timeout=10).json()["ready"] is True
