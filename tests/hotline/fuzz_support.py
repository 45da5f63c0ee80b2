"""What the fuzz tests share: hostile values, request bodies built byte by byte (so they can
carry invalid UTF-8, NUL bytes and lone surrogates), the row count of every table, and the checks every answer
must pass: never a 500, never a hostile fragment rendered unescaped, nothing stored when the input is refused.

``HOTLINE_FUZZ_EXAMPLES`` raises the number of examples of every fuzz test (each one's default is kept small
for CI); run it once with a large number before changing what a form takes.
"""

from __future__ import annotations

import functools
import os
import re
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import quote_from_bytes

import sqlalchemy
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from sqlmodel import SQLModel
from starlette.routing import Mount, Route

from hotline.app import routes
from hotline.web.demo_phone import demo_routes
from intake.db import Database

# Hostile fragments: each must only ever reach a page escaped. ``MARKERS`` are the raw forms that may never
# appear in an HTML or XML answer (their escaped forms, &lt;script&gt; and so on, may).
SCRIPT = "<script>alert(1)</script>"
IMAGE = "\"'><img src=x onerror=alert(2)>"
SVG = "<svg/onload=alert(3)>"
ATTRIBUTE = "\" autofocus onfocus=\"alert(4)"
MARKERS = ("<script>alert(", "<img src=x onerror=", "<svg/onload=", "\" autofocus onfocus=\"alert(")
SQL = ("'; DROP TABLE cases; --", "' OR '1'='1", "1; DELETE FROM audit_entry", "\\'; SELECT pg_sleep(5); --",
       "%' UNION SELECT password_record FROM reviewer --")
TRAVERSAL = ("../../etc/passwd", "..\\..\\windows\\win.ini", "/etc/shadow", "....//....//x", "..%2f..%2fx",
             "a\x00.png", "C:\\x\\..\\y.pdf", "\\\\server\\share\\x", "~/.ssh/id_rsa", "%00", "..", ".")
NUMBERS = (str(10**400), "-" + str(10**400), "-1", "0", "-0", "1e309", "NaN", "inf", "9" * 40, "2147483648",
           "9223372036854775808", "0x10", "1.5", "+5", " 7 ", "00000000000000000001",
           # Digits to str.isdigit() that int() refuses or reads differently: fullwidth, Arabic-Indic, superscript.
           "\uff11\uff12\uff13", "\u0663", "\u00b2", "1\u00b2", "\u2460", "\u2075")
ODD = ("", " ", "\x00", "a\x00b", "\ufeff", "\u202e", "\r\n", "%", "%s%n", "%(x)s", "{0}", "{{ 7*7 }}",
       "${7*7}", "\ud800", "a\udfffb", "null", "undefined", "[]", "{}", "true", "\\", "'", '"', "&amp;", "&#0;")
FRAGMENTS = (SCRIPT, IMAGE, SVG, ATTRIBUTE, *SQL, *TRAVERSAL, *NUMBERS, *ODD)
INVALID_UTF8 = (b"\xff", b"\xc3\x28", b"\xa0\xa1", b"\xe2\x28\xa1", b"\xf0\x28\x8c\xbc", b"\xed\xa0\x80",
                b"\xc0\xaf", b"\xf8\x88\x80\x80\x80", b"caf\xe9", b"\x00\xff\x00")
# Oversized values: the body limit (2 MB of form text) turns the larger ones away whole, the smaller ones reach
# the handlers and their own length checks.
OVERSIZED = (b"A" * 1_000_000, ("<script>alert(" + "x" * 1_500_000 + ")</script>").encode(), b"9" * 3_000_000,
             b"\xff" * 1_200_000, b"B" * 5_000_000)


def examples(default: int) -> int:
    return int(os.environ.get("HOTLINE_FUZZ_EXAMPLES", "0")) or default


