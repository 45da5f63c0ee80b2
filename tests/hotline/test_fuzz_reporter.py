"""Fuzzing the reporter's side: every public page and form that is not the phone line or the
exit survey - the city list, both steps of the report form with its questions, files, exclusions and identity,
the receipt, the follow-up with a report key and its messages with files - and the health, metrics and static
routes. Each example sends one hostile request to every one of these routes (the GET routes come from the
route table), and checks: no 500, nothing unescaped, nothing stored when refused."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image
from starlette.testclient import TestClient

from hotline.app import create_app
from hotline.form_tokens import issue_public_form_token, seal_reporter_access
from hotline.receipts import Receipt, seal_receipt
from hotline.settings import Settings
from intake.categories import DEFAULT_CATEGORIES
from intake.reports import submission as reports
from tests.hotline.conftest import submit_report
from tests.hotline.fuzz_support import (
    ENCODING,
    HOSTILE_TEXT,
    TRAVERSAL,
    Part,
    Sent,
    body,
    draw_get,
    draw_parts,
    encode,
    example,
    family_routes,
    fill,
    fuzz_settings,
    judge,
    nul_forms,
    nul_urls,
    route_table,
    valid_parts,
)

# The reporter's forms and the fields each one reads; tests/hotline/test_fuzz_routes.py fails on a POST route
# that no family lists, and on a field the code reads that no family sends.
POST_FORMS = {
    "/report/{city}": ("form_token", "category", "narrative", "website", "exclude", "identity", "identity_name",
                       "identity_contact", "in_danger"),
    "/report/receipt": ("receipt_token", "format"),
    "/follow-up": ("form_token", "report_key"),
    "/follow-up/message": ("access_token", "message"),
    "/follow-up/view": ("access_token",),
}
WITH_FILES = {"/report/{city}", "/follow-up/message"}


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 10, 10)).save(buffer, "PNG")
    return buffer.getvalue()


PNG = _png()
MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"GIF89a", b"%PDF-1.7\n", b"RIFF\x00\x00\x00\x00WEBP",
         b"BM", b"II*\x00", b"PK\x03\x04", b"MZ")


def upload_part() -> st.SearchStrategy[Part]:
    filename = st.one_of(st.sampled_from((*TRAVERSAL, "report.pdf", "photo.png", "a\x00b.jpg", "x" * 600 + ".png",
                                          "<script>alert(1)</script>.png", "\"'><img src=x onerror=alert(2)>.pdf")),
                         HOSTILE_TEXT).map(encode)
    content = st.one_of(st.binary(max_size=300), st.just(PNG),
                        st.tuples(st.sampled_from(MAGIC), st.binary(max_size=300)).map(b"".join),
                        st.just(PNG[:40] + b"\x00" * 64))
    content_type = st.one_of(st.none(), st.sampled_from((b"image/png", b"application/pdf", b"text/html",
                                                         b"application/x-msdownload", b"image/svg+xml")),
                             HOSTILE_TEXT.map(encode))
    return st.builds(lambda name, data, kind: Part(b"attachments", data, name, kind), filename, content, content_type)


class ReporterWorld:
    def __init__(self, seeded, settings: Settings, client: TestClient) -> None:
        self.settings, self.database, self.client = settings, seeded.database, client
        self.report_key = submit_report(self.client, "raytown", "The fuzz tests' own report.", extra={
            "identity": "give", "identity_name": "Fuzz Reporter", "identity_contact": "555-0100"})
        self.access = reports.open_report(seeded.database, settings.intake_config(), self.report_key)
        # Both steps of the form: the questions of every category, with their input names from the page.
        self.questions: dict[str, list[str]] = {}
        for category in DEFAULT_CATEGORIES:
            page = self.client.get(f"/report/raytown?category={category.slug}").text
            self.questions[category.slug] = sorted(set(re.findall(r'name="(q-[^"]+)"', page)))
        self.excludable = re.findall(r'name="exclude" id="[^"]*" value="(\d+)"',
                                     self.client.get("/report/raytown?category=safety").text)

    def form_token(self) -> str:
        return issue_public_form_token(self.settings.session_key, time.time())

    def access_token(self) -> str:
        return seal_reporter_access(self.settings.session_key, self.access, time.time())


@st.composite
def receipt_token(draw: st.DrawFn, world: ReporterWorld) -> bytes:
    """A receipt as the app seals one, but with hostile contents (file names come from the reporter)."""
    text = HOSTILE_TEXT.map(lambda value: value.encode("utf-8", "replace").decode())  # no lone surrogates
    files = tuple(draw(st.lists(st.tuples(text, st.booleans()), max_size=3)))
    receipt = Receipt(draw(st.one_of(st.just(world.report_key), text)), draw(text), files)
    return encode(seal_receipt(world.settings.session_key, receipt, time.time()))


CITY = st.sampled_from(("raytown", "raytown", "grandview", "nowhere", "..%2F..", "%FF%00", "%3Cscript%3Ealert(1)"))
LANG = st.sampled_from(("", "?lang=es", "?lang=%FF", "?lang=%3Cscript%3Ealert(1)%3C/script%3E"))
CATEGORY = st.sampled_from([c.slug for c in DEFAULT_CATEGORIES])
UPLOADS = st.lists(upload_part(), max_size=3)
GATES = ("form_token", "access_token", "receipt_token")
ODD_METHODS = ("PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "PROPFIND", "FUZZ")


def valid_fields(world: ReporterWorld, category: str) -> dict[str, str | bytes]:
    return {
        "form_token": world.form_token(), "category": category, "narrative": "What happened, in a few words.",
        "website": "", "exclude": world.excludable[0] if world.excludable else "", "identity": "give",
        "in_danger": "yes",
        "identity_name": "A name", "identity_contact": "555-0199", "report_key": world.report_key,
        "access_token": world.access_token(), "message": "More about it.", "format": "text",
        "receipt_token": seal_receipt(world.settings.session_key, Receipt(world.report_key, "Raytown"), time.time()),
    }


def field_names(world: ReporterWorld, path: str, category: str) -> list[str]:
    return list(POST_FORMS[path]) + (world.questions[category] if path == "/report/{city}" else [])


def draw_post(draw: st.DrawFn, world: ReporterWorld, path: str) -> Sent:
    category = draw(CATEGORY)
    valid = valid_fields(world, category)
    if path == "/report/receipt":
        valid["receipt_token"] = draw(receipt_token(world))
    names = field_names(world, path, category)
    parts = draw_parts(draw, names, valid, GATES)
    if path in WITH_FILES:
        parts += draw(UPLOADS)
    url = path.replace("{city}", draw(CITY)) + draw(LANG)
    return Sent(path, "POST", url, body(parts, draw(ENCODING)))


def reporter_requests(world: ReporterWorld) -> list[tuple[str, Callable[[st.DrawFn], Sent]]]:
    valid_path = {"city": "raytown", "path": "hotline.css"}
    found: list[tuple[str, Callable[[st.DrawFn], Sent]]] = []
    for method, path in family_routes("reporter"):
        if method == "GET":
            found.append((path, lambda draw, p=path: draw_get(draw, p, valid_path)))
        else:
            found.append((path, lambda draw, p=path: draw_post(draw, world, p)))
    everything = sorted({path for _method, path, _route in route_table()})

    def odd_method(draw: st.DrawFn) -> Sent:
        """Any route of the app asked with a method it does not take (or one no server knows)."""
        sent = draw_get(draw, draw(st.sampled_from(everything)), {"city": "raytown"})
        return replace(sent, route="(any route)", method=draw(st.sampled_from(ODD_METHODS)))

    return [*found, ("(any route)", odd_method)]


@pytest.fixture
def world(seeded) -> Iterator[ReporterWorld]:
    # The throttles count every client as one here: lifted, so the fuzzing reaches the handlers behind them.
    settings = replace(seeded.settings, reports_per_client_per_hour=10**6, reports_per_city_per_hour=10**6,
                       report_key_attempts_per_10_minutes=10**6)
    with TestClient(create_app(settings, seeded.database), base_url="https://testserver",
                    raise_server_exceptions=False) as client:
        yield ReporterWorld(seeded, settings, client)


def test_reporter_pages_survive_hostile_input(world, database):
    requests = reporter_requests(world)
    assert {path for path, _ in requests} >= set(POST_FORMS)

    @fuzz_settings(12 if database.is_sqlite else 4)
    @given(example([make for _path, make in requests]))
    def run(sent: list[Sent]) -> None:
        problems = []
        for one in sent:
            problems += judge(world.database, world.client, one)[1]
        assert problems == [], "\n".join(problems)

    run()

    # Then a NUL in every field, path parameter and query, one at a time (tests/hotline/fuzz_support.py).
    problems, valid_path = [], {"city": "raytown", "path": "hotline.css"}
    for method, path in family_routes("reporter"):
        urls = list(nul_urls(path, valid_path))
        if method == "GET":
            sent = [Sent(path, "GET", url) for url in urls]
        else:
            names, valid = field_names(world, path, "safety"), valid_fields(world, "safety")
            sent = [Sent(path, "POST", fill(path, valid_path), body(parts, encoding))
                    for _name, parts in nul_forms(names, valid) for encoding in ("urlencoded", "multipart")]
            sent += [Sent(path, "POST", url, body(valid_parts(names, valid), "urlencoded")) for url in urls]
        for one in sent:
            problems += judge(world.database, world.client, one)[1]
    assert problems == [], "\n".join(problems)
