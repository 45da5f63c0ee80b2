"""The fuzz tests cover the whole app, and stay covering it: every route of the route table
belongs to a family whose fuzz test requests it, every POST route has its fields listed, and every form field
and query parameter the code reads is one the fuzz tests send. A new route, field or parameter without fuzzing
fails here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from markupsafe import escape
from sqlmodel import SQLModel

from hotline.voice.edge import KEPT_FIELDS
from intake.cities import create_city
from tests.hotline import test_fuzz_console, test_fuzz_demo, test_fuzz_exit, test_fuzz_reporter, test_fuzz_voice
from tests.hotline.fuzz_support import (
    IMAGE,
    NEAR_VALID_QUERY,
    QUERY_NAMES,
    SCRIPT,
    VALID_QUERY,
    Snapshot,
    check_answer,
    count_rows,
    family,
    refused,
    route_table,
    source_names,
)

ROOT = Path(__file__).resolve().parents[2]
FAMILIES = {"demo": test_fuzz_demo, "reporter": test_fuzz_reporter, "console": test_fuzz_console,
            "exit": test_fuzz_exit, "voice": test_fuzz_voice}
POST_FORMS = {**test_fuzz_reporter.POST_FORMS, **test_fuzz_console.POST_FORMS, **test_fuzz_exit.POST_FORMS,
              **test_fuzz_demo.POST_FORMS}
# Fields whose names the fuzz tests take from the page (questionnaire answers) rather than from a list.
FIELDS_FROM_THE_PAGE = ("q-", "q_")


def test_every_route_is_fuzzed():
    table = route_table()
    assert len(table) > 70
    for method, path, _route in table:
        assert family(path) in FAMILIES, f"{method} {path} belongs to no fuzz test"
        if family(path) == "voice":
            assert method == "POST", f"{method} {path}: the phone fuzz test sends only signed POSTs"
        elif method == "POST":
            assert path in POST_FORMS, f"POST {path} has no fields listed for fuzzing: add it to its POST_FORMS"
        else:
            assert method == "GET", f"{method} {path}: the fuzz tests send GET and POST only"
    posts = {path for method, path, _route in table if method == "POST" and family(path) != "voice"}
    assert set(POST_FORMS) == posts, f"listed for fuzzing but not in the app: {set(POST_FORMS) - posts}"


def test_every_field_the_code_reads_is_fuzzed():
    code = [ROOT / "hotline"]
    # text_field(form, "x"), _number(form, "x"), form.get("x"), form.getlist("x"): every way a handler reads one.
    read = source_names([r'\(form, "([\w-]+)"\)', r'form\.get(?:list)?\("([\w-]+)"\)'], code)
    sent = {name for fields in POST_FORMS.values() for name in fields} | set(test_fuzz_voice.FIELDS)
    missing = {name for name in read if name not in sent and not name.startswith(FIELDS_FROM_THE_PAGE)}
    assert read and not missing, f"form fields read by the code but never fuzzed: {sorted(missing)}"
    voice = source_names([r'call\.field\("(\w+)"\)'], [ROOT / "hotline" / "voice"])
    assert voice and voice <= set(test_fuzz_voice.FIELDS)
    assert set(test_fuzz_voice.FIELDS) >= KEPT_FIELDS, "a field the phone line keeps is never fuzzed"


def test_every_query_parameter_the_code_reads_is_fuzzed():
    read = source_names([r'query_params\.get\("(\w+)"'], [ROOT / "hotline"])
    read |= source_names([r'params\.get\("(\w+)"\)'], [ROOT / "intake" / "inbox.py"])
    assert read and read <= set(QUERY_NAMES), f"query parameters never fuzzed: {sorted(read - set(QUERY_NAMES))}"
    assert set(VALID_QUERY) == set(NEAR_VALID_QUERY) == set(QUERY_NAMES)
    voice = source_names([r'call\.arg\("(\w+)"\)'], [ROOT / "hotline" / "voice"])
    assert voice and voice <= set(test_fuzz_voice.QUERY), f"never fuzzed: {sorted(voice - set(test_fuzz_voice.QUERY))}"


@dataclass
class FakeAnswer:
    status_code: int
    text: str
    content_type: str = "text/html; charset=utf-8"

    @property
    def headers(self) -> dict[str, str]:
        return {"content-type": self.content_type}

    @property
    def content(self) -> bytes:
        return self.text.encode()


def test_the_checks_catch_what_they_look_for():
    """The fuzz tests' checks fail when they should, so a fuzz test that passes means something."""
    assert check_answer(FakeAnswer(200, f"<p>{escape(SCRIPT)}</p>"), "escaped") == []
    assert check_answer(FakeAnswer(200, f"<p>{SCRIPT}</p>"), "raw") == ["raw: unescaped '<script>alert('"]
    assert check_answer(FakeAnswer(200, f'<input value="{IMAGE}">'), "raw")
    assert check_answer(FakeAnswer(500, "<p>oops</p>"), "crash") == ["crash: 500"]
    assert check_answer(FakeAnswer(200, "<Response><Say>x</Response>", "application/xml"), "xml")
    assert refused(FakeAnswer(400, "")) and refused(FakeAnswer(200, '<div role="alert">')) \
        and not refused(FakeAnswer(303, ""))


def test_the_row_counts_see_every_table(database):
    with Snapshot(database) as snapshot:
        assert snapshot.stored_on_refusal() == []
        create_city(database, "fuzzton", "Fuzzton")
        stored = snapshot.stored_on_refusal()
    assert "city: 0 -> 1" in stored and "audit entry city.created" in stored
    assert set(count_rows(database)) >= {table.name for table in SQLModel.metadata.sorted_tables}