def fuzz_settings(default: int) -> settings:
    # No shrinking: each example sends dozens of requests, and the failure message already names each bad one.
    return settings(max_examples=examples(default), deadline=None, derandomize=True, database=None,
                    phases=[Phase.explicit, Phase.reuse, Phase.generate],
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large, HealthCheck.large_base_example])


def encode(value: str) -> bytes:
    """UTF-8, except that a lone surrogate is written as its (invalid) three bytes."""
    return value.encode("utf-8", "surrogatepass")


def _hostile_text() -> st.SearchStrategy[str]:
    """A string as a browser or a script might send one: a fragment, random text, or both mixed."""
    random_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
    return st.one_of(
        st.sampled_from(FRAGMENTS),
        random_text,
        st.tuples(random_text, st.sampled_from(FRAGMENTS), random_text).map("".join),
    )


def _hostile_bytes() -> st.SearchStrategy[bytes]:
    """A field's raw bytes: hostile text (lone surrogates made invalid UTF-8), invalid UTF-8, random bytes."""
    return st.one_of(
        HOSTILE_TEXT.map(encode),
        st.tuples(HOSTILE_TEXT.map(encode), st.sampled_from(INVALID_UTF8)).map(b"".join),
        st.binary(max_size=30),
    )


# Built once: making strategies afresh for every draw costs more than the requests themselves.
HOSTILE_TEXT = _hostile_text()
HOSTILE_BYTES = _hostile_bytes()
SMALL_HOSTILE_BYTES = st.one_of(HOSTILE_TEXT.map(encode), st.binary(max_size=20))


# Inserted into a valid value: what makes a value that passes every check but one (a NUL that PostgreSQL cannot
# compare, a byte that is not UTF-8, markup, a quote).
MUTATIONS = st.sampled_from((b"\x00", b"\xff", b"\xed\xa0\x80", SCRIPT.encode(), IMAGE.encode(), b"'", b"%00",
                             "\u00b2".encode(), b"\r\n", b" "))


# Values a field might nearly accept: the edges of its range and look-alikes of its choices.
NEAR_VALID_FIELDS: dict[str, tuple[str, ...]] = {
    "threshold": ("4", "51", "50", "00005"), "invitation_days": ("0", "366", "365", "1"),
    "last_day": ("2026-02-30", "0001-01-01", "9999-12-31", "2026-13-01", "26-1-1"),
    "quarter": ("2026-Q0", "2026-Q5", "0000-Q1", "9999-Q4", "2026Q1"), "status": ("closed", "new", "CLOSED"),
    "outcome": ("substantiated", "unsubstantiated", "x"), "assignee": ("0", "999999999", "-1"),
    "reviewer": ("0", "999999999"), "group": ("0", "999999999"), "role": ("admin", "auditor", "coordinator"),
    "mode": ("confidential", "Anonymous"), "category": ("fraud-waste-abuse", "SAFETY"),
    "channel": ("phone", "web", "letter", "walk-in "), "subsection": ("a", "(b)(1)", "x"), "confirm": ("0", "on"),
    "member": ("0", "2"), "code": ("000000", "999999", "12345", "1234567"),
    "report_key": ("0" * 20, "1" * 19, "1" * 21, "1111 1111 1111 1111 1111"), "identity": ("anonymous", "GIVE"),
    "format": ("TEXT", "pdf"), "exclude": ("0", "999999999999", "-1"), "lang": ("ES", "fr", "es "),
    "separation_type": ("involuntary", "retirement", "x"), "department": ("police", "x"),
    "Digits": ("0", "*", "#", "11", "99", "9" * 20), "RecordingDuration": ("0", "-1", "14401", "3.5"),
    "RecordingStatus": ("in-progress", "deleted"), "CallStatus": ("busy", "canceled", "ringing", "queued"),
    "To": ("+18165550199", "+1816555011", "18165550111", "+1 816 555 0111"),
}


