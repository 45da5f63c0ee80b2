"""Every flow of the service, walked against the real served process for the confidentiality scan:
each with its own marker, a fake client address and user agent on every request, and a fake caller number and
caller fields on every phone webhook. Each flow checks that its markers reached the people meant to read them, so
a flow that silently stored nothing cannot pass the scan by accident."""

from __future__ import annotations

import io
import re
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import httpx2 as httpx
import pyotp
import pypdf
from PIL import Image
from pypdf import PdfWriter
from twilio.request_validator import RequestValidator

from hotline.bench.fake_twilio import FakeTwilio
from tests.hotline.voice.twilio_calls import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL, Twiml, spoken_key, voiced_wav
from tests.intake.accounts.soft_passkey import SoftPasskey, b64url

ADDRESS = "203.0.113.77"  # TEST-NET-3 (RFC 5737)
CALLER_NUMBER = "+15555550123"
PHONE_LINE = "+18165550111"
EXIT_LINE = "+18165550133"


@dataclass
class Secrets:
    """Every value the scan must not find, by name; the markers are unique to one run."""

    values: dict[str, str | bytes] = field(default_factory=dict)

    def marker(self, name: str) -> str:
        self.values[name] = f"MARKER-{uuid.uuid4().hex}"
        return self.values[name]

    def add(self, name: str, value: str) -> str:
        self.values[name] = value
        return value

    def add_bytes(self, name: str, value: bytes) -> bytes:
        self.values[name] = value
        return value


def hostile_headers(secrets: Secrets) -> dict[str, str]:
    """What a browser behind proxies sends about itself. The scan's server trusts X-Forwarded-For from 127.0.0.1
    (HOTLINE_TRUSTED_PROXIES), so to the app the client's address is ADDRESS itself."""
    agent = secrets.add("user agent", f"Mozilla/5.0 (ScanAgent/{uuid.uuid4().hex})")
    return {"X-Forwarded-For": ADDRESS, "X-Real-IP": ADDRESS, "Forwarded": f"for={ADDRESS};proto=https",
            "True-Client-IP": ADDRESS, "CF-Connecting-IP": ADDRESS, "X-Forwarded-Proto": "https",
            "User-Agent": agent}


def caller_fields(secrets: Secrets) -> dict[str, str]:
    """Everything Twilio sends about a caller; the number is fixed, the rest are markers."""
    fields = {"From": CALLER_NUMBER, "Caller": CALLER_NUMBER, "ForwardedFrom": CALLER_NUMBER}
    for name in ("CallerName", "FromCity", "FromState", "FromZip", "FromCountry", "CallerCity", "CallerState",
                 "CallerZip", "CallerCountry"):
        fields[name] = secrets.marker(f"caller field {name}")
    for form in (CALLER_NUMBER, CALLER_NUMBER[1:], CALLER_NUMBER[2:], "555-555-0123", "(555) 555-0123"):
        secrets.add(f"caller number {form}", form)
    return fields


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no hidden field {name}"
    return match.group(1)


def report_key(page: str) -> str:
    match = re.search(r'id="report-key"><strong>([\d ]+)</strong>', page)
    assert match, page
    return match.group(1).replace(" ", "")


