"""The shopper's words live in kiosk/gui/texts.py: every name the kiosk looks up is there, every text is a
template that formats, and every server error code, known or not, reads as something a shopper understands."""
from __future__ import annotations

import ast
import re
import string

import pytest

from kiosk.client import RequestRejected
from kiosk.gui.flow import Booth
from kiosk.gui.names import StateName
from kiosk.gui.texts import REFUSALS, TEXTS, WAITS, say
from tests.conftest import REPO
from tests.kiosk.test_flow import CATALOG, Clock, RecordingView, reply

TEXT_NAME = re.compile(r"[a-z_]+\.[a-z_]+")
PLACEHOLDERS = {"seconds", "when", "message"}


@pytest.fixture
def booth(kiosk_config) -> Booth:
    return Booth(kiosk_config, RecordingView(), None, load_catalog=lambda: CATALOG, try_on=reply, clock=Clock())


def test_every_text_name_in_the_screens_code_is_a_text():
    for module in ("flow", "app"):
        tree = ast.parse((REPO / "kiosk" / "gui" / f"{module}.py").read_text())
        names = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)
                 and isinstance(node.value, str) and TEXT_NAME.fullmatch(node.value)}
        assert names and names <= set(TEXTS), (module, names - set(TEXTS))


def test_every_text_is_a_template_with_known_placeholders():
    for name, text in TEXTS.items():
        fields = {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
        assert fields <= PLACEHOLDERS, name
        assert say(name, seconds=3, when="soon", message="why") == text.format(seconds=3, when="soon", message="why")


def test_every_code_the_kiosk_maps_is_one_the_server_sends():
    server_code = "\n".join(path.read_text() for path in (REPO / "server").rglob("*.py"))
    for code in {*REFUSALS, *WAITS}:
        assert f'"{code}"' in server_code, code


@pytest.mark.parametrize(("status", "code"), [(400, code) for code in REFUSALS] + [(400, "brand_new"), (404, "gone")])
def test_every_refusal_reads_as_a_notice(booth, status, code):
    booth.machine.goto(StateName.REJECTED, error=RequestRejected(status, code, "The server's own words."))
    kind, notice = booth.view.last
    assert (booth.machine.name, kind) == (StateName.REJECTED, "notice") and notice["title"] and notice["body"]


@pytest.mark.parametrize("code", [*WAITS, "brand_new"])
def test_every_wait_reads_as_a_notice(booth, code):
    booth.machine.goto(StateName.BUSY, code=code, retry_after=7)
    kind, notice = booth.view.last
    assert (booth.machine.name, kind) == (StateName.BUSY, "notice") and "7 s" in notice["body"]


def test_an_unknown_refusal_shows_general_words_and_the_servers_message(booth):
    booth.machine.goto(StateName.REJECTED, error=RequestRejected(400, "brand_new", "The server's own words."))
    notice = booth.view.last[1]
    assert (notice["title"], notice["body"]) == ("That didn't work", "The server's own words.")


def test_an_unknown_wait_shows_the_not_ready_words(booth):
    booth.machine.goto(StateName.BUSY, code="brand_new", retry_after=7)
    assert booth.view.last[1]["title"] == "The try-on server is not ready"