def draw_value(draw: st.DrawFn, valid: str | bytes, valid_share: int = 1, near: Sequence[str] = ()) -> bytes:
    """The valid value (so the handler gets past its first checks; ``valid_share`` in ``valid_share + 1``
    times), or else one nearly valid (from ``near``), the valid one with a hostile piece inserted, or a hostile
    one."""
    good = valid if isinstance(valid, bytes) else encode(valid)
    # Hypothesis tries small numbers first: 0 .. valid_share - 1 are the valid value, the last one is not.
    if draw(st.integers(0, valid_share)) < valid_share:
        return good
    kind = draw(st.integers(0, 2))
    if kind == 0 and near:
        return encode(draw(st.sampled_from(near)))
    if kind == 1:
        at = draw(st.integers(0, len(good)))
        return good[:at] + draw(MUTATIONS) + good[at:]
    return draw(HOSTILE_BYTES)


# --- request bodies ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Part:
    name: bytes
    value: bytes
    filename: bytes | None = None
    content_type: bytes | None = None


@functools.lru_cache(maxsize=len(OVERSIZED))
def _quoted_big(value: bytes) -> bytes:
    return quote_from_bytes(value).encode()


def quoted(value: bytes) -> bytes:
    # The oversized values are the same few objects every time: quoted once (a 5 MB quote takes a while).
    return _quoted_big(value) if len(value) > 100_000 else quote_from_bytes(value).encode()


def urlencoded(parts: Sequence[Part], *, raw: bool = False) -> bytes:
    if raw:  # not percent-encoded at all: stray & = % and invalid bytes as they are
        return b"&".join(part.name + b"=" + part.value for part in parts)
    return b"&".join(quoted(part.name) + b"=" + quoted(part.value) for part in parts)


def multipart(parts: Sequence[Part], boundary: bytes) -> bytes:
    chunks = []
    for part in parts:
        disposition = b'form-data; name="' + part.name + b'"'
        if part.filename is not None:
            disposition += b'; filename="' + part.filename + b'"'
        head = b"Content-Disposition: " + disposition + b"\r\n"
        if part.content_type is not None:
            head += b"Content-Type: " + part.content_type + b"\r\n"
        chunks.append(b"--" + boundary + b"\r\n" + head + b"\r\n" + part.value + b"\r\n")
    return b"".join(chunks) + b"--" + boundary + b"--\r\n"


ENCODINGS = ("urlencoded", "urlencoded", "urlencoded", "urlencoded", "multipart", "multipart", "multipart",
             "raw", "json", "text", "no-type", "bad-boundary", "truncated-multipart")


@dataclass(frozen=True)
class Body:
    content: bytes
    content_type: str | None

    @property
    def headers(self) -> dict[str, str]:
        return {"content-type": self.content_type} if self.content_type is not None else {}