def jpeg_with_exif(marker: str) -> bytes:
    image = Image.new("RGB", (32, 24), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = marker  # Make
    exif[0x010E] = marker  # ImageDescription
    exif[0xA431] = marker  # BodySerialNumber
    exif[0x8825] = {1: "N", 2: (38.0, 57.0, 12.5), 3: "W", 4: (94.0, 21.0, 3.2)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=marker.encode())
    return out.getvalue()


def pdf_with_metadata(marker: str) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Author": marker, "/Title": marker, "/Subject": marker})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@dataclass
class Site:
    base: str
    headers: dict[str, str]
    fake: FakeTwilio
    caller: dict[str, str]

    def browser(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, headers=self.headers, follow_redirects=True, timeout=60)


@dataclass
class WebReport:
    key: str
    narrative: str
    passage: str  # the part of the narrative the reviewer redacts
    identity_name: str


def report_on_the_web(site: Site, secrets: Secrets) -> WebReport:
    narrative, passage = secrets.marker("narrative"), secrets.marker("narrative passage redacted later")
    image_marker, pdf_marker, text_marker = (secrets.marker("image EXIF"), secrets.marker("PDF metadata"),
                                            secrets.marker("text file content"))
    files = [
        ("attachments", (secrets.marker("image file name") + ".jpg", jpeg_with_exif(image_marker), "image/jpeg")),
        ("attachments", (secrets.marker("PDF file name") + ".pdf", pdf_with_metadata(pdf_marker),
                         "application/pdf")),
        ("attachments", (secrets.marker("text file name") + ".txt", text_marker.encode(), "text/plain")),
    ]
    name, contact = secrets.marker("identity name"), secrets.marker("identity contact")
    with site.browser() as reporter:
        assert "Raytown" in reporter.get("/").text
        form = reporter.get("/report/raytown?category=safety").text
        response = reporter.post("/report/raytown", data={
            "form_token": hidden(form, "form_token"), "category": "safety",
            "narrative": f"{narrative} and then {passage} at the depot.",
            "q-where": secrets.marker("answer where"), "q-who": secrets.marker("answer who"),
            "q-reported_before": "yes", "q-reported_to": secrets.marker("answer reported to"),
            "identity": "give", "identity_name": name, "identity_contact": contact}, files=files)
        assert response.status_code == 200, response.text
        assert "hidden details were removed" in response.text
        key = report_key(response.text)
        receipt = reporter.post("/report/receipt", data={"receipt_token": hidden(response.text, "receipt_token"),
                                                         "format": "text"})
        assert " ".join(key[i:i + 4] for i in range(0, 20, 4)) in receipt.text
    return WebReport(key, narrative, passage, name)


def follow_up_on_the_web(site: Site, secrets: Secrets, key: str, expect: list[str]) -> None:
    """Open the report with its key (the reviewer's reply and question must be there), and answer with a
    message and a file."""
    with site.browser() as reporter:
        opened = reporter.post("/follow-up", data={"form_token": hidden(reporter.get("/follow-up").text,
                                                                        "form_token"), "report_key": key})
        assert opened.status_code == 200 and all(text in opened.text for text in expect), opened.text
        sent = reporter.post("/follow-up/message", data={
            "access_token": hidden(opened.text, "access_token"), "message": secrets.marker("follow-up message")},
            files=[("attachments", (secrets.marker("follow-up file name") + ".txt",
                                    secrets.marker("follow-up file content").encode(), "text/plain"))])
        assert sent.status_code == 200 and "Your message was sent." in sent.text, sent.text


def rejected_and_stray_requests(site: Site, secrets: Secrets) -> None:
    """What is refused must leave nothing either: a report whose name holds a control character (with a file),
    a bot filling the honeypot, a wrong report key, and addresses and query strings carrying markers."""
    with site.browser() as visitor:
        form = visitor.get("/report/raytown?category=safety").text
        refused = visitor.post("/report/raytown", data={
            "form_token": hidden(form, "form_token"), "category": "safety",
            "narrative": secrets.marker("refused report narrative"), "identity": "give", "in_danger": "yes",
            "identity_name": secrets.marker("refused report name") + "\u0007"},
            files=[("attachments", (secrets.marker("refused file name") + ".txt",
                                    secrets.marker("refused file content").encode(), "text/plain"))])
        assert refused.status_code == 400 and "Attach your files again" in refused.text
        form = visitor.get("/report/raytown?category=safety").text
        bot = visitor.post("/report/raytown", data={
            "form_token": hidden(form, "form_token"), "category": "safety",
            "narrative": secrets.marker("honeypot narrative"), "website": secrets.marker("honeypot field")})
        assert bot.status_code == 400 and "meant to stay empty" in bot.text
        wrong = visitor.post("/follow-up", data={"form_token": hidden(visitor.get("/follow-up").text, "form_token"),
                                                 "report_key": "1" * 20})
        assert wrong.status_code == 400
        assert visitor.get("/nowhere/" + secrets.marker("path of a missing page")).status_code == 404
        query = secrets.marker("query string")
        assert visitor.get(f"/report/raytown?category=safety&narrative={query}&q={query}").status_code == 200


class Call:
    """One phone call as Twilio makes it: every webhook signed for the public URL, with the caller's fields."""

    def __init__(self, site: Site, http: httpx.Client, to: str = PHONE_LINE) -> None:
        self.site, self.http, self.to = site, http, to
        self.sid = site.fake.new_call()

    def post(self, address: str, **extra: str) -> Twiml:
        absolute = address if address.startswith("http") else PUBLIC_URL + address
        params = {"AccountSid": ACCOUNT_SID, "CallSid": self.sid, "To": self.to, "Called": self.to,
                  "Direction": "inbound", "CallStatus": "in-progress", **self.site.caller, **extra}
        parts = urlsplit(absolute)
        signature = RequestValidator(AUTH_TOKEN).compute_signature(absolute, params)
        response = self.http.post(parts.path + ("?" + parts.query if parts.query else ""), data=params,
                                  headers={"X-Twilio-Signature": signature})
        assert response.status_code == 200, response.text
        return Twiml.of(response)

    def press(self, twiml: Twiml, digits: str) -> Twiml:
        return self.post(twiml.gather().attrib["action"], Digits=digits)

    def record(self, prompt: Twiml, seed: int) -> tuple[Twiml, str]:
        """Speak, press #; Twilio then calls the action and the recording-status callback."""
        sid = self.site.fake.add_recording(self.sid, voiced_wav(seconds=0.5, seed=seed))
        url = self.site.fake.recording_url(sid)
        answer = self.post(prompt.record().attrib["action"], RecordingSid=sid, RecordingUrl=url,
                           RecordingDuration="1", Digits="#")
        self.post(prompt.record().attrib["recordingStatusCallback"], RecordingSid=sid, RecordingUrl=url,
                  RecordingStatus="completed", RecordingDuration="1", RecordingChannels="1",
                  RecordingSource="RecordVerb")
        return answer, sid

    def hang_up(self) -> None:
        self.site.fake.end_call(self.sid)
        self.post("/voice/call-status", CallStatus="completed", CallDuration="40")


def report_by_phone(site: Site, secrets: Secrets) -> str:
    with site.browser() as http:
        call = Call(site, http)
        menu = call.press(call.post("/voice/incoming"), "1")
        prompt = call.press(call.press(menu, "1"), "4")  # a new report; safety
        answer, _sid = call.record(prompt, seed=11)
        key = spoken_key(answer)
        assert len(key) == 20
        # A callback naming a recording somewhere else is refused (and logged, with its reason only).
        call.post(prompt.record().attrib["recordingStatusCallback"], RecordingSid="RE" + "0" * 32,
                  RecordingUrl="https://recordings.example/" + secrets.marker("foreign recording URL"),
                  RecordingStatus="completed")
        call.post("/voice/fallback", ErrorCode="11200", ErrorUrl=PUBLIC_URL + "/voice/incoming")
        call.hang_up()
        # Unsigned, with every caller field: refused, and that must leave nothing either.
        assert http.post("/voice/incoming", data=site.caller).status_code == 403
    return key


def follow_up_by_phone(site: Site, key: str, expect: str) -> None:
    with site.browser() as http:
        call = Call(site, http)
        menu = call.press(call.post("/voice/incoming"), "1")
        heard = call.press(call.press(menu, "2"), key)
        assert expect in heard.said(), heard.text
        answer, _sid = call.record(call.press(heard, "1"), seed=12)
        assert "will be added to your report" in answer.said()
        call.hang_up()


class Reviewer:
    """A reviewer's browser, signed in with password and TOTP code. The session cookie is Secure and httpx sends
    those only over https, so it is put in the jar without the flag, as a browser treats http://127.0.0.1."""

    def __init__(self, site: Site, email: str, password: str, totp_secret: str) -> None:
        self.phone_codes: list[str] = []  # exit invitations' codes as digits, as HR was shown them
        self.http = site.browser()
        form = self.http.get("/review/sign-in").text
        signed_in = self.http.post("/review/sign-in", follow_redirects=False, data={
            "form_token": hidden(form, "form_token"), "email": email, "password": password,
            "code": pyotp.TOTP(totp_secret).now()})
        assert signed_in.status_code == 303, signed_in.text
        name, value = signed_in.headers["set-cookie"].split(";")[0].split("=", 1)
        self.http.cookies.clear()
        self.http.cookies.set(name, value, domain="127.0.0.1")

    def get(self, path: str) -> httpx.Response:
        response = self.http.get(path)
        assert response.status_code == 200, (path, response.status_code, response.text[-2000:])
        return response

    def act(self, path: str, page: str, **data: str) -> str:
        response = self.http.post(path, data={"csrf_token": hidden(page, "csrf_token"), **data})
        assert response.status_code == 200 and "?done=" in str(response.url), (path, response.text[-3000:])
        return response.text

    def case_containing(self, text: str, *, wait: float = 30) -> tuple[str, str]:
        """The case whose page shows ``text``, once it has been released to reviewers (release slots, a second
        apart in the scan: docs/design.md#release-slots)."""
        deadline = time.monotonic() + wait
        while True:
            for path in dict.fromkeys(re.findall(r'href="(/review/cases/[0-9a-f]{32})"',
                                                 self.get("/review/").text)):
                page = self.get(path).text
                if text in page:
                    return path, page
            if time.monotonic() > deadline:
                raise AssertionError(f"no case shows {text}")
            time.sleep(0.3)

    def close(self) -> None:
        self.http.close()


def ask_and_answer(reviewer: Reviewer, secrets: Secrets, web: WebReport) -> list[str]:
    """The reviewer's note, reply and request for information on the web report; returns what the reporter
    must see next."""
    path, page = reviewer.case_containing(web.narrative)
    page = reviewer.act(path + "/note", page, note=secrets.marker("internal note"))
    reply = secrets.marker("reviewer reply")
    page = reviewer.act(path + "/reply", page, reply=reply, feedback="1")
    question = secrets.marker("request for information")
    reviewer.act(path + "/request-information", page, request=question)
    return [web.narrative, reply, question]


def work_the_web_case(reviewer: Reviewer, secrets: Secrets, web: WebReport) -> None:
    path, page = reviewer.case_containing(secrets.values["follow-up message"])  # the follow-up is released too
    follow_up_file = secrets.values["follow-up file content"]
    assert secrets.values["follow-up message"] in page
    page = reviewer.act(path + "/status", page, status="concluded", outcome="referred")
    page = reviewer.act(path + "/status", page, status="investigating",
                        reason=secrets.marker("reason for reopening"))
    report_item = re.search(r'name="item" value="([0-9a-f]{32})"', page)
    assert report_item
    page = reviewer.act(path + "/redact", page, item=report_item.group(1), passage=web.passage, confirm="1")
    assert web.passage not in page and "[redacted]" in page
    identity = reviewer.get(path + "/identity").text
    opened = reviewer.http.post(path + "/identity", data={"csrf_token": hidden(identity, "csrf_token"),
                                                          "reason": "The reporter asked to be called back."})
    assert opened.status_code == 200 and web.identity_name in opened.text
    pdf = reviewer.get(path + "/export.pdf")
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert web.narrative in text and secrets.values["internal note"] in text
    archive = zipfile.ZipFile(io.BytesIO(reviewer.get(path + "/files.zip").content))
    contents = b"".join(archive.read(name) for name in archive.namelist())
    assert secrets.values["text file content"].encode() in contents and follow_up_file.encode() in contents
    # A whole file redacted: the follow-up's text file.
    links = dict(re.findall(r'<a href="/review/cases/[0-9a-f]{32}/files/([0-9a-f]{32})">([^<]+)</a>', page))
    file_item = next(item for item, name in links.items() if name.startswith(secrets.values["follow-up file name"]))
    assert reviewer.get(f"{path}/files/{file_item}").content == follow_up_file.encode()
    reviewer.act(path + "/redact-item", page, item=file_item, confirm="1")


def work_the_phone_case(reviewer: Reviewer) -> None:
    """Play both recordings of the phone case (the report and the follow-up message)."""
    path, page = reviewer.case_containing("<audio controls")
    deadline = time.monotonic() + 30
    while len(sources := re.findall(r'<audio controls preload="none" src="([^"]+)"', page)) < 2:
        assert time.monotonic() < deadline, page  # the follow-up recording waits for its release slot
        time.sleep(0.3)
        page = reviewer.get(path).text
    assert len(sources) == 2, page
    for source in sources:
        played = reviewer.get(source)
        assert played.headers["content-type"] == "audio/wav" and played.content.startswith(b"RIFF")


def staff_intake(reviewer: Reviewer, secrets: Secrets) -> None:
    form = reviewer.get("/review/new-report").text
    narrative = secrets.marker("staff intake narrative")
    done = reviewer.http.post("/review/new-report", data={"csrf_token": hidden(form, "csrf_token"),
                                                          "channel": "letter", "category": "safety",
                                                          "narrative": narrative})
    assert done.status_code == 200
    report_key(done.text)


def invitation(hr: Reviewer) -> tuple[str, str]:
    page = hr.get("/review/exit/raytown").text
    created = hr.http.post("/review/exit/raytown/invitations", data={
        "csrf_token": hidden(page, "csrf_token"), "department": "parks", "separation_type": "voluntary",
        "last_day": datetime.now(UTC).date().isoformat()})
    assert created.status_code == 200, created.text
    link = re.search(r'id="invitation-link">[^<]*(/exit/i/[^<]+)<', created.text)
    code = re.search(r'id="invitation-code"><strong>([^<]+)<', created.text)
    assert link and code
    by_phone = re.search(r'id="invitation-phone-code"><strong>([^<]+)<', created.text)
    assert by_phone and EXIT_LINE in created.text
    hr.phone_codes.append(by_phone.group(1).replace(" ", ""))
    return link.group(1), code.group(1)


def exit_by_keypad(site: Site, code: str) -> None:
    """An anonymous exit interview by keypad, every key answered, with a spoken closing comment."""
    with site.browser() as http:
        call = Call(site, http, EXIT_LINE)
        step = call.press(call.press(call.post("/voice/incoming"), "1"), code)
        for _ in range(15):
            step = call.press(step, "1")
        answer, _sid = call.record(call.press(step, "1"), seed=13)
        assert "will be sent" in answer.said()
        call.hang_up()
    # The worker sends the answers with the comment's transcript, then deletes the recording at Twilio; the
    # mode at that moment is the one the response is stored in, so wait before HR changes it.
    deadline = time.monotonic() + 60
    while call.sid not in {site.fake.recordings[sid][0] for sid in site.fake.deleted_recordings}:
        assert time.monotonic() < deadline, "the keypad interview's comment was not stored"
        time.sleep(0.2)


def answer_survey(employee: httpx.Client, page: str, comment: str) -> None:
    data = {name: hidden(page, name) for name in ("form_token", "credential", "questionnaire", "lang")}
    done = employee.post("/exit/answer", data={**data, "q_rating_pay": "2", "q_recommend": "8",
                                               "q_main_reason": "pay", "q_comments": comment})
    assert done.status_code == 200 and "Thank you" in done.text, done.text


def exit_surveys(site: Site, hr: Reviewer, secrets: Secrets) -> None:
    """An anonymous survey by its link, then (confidential mode) one by its code, which HR reads."""
    link, _code = invitation(hr)
    with site.browser() as employee:
        page = employee.get(link).text
        data = {name: hidden(page, name) for name in ("form_token", "credential", "questionnaire", "lang")}
        refused = employee.post("/exit/answer", data={**data, "q_rating_pay": "9",
                                                      "q_comments": secrets.marker("refused exit comment")})
        assert refused.status_code == 400
        answer_survey(employee, refused.text, secrets.marker("exit comment, anonymous mode"))
    invitation(hr)
    exit_by_keypad(site, hr.phone_codes[-1])
    page = hr.get("/review/exit/raytown").text
    hr.http.post("/review/exit/raytown/settings", data={"csrf_token": hidden(page, "csrf_token"),
                                                        "mode": "confidential", "threshold": "5",
                                                        "invitation_days": "30"})
    _link, code = invitation(hr)
    comment = secrets.marker("exit comment, confidential mode")
    with site.browser() as employee:
        start = employee.get("/exit").text
        page = employee.post("/exit/code", data={"form_token": hidden(start, "form_token"), "code": code}).text
        answer_survey(employee, page, comment)
    listing = hr.get("/review/exit/raytown/responses").text
    response = re.search(r'href="(/review/exit/raytown/responses/[0-9a-f]{32})"', listing)
    assert response and comment in hr.get(response.group(1)).text


def sign_in_failures(site: Site, secrets: Secrets, email: str) -> None:
    """Wrong passwords for a known email and for an unknown one, until the sign-in is slowed down: neither the
    passwords tried nor the unknown email may be kept (the counters hold a keyed hash only)."""
    unknown = secrets.marker("unknown email typed at sign-in") + "@nowhere.example"
    with site.browser() as browser:
        for who in (email, unknown):
            for n in range(4):
                form = browser.get("/review/sign-in").text
                answer = browser.post("/review/sign-in", data={
                    "form_token": hidden(form, "form_token"), "email": who,
                    "password": secrets.marker(f"wrong password {n} for {who[:6]}"), "code": "123456"})
                assert answer.status_code in (400, 429), answer.text
            assert "retry-after" in answer.headers


def invite_and_join(site: Site, admin: Reviewer, secrets: Secrets) -> None:
    """An admin invites a newcomer, who joins with the code and a password of their own: neither the code nor
    the password may be kept."""
    page = admin.get("/review/admin").text
    made = admin.http.post("/review/admin/invitations", data={
        "csrf_token": hidden(page, "csrf_token"), "email": "newcomer@raytown.example", "name": "New Comer",
        "role": "reviewer"})
    assert made.status_code == 200, made.text[-2000:]
    code = re.search(r'id="invitation-code"><strong>([0-9A-Z-]+)<', made.text).group(1)
    secrets.add("invitation code", code)
    secrets.add("invitation code, ungrouped", code.replace("-", ""))
    password = secrets.marker("password chosen when joining")
    with site.browser() as browser:
        step = browser.post("/review/join", data={"form_token": hidden(browser.get("/review/join").text,
                                                                       "form_token"), "code": code})
        done = browser.post("/review/join", data={"form_token": hidden(step.text, "form_token"), "code": code,
                                                  "password": password, "password_again": password})
        assert done.status_code == 200 and "Done." in done.text, done.text[-2000:]


def plain_cookie(client: httpx.Client, response: httpx.Response, name_suffix: str) -> None:
    """A Secure cookie the server set, put in the jar without its flags: the test speaks plain HTTP to 127.0.0.1,
    as a browser would speak HTTPS to the public address."""
    for header in response.headers.get_list("set-cookie"):
        name, value = header.split(";")[0].split("=", 1)
        if name.endswith(name_suffix) and value:
            client.cookies.set(name, value, domain="127.0.0.1")


def passkeys(site: Site, reviewer: Reviewer, secrets: Secrets, email: str) -> SoftPasskey:
    """The reviewer registers a passkey that unlocks their keys (its PRF output a secret), then signs in with it
    alone: neither PRF output may be kept anywhere."""
    public = urlsplit(PUBLIC_URL)
    authenticator = SoftPasskey(public.hostname or "", f"{public.scheme}://{public.netloc}")
    page = reviewer.get("/review/account").text
    options = reviewer.http.post("/review/account/passkeys/options", data={
        "csrf_token": hidden(page, "csrf_token")}).json()
    response, prf = authenticator.create(options)
    assert prf is not None
    secrets.add_bytes("PRF output at registration", prf)
    done = reviewer.http.post("/review/account/passkeys", data={
        "csrf_token": hidden(page, "csrf_token"), "passkey_response": response, "passkey_prf": b64url(prf),
        "name": "scan laptop"})
    assert "unlocks your keys on its own" in done.text, done.text[-2000:]
    with site.browser() as browser:
        form = browser.get("/review/sign-in").text
        options = browser.post("/review/sign-in/passkey-options", data={
            "form_token": hidden(form, "form_token"), "email": email}).json()
        response, prf = authenticator.get(options)
        assert prf is not None
        secrets.add_bytes("PRF output at sign-in", prf)
        signed_in = browser.post("/review/sign-in", follow_redirects=False, data={
            "form_token": hidden(form, "form_token"), "email": email, "password": "", "code": "",
            "passkey_response": response, "passkey_prf": b64url(prf)})
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/review/home", signed_in.text
    return authenticator


def single_sign_on(site: Site, admin: Reviewer, secrets: Secrets, authenticator: SoftPasskey, login: str) -> None:
    """The admin allows linking; the reviewer signs in through the real OpenID Provider (its development login and
    consent pages, walked as a browser would), then unlocks with the passkey."""
    page = admin.get("/review/admin").text
    options = page[page.index('id="link-reviewer"'):]
    reviewer_id = re.search(r'<option value="(\d+)">Officer</option>', options).group(1)
    admin.act("/review/admin/sso-links", page, reviewer=reviewer_id, provider="marc")
    with site.browser() as browser:
        answer = browser.get("/review/sso/marc", follow_redirects=False)
        assert answer.status_code == 303, answer.text[-2000:]
        plain_cookie(browser, answer, "hotline-sso")
        url = answer.headers["location"]
        answer = browser.get(url, follow_redirects=False)
        for _ in range(20):
            if answer.is_redirect:
                url = urljoin(url, answer.headers["location"])
                if url.startswith(PUBLIC_URL):  # back to us: at 127.0.0.1, not the public address
                    answer = browser.get(site.base + url[len(PUBLIC_URL):], follow_redirects=False)
                    break
                answer = browser.get(url, follow_redirects=False)
                continue
            action = re.search(r'<form[^>]*action="([^"]+)"', answer.text).group(1)
            fields = dict(re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', answer.text))
            if 'name="login"' in answer.text:
                fields.update(login=login, password="the test provider checks no password")
            answer = browser.post(urljoin(url, action), data=fields, follow_redirects=False)
        assert answer.status_code == 200 and "/review/unlock" in answer.text, answer.text[-2000:]
        plain_cookie(browser, answer, "hotline-session")
        unlock = browser.get("/review/unlock")
        assert unlock.status_code == 200 and "Unlock your keys" in unlock.text, unlock.text[-2000:]
        options = browser.post("/review/unlock/options", data={"csrf_token": hidden(unlock.text, "csrf_token")}).json()
        response, prf = authenticator.get(options)
        assert prf is not None
        secrets.add_bytes("PRF output at unlocking", prf)
        opened = browser.post("/review/unlock", follow_redirects=False, data={
            "csrf_token": hidden(unlock.text, "csrf_token"), "passkey_response": response,
            "passkey_prf": b64url(prf)})
        assert opened.status_code == 303 and opened.headers["location"] == "/review/home", opened.text[-2000:]