def body(parts: Sequence[Part], encoding: str) -> Body:
    boundary = secrets.token_hex(12).encode()
    if encoding == "urlencoded" and not any(part.filename is not None for part in parts):
        return Body(urlencoded(parts), "application/x-www-form-urlencoded")
    if encoding in ("urlencoded", "multipart"):
        return Body(multipart(parts, boundary), f"multipart/form-data; boundary={boundary.decode()}")
    if encoding == "raw":
        return Body(urlencoded(parts, raw=True), "application/x-www-form-urlencoded")
    if encoding == "json":
        return Body(b'{"' + b'": 1, "'.join(part.name for part in parts) + b'": [}', "application/json")
    if encoding == "text":
        return Body(urlencoded(parts), "text/plain; charset=utf-8")
    if encoding == "no-type":
        return Body(urlencoded(parts), None)
    if encoding == "bad-boundary":
        return Body(multipart(parts, boundary), "multipart/form-data; boundary=" + "x" * 300)
    cut = multipart(parts, boundary)[: -len(boundary) // 2 - 7]  # ends inside the closing boundary
    return Body(cut, f"multipart/form-data; boundary={boundary.decode()}")


SHAPES = st.sampled_from(("once", "once", "once", "once", "once", "once", "once", "once", "missing", "twice"))
ENCODING = st.sampled_from(ENCODINGS)
STRAY_COUNT = st.integers(0, 2)
# How many valid values to one hostile one, chosen per request: from half the fields hostile to one in thirty-two,
# so some requests get deep into a handler with one bad field, or none, while others are mostly junk.
VALID_SHARE = st.sampled_from((1, 3, 7, 31))


def draw_parts(draw: st.DrawFn, names: Sequence[str], valid: Mapping[str, str | bytes],
               gates: Iterable[str] = ()) -> list[Part]:
    """The named fields, each valid or hostile, missing or sent twice, and a few stray fields besides. A field in
    ``gates`` (a token checked first) is valid at least three times in four, so most requests get past it."""
    gates = frozenset(gates)
    share = draw(VALID_SHARE)
    # One request in ten carries an oversized value: enough to reach every limit, few enough to keep runs short.
    oversized = draw(st.integers(0, 10 * len(names) - 1)) - 9 * len(names) if names else -1
    parts: list[Part] = []
    for index, name in enumerate(names):
        shape = draw(SHAPES) if share < 31 else "once"  # the nearly valid requests send each field once
        for _ in range({"once": 1, "twice": 2, "missing": 0}[shape]):
            value = draw_value(draw, valid.get(name, ""), max(share, 3) if name in gates else share,
                               NEAR_VALID_FIELDS.get(name, ()))
            parts.append(Part(encode(name), draw(st.sampled_from(OVERSIZED)) if index == oversized else value))
    for _ in range(draw(STRAY_COUNT)):
        parts.append(Part(draw(HOSTILE_TEXT).encode("utf-8", "surrogatepass"), draw(HOSTILE_BYTES)))
    return parts


QUERY_SHAPES = st.sampled_from((0, 0, 1, 2))
QUERY_VALUE = st.one_of(HOSTILE_TEXT.map(encode), st.binary(max_size=20), st.just(b"9" * 2_000))
MAX_QUERY_CHARS = 40_000  # a URL holds at most 64 kB (httpx)


def draw_query(draw: st.DrawFn, names: Iterable[str], valid: Mapping[str, str]) -> str:
    """A raw, percent-encoded query: known parameters (valid or hostile, missing or repeated), stray ones, and
    invalid UTF-8 once percent-decoded."""
    pairs = []
    for name in names:
        for _ in range(draw(QUERY_SHAPES)):
            choice = draw(st.integers(0, 2))
            value = (encode(valid.get(name, "")) if choice == 0 else draw(QUERY_VALUE) if choice == 1 else
                     encode(draw(st.sampled_from(NEAR_VALID_QUERY.get(name, ("",))))))
            pairs.append(quote_from_bytes(encode(name)) + "=" + quote_from_bytes(value))
    for _ in range(draw(STRAY_COUNT)):
        pairs.append(quote_from_bytes(draw(SMALL_HOSTILE_BYTES)) + "=" + quote_from_bytes(draw(SMALL_HOSTILE_BYTES)))
    return "&".join(pairs)[:MAX_QUERY_CHARS].rpartition("&")[0] if sum(map(len, pairs)) > MAX_QUERY_CHARS \
        else "&".join(pairs)


PATH_SEGMENT = st.one_of(HOSTILE_TEXT.map(encode), st.binary(min_size=1, max_size=20),
                         st.sampled_from((b"9" * 500, b"A" * 5000, str(10**400).encode()))).map(
    lambda value: quote_from_bytes(value, safe=b"") or "x")


# --- the route table -----------------------------------------------------------------------------------------

def route_table() -> list[tuple[str, str, Route | Mount]]:
    """(method, path, route) of every route of the app, the demo's too; a mount is one entry with method "GET"."""
    table = []
    for route in [*routes(), *demo_routes()]:
        if isinstance(route, Route):
            for method in sorted((route.methods or set()) - {"HEAD"}):
                table.append((method, route.path, route))
        else:
            assert isinstance(route, Mount)
            table.append(("GET", route.path + "/{path}", route))
    return table


def path_names(path: str) -> list[str]:
    return re.findall(r"{(\w+)}", path)


def family(path: str) -> str:
    """Which fuzz test covers a route: tests/hotline/test_fuzz_<family>.py."""
    if path.startswith("/voice/"):
        return "voice"
    if path.startswith("/exit"):
        return "exit"
    if path.startswith("/demo/"):
        return "demo"
    if path.startswith("/review/"):
        return "console"
    return "reporter"


def family_routes(name: str) -> list[tuple[str, str]]:
    return [(method, path) for method, path, _route in route_table() if family(path) == name]


# --- what the database holds ------------------------------------------------------------------------------------

def _count_query() -> sqlalchemy.TextClause:
    selects = [f"SELECT '{table.name}', count(*) FROM \"{table.name}\"" for table in SQLModel.metadata.sorted_tables]
    selects.append("SELECT 'audit_entry.max_id', coalesce(max(id), 0) FROM audit_entry")
    return sqlalchemy.text(" UNION ALL ".join(selects))


COUNT_QUERY = _count_query()


def count_rows(database: Database) -> dict[str, int]:
    """The number of rows of every table the models define (and the last audit entry's id), in one query."""
    with database.engine.connect() as connection:
        return {name: rows for name, rows in connection.execute(COUNT_QUERY)}


def new_audit_actions(database: Database, after_id: int) -> list[str]:
    with database.engine.connect() as connection:
        return list(connection.execute(sqlalchemy.text("SELECT action FROM audit_entry WHERE id > :id ORDER BY id"),
                                       {"id": after_id}).scalars())


# Audit entries a refused request may still add: they record that someone looked or was turned away, and hold
# nothing the request carried (the service audits reads and refusals by design, docs/design.md#audit-log).
OBSERVATIONS = frozenset({"case.read", "case.access_denied", "case.item_opened", "case.opened_by_reporter",
                          "audit.viewed", "exit.access_denied", "exit.analytics_read", "exit.response_read",
                          "reviewer.sign_in_failed", "reviewer.sign_in_delayed"})
# Tables a refused request may still change: the shared attempt counters, which count refused sign-ins by design
# (docs/design.md#limits-an-attacker-cannot-turn-against-users) and hold only a keyed hash of what they count.
COUNTERS = frozenset({"attempt_counter"})


@dataclass
class Snapshot:
    database: Database
    before: dict[str, int] = field(default_factory=dict)

    def __enter__(self) -> Snapshot:
        self.before = count_rows(self.database)
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def changes(self) -> dict[str, tuple[int, int]]:
        after = count_rows(self.database)
        return {name: (self.before[name], after[name]) for name in after
                if name != "audit_entry.max_id" and after[name] != self.before.get(name)}

    def stored_on_refusal(self) -> list[str]:
        """What a refused request changed beyond the audit of a look or a refusal ([] when nothing)."""
        changes = self.changes()
        found = [f"{name}: {before} -> {after}" for name, (before, after) in changes.items()
                 if name != "audit_entry" and name not in COUNTERS]
        if "audit_entry" in changes:
            actions = new_audit_actions(self.database, self.before["audit_entry.max_id"])
            found += [f"audit entry {action}" for action in actions if action not in OBSERVATIONS]
        return found


# --- checks on every answer ------------------------------------------------------------------------------------

def refused(response: object) -> bool:
    """A rejection: a 4xx, or the form shown again with its problems."""
    status = response.status_code  # type: ignore[attr-defined]
    if status >= 400:
        return True
    text = response.text  # type: ignore[attr-defined]
    if 'id="report-key"' in text:  # a receipt: accepted, even when it carries an alert (call 911 now)
        return False
    return status == 200 and ('role="alert"' in text or 'class="problem"' in text)


def unescaped(text: str) -> list[str]:
    return [marker for marker in MARKERS if marker in text]


def check_answer(response: object, what: str) -> list[str]:
    """Problems with one answer: a 500, an unescaped fragment in HTML or XML, XML that does not parse."""
    status = response.status_code  # type: ignore[attr-defined]
    problems = []
    # The one 5xx that is an answer, not a failure: /readyz on a database without migration history.
    if status >= 500 and not (status == 503 and "(/readyz" in what):
        problems.append(f"{what}: {status}")
    content_type = response.headers.get("content-type", "")  # type: ignore[attr-defined]
    if content_type.startswith(("text/html", "application/xml", "text/xml", "image/svg")):
        text = response.text  # type: ignore[attr-defined]
        problems += [f"{what}: unescaped {marker!r}" for marker in unescaped(text)]
        if "xml" in content_type:
            try:
                ET.fromstring(response.content)  # type: ignore[attr-defined]
            except ET.ParseError as error:
                problems.append(f"{what}: TwiML does not parse ({error})")
    return problems


def source_names(patterns: Iterable[str], roots: Iterable[Path]) -> set[str]:
    """Every name the code reads with one of ``patterns`` (a regex with one group), under ``roots``."""
    found: set[str] = set()
    for root in roots:
        for path in [root] if root.is_file() else root.rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            for pattern in patterns:
                found.update(re.findall(pattern, text))
    return found


# --- sending and judging -----------------------------------------------------------------------------------------

# Every query parameter the app reads (tests/hotline/test_fuzz_routes.py checks the code reads no other); every
# GET route is fuzzed with all of them, so a page that starts reading one is already covered.
QUERY_NAMES = ("lang", "category", "done", "page", "action", "quarter", "split", "year", "status", "channel",
               "assignee", "group_id", "overdue", "sort", "state", "code", "error")
VALID_QUERY = {"lang": "es", "category": "safety", "done": "reply", "page": "2", "action": "case.read",
               "quarter": "2026-Q1", "split": "department", "year": "2026", "status": "new", "channel": "web",
               "assignee": "me", "group_id": "1", "overdue": "1", "sort": "due", "state": "x" * 32,
               "code": "RgPJ7WavA8Mfsp-iTwp3fLsoosSuHymgu4PQ7WqAwBG", "error": "access_denied"}
# Values each parameter might nearly accept: the edges of its range and its look-alikes.
NEAR_VALID_QUERY = {
    "lang": ("ES", "es ", "en-US", "fr", "es\u200b"), "category": ("SAFETY", "safety ", "fraud-waste-abuse"),
    "done": ("password", "totp", "added", "note", "__class__"), "page": ("0", "999999999", "1000000000", "-1"),
    "action": ("%", "case.%", "*", "audit.viewed"), "quarter": ("2026-Q0", "2026-Q5", "0000-Q1", "9999-Q4", "2026Q1"),
    "split": ("__class__", "tenure_band", "main_reason", "separation_type"), "year": ("0000", "1969", "9999"),
    "status": ("closed", "CLOSED", "new "), "channel": ("phone", "walk-in", "web-"), "assignee": ("none", "0", "-1"),
    "group_id": ("0", "999999999"), "overdue": ("on", "true", "0"), "sort": ("received", "-due", "due "),
    "state": ("", "%00", "a" * 4000), "code": ("", " ", "x" * 4000), "error": ("", "login_required"),
}


def draw_get(draw: st.DrawFn, path: str, valid_path: Mapping[str, str]) -> Sent:
    """A GET of ``path`` with each path parameter valid or hostile, and a hostile query of every parameter the
    app reads."""
    url = path
    for name in path_names(path):
        chosen = (quote_from_bytes(encode(valid_path.get(name, "x")), safe=b"/") if draw(st.integers(0, 2)) < 2
                  else draw(PATH_SEGMENT))
        url = url.replace("{" + name + "}", chosen)
    query = draw_query(draw, QUERY_NAMES, VALID_QUERY)
    return Sent(path, "GET", url + ("?" + query if query else ""))


@dataclass(frozen=True)
class Sent:
    route: str
    method: str
    url: str
    body: Body | None = None
    persona: str = "anonymous"  # who sends it, in the console's tests
    headers: tuple[tuple[str, str], ...] = ()  # besides the content type
    genuine: bool = False  # for the phone line: signed by Twilio, with a call state the app sealed

    def _repr_pretty_(self, printer: object, cycle: bool) -> None:  # how Hypothesis prints a failing example
        printer.text(self.describe())  # type: ignore[attr-defined]

    def describe(self) -> str:
        size = f", {len(self.body.content)} bytes as {self.body.content_type}" if self.body else ""
        return f"{self.method} {self.url[:200]!r} ({self.route}{size})"


def example(makers: Sequence[Callable[[st.DrawFn], Sent]]) -> st.SearchStrategy[list[Sent]]:
    """One request to each route of a family: drawn together, so each example covers every route."""

    @st.composite
    def build(draw: st.DrawFn) -> list[Sent]:
        return [make(draw) for make in makers]

    return build()


def send(client: object, sent: Sent) -> object:
    if sent.body is None:
        return client.request(sent.method, sent.url, headers=dict(sent.headers),  # type: ignore[attr-defined]
                              follow_redirects=False)
    return client.request(sent.method, sent.url, content=sent.body.content,  # type: ignore[attr-defined]
                          headers={**sent.body.headers, **dict(sent.headers)}, follow_redirects=False)


def judge(database: Database, client: object, sent: Sent) -> tuple[object, list[str]]:
    """Send one request; the problems with its answer and with what it left in the database."""
    with Snapshot(database) as snapshot:
        response = send(client, sent)
        problems = check_answer(response, sent.describe())
        if refused(response):
            problems += [f"{sent.describe()}: refused ({response.status_code}) yet stored {change}"  # type: ignore[attr-defined]
                         for change in snapshot.stored_on_refusal()]
    return response, problems


# --- the NUL sweep -----------------------------------------------------------------------------------------------
# PostgreSQL can neither store nor compare a NUL character (SQLite can), so a NUL that reaches a query fails only
# there. Random examples find that only now and then; these sweeps put one in every field, path parameter and
# query, one at a time, with everything else valid, on both databases.

def valid_parts(names: Sequence[str], valid: Mapping[str, str | bytes]) -> list[Part]:
    return [Part(encode(name), value if isinstance(value, bytes) else encode(value))
            for name, value in ((name, valid.get(name, "")) for name in names)]


def nul_forms(names: Sequence[str], valid: Mapping[str, str | bytes]) -> Iterator[tuple[str, list[Part]]]:
    """For each field: the form with every field valid, and that one with a NUL character inside."""
    for name in names:
        yield name, [replace(part, value=part.value[:1] + b"\x00" + part.value[1:]) if part.name == encode(name)
                     else part for part in valid_parts(names, valid)]


def fill(path: str, valid_path: Mapping[str, str], nul_in: str | None = None) -> str:
    """``path`` with its parameters valid (and, if named, one of them with a NUL after its value)."""
    for name in path_names(path):
        value = quote_from_bytes(encode(valid_path.get(name, "x")), safe=b"/")
        path = path.replace("{" + name + "}", value + ("%00" if name == nul_in else ""))
    return path


def nul_urls(path: str, valid_path: Mapping[str, str]) -> Iterator[str]:
    """``path`` with a NUL in each path parameter in turn, then with one in the query."""
    for name in path_names(path):
        yield fill(path, valid_path, nul_in=name)
    yield fill(path, valid_path) + "?lang=e%00s&page=1%00"
