"""Brute force against the real server (``hotline serve`` as a subprocess), on SQLite and
PostgreSQL. Attackers hammer at full speed, from several threads at once, for a few seconds:

- report-key guessing on the web follow-up page, from one address (four threads), from two more addresses, and
  from an IPv6 attacker who picks a new address of its /64 for every guess;
- report-key guessing by phone, on the signed key-entry webhook, from one caller number over many calls at once,
  and from a withheld number (counted by the call alone, so held to the call's three tries);
- password guessing on one reviewer account from four threads, each guess from a random one of 150 addresses.

Each is held to the configured limit: guesses actually evaluated in the measured window (shorter than the
throttles' windows, so no window edge falls inside it) never exceed the limit, and the sign-in's growing delays
hold even against concurrent guesses. Meanwhile an honest reporter sends a report and opens it with its key on the
web and by phone, and an honest reviewer of another account signs in, each request answered within a few seconds.
The account is never locked: once the attack stops, its owner waits what the last answer stated and signs in with
the right password and code. The server's log (at debug level) holds none of the addresses or callers' numbers.
"""

from __future__ import annotations

import itertools
import re
import secrets
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx2 as httpx
import pyotp
from sqlmodel import select
from twilio.request_validator import RequestValidator

from hotline.settings import Settings
from hotline.voice.routes import MAX_TRIES
from intake.accounts.account import set_up_totp
from intake.accounts.reviewers import add_reviewer
from intake.cities import create_city, find_city, open_city_key_with_recovery_key
from intake.db import Database
from intake.models import AuditEntry
from intake.operations.migrate import upgrade
from intake.phone.lines import add_number
from tests.e2e.servers import free_port, running
from tests.hotline.voice.twilio_calls import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL

KEY_LIMIT = 4  # HOTLINE_REPORT_KEY_ATTEMPTS_PER_10_MINUTES
MAX_DELAY = 2  # HOTLINE_SIGN_IN_MAX_DELAY_SECONDS: after three free failures, waits of 1, 2, 2, 2 ... seconds
PASSWORD = "an honest reviewer's long password"
NUMBER = "+18165550111"
CALLER = "+18165550199"
HONEST_CALLER = "+18165550142"
WITHHELD = "+266696687"  # what carriers send for a withheld number
TWILIO = "54.172.60.3"  # where Twilio's webhooks come from
KEY_PROMPT = PUBLIC_URL + "/voice/follow-up?lang=en&tries=0"  # where the menu's "press 2" leads
# Attackers (TEST-NET-3, RFC 5737; IPv6 documentation prefix, RFC 3849) and honest users (TEST-NET-2), sent as
# X-Forwarded-For, which uvicorn trusts from 127.0.0.1 as from a proxy on the same machine.
KEY_ATTACKERS = {"203.0.113.7": 4, "203.0.113.8": 1, "203.0.113.9": 1}
IPV6_PREFIX = "2001:db8:7:7:"
# Password guessers send each guess from a random one of these 150 addresses, as a botnet would, so the
# per-address throttle (20 a client per 10 minutes) is not what stops them: the account's delays and lock are.
PASSWORD_NETWORK, PASSWORD_HOSTS = "203.0.113.", range(100, 250)
PASSWORD_GUESSERS = 4
REPORTER, REVIEWER, LOCKED_OWNER = "198.51.100.40", "198.51.100.50", "198.51.100.60"
HONEST_LATENCY = 3.0  # seconds, for any one request of an honest user while the attack runs
ATTACK = 5.0  # seconds of hammering: failures 1-3 at once, then one after each delay


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no hidden field {name} in {page[:300]!r}"
    return match.group(1)


def guess() -> str:
    return f"{secrets.randbelow(10 ** 20):020d}"


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    evaluated: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    refused: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    unexpected: list[str] = field(default_factory=list)
    # (sent, answered) of each evaluated guess: the server checked it at some moment in between.
    evaluated_at: list[tuple[float, float]] = field(default_factory=list)
    last_wait: int = 0  # the wait the last answer to a password guess stated

    def count(self, who: str, outcome: str, detail: str = "", sent: float = 0.0) -> None:
        with self.lock:
            if outcome == "evaluated":
                self.evaluated[who] += 1
                self.evaluated_at.append((sent, time.monotonic()))
            elif outcome == "refused":
                self.refused[who] += 1
            else:
                self.unexpected.append(f"{who}: {detail[:300]}")


@dataclass
class Attack:
    base: str
    stop: threading.Event = field(default_factory=threading.Event)
    web_keys: Tally = field(default_factory=Tally)
    phone_keys: Tally = field(default_factory=Tally)
    passwords: Tally = field(default_factory=Tally)

    def client(self, address: str) -> httpx.Client:
        return httpx.Client(base_url=self.base, headers={"x-forwarded-for": address}, timeout=30)

    def web_key_guesser(self, address: str | None) -> None:
        """``None``: a new IPv6 address of one /64 for every guess."""
        with self.client(address or IPV6_PREFIX + ":1") as client:
            token = hidden(client.get("/follow-up").text, "form_token")
            while not self.stop.is_set():
                who = address or IPV6_PREFIX + ":".join(f"{secrets.randbelow(65536):x}" for _ in range(4))
                response = client.post("/follow-up", data={"form_token": token, "report_key": guess()},
                                       headers={"x-forwarded-for": who})
                if response.status_code == 400 and "No report has that key" in response.text:
                    self.web_keys.count(address or "ipv6", "evaluated")
                elif response.status_code == 429:
                    self.web_keys.count(address or "ipv6", "refused")
                else:
                    self.web_keys.count(who, "unexpected", f"{response.status_code} {response.text}")

    def phone_key_guesser(self) -> None:
        """Calls from one number, each entering keys at the key prompt as Twilio relays them: a wrong key comes
        back to the prompt, whose next answer the caller gives too (two keys a call, then a new call)."""
        with self.client(TWILIO) as client:
            while not self.stop.is_set():
                call_sid = "CA" + secrets.token_hex(16)
                action = KEY_PROMPT
                for _ in range(2):
                    said = self.voice(client, action, call_sid)
                    if "does not match a report" in said.text:
                        self.phone_keys.count(CALLER, "evaluated")
                        action = next_action(said)
                    elif "too many attempts" in said.text:
                        self.phone_keys.count(CALLER, "refused")
                        break
                    else:
                        self.phone_keys.count(CALLER, "unexpected", f"{said.status_code} {said.text}")
                        break

    @staticmethod
    def voice(client: httpx.Client, absolute: str, call_sid: str, caller: str = CALLER,
              digits: str = "") -> httpx.Response:
        """A key-entry webhook as Twilio sends it for ``caller``, signed for the URL it was told to request."""
        params = {"AccountSid": ACCOUNT_SID, "CallSid": call_sid, "To": NUMBER, "From": caller, "Caller": caller,
                  "Digits": digits or guess()}
        parts = urlsplit(absolute)
        signature = RequestValidator(AUTH_TOKEN).compute_signature(absolute, params)
        return client.post(parts.path + "?" + parts.query, data=params, headers={"X-Twilio-Signature": signature})

    def password_guesser(self, name: str, email: str) -> None:
        with self.client(PASSWORD_NETWORK + "1") as client:
            token = hidden(client.get("/review/sign-in").text, "form_token")
            while not self.stop.is_set():
                address = PASSWORD_NETWORK + str(secrets.choice(PASSWORD_HOSTS))
                sent = time.monotonic()
                response = client.post("/review/sign-in", headers={"x-forwarded-for": address}, data={
                    "form_token": token, "email": email, "password": secrets.token_hex(12), "code": "123456"})
                if response.status_code == 400 and "Wrong email, password or code" in response.text:
                    self.passwords.count(name, "evaluated", sent=sent)
                elif response.status_code == 429 and "retry-after" in response.headers:
                    self.passwords.count(name, "refused")
                else:
                    self.passwords.count(name, "unexpected", f"{response.status_code} {response.text}")
                    continue
                self.passwords.last_wait = int(response.headers.get("retry-after", "0"))


def guarded(tally: Tally, target: Callable[..., None], *args: object) -> threading.Thread:
    """A thread whose failure (a dropped connection, a page without the expected form) is counted, not lost."""

    def run() -> None:
        try:
            target(*args)
        except Exception as error:
            tally.count(getattr(target, "__name__", "thread"), "unexpected", repr(error))

    return threading.Thread(target=run)


def next_action(said: httpx.Response) -> str:
    return re.search(r'<Gather action="([^"]+)"', said.text).group(1).replace("&amp;", "&")


def withheld_call_guesses(base: str) -> list[str]:
    """One call from a withheld number (counted by the call alone) guessing until it is hung up on."""
    answers, call_sid, action = [], "CA" + secrets.token_hex(16), KEY_PROMPT
    with httpx.Client(base_url=base, headers={"x-forwarded-for": TWILIO}, timeout=30) as client:
        while len(answers) < 10:
            said = Attack.voice(client, action, call_sid, caller=WITHHELD)
            answers.append(said.text)
            if "<Hangup" in said.text:
                break
            action = next_action(said)
    return answers


def honest_call(base: str, key: str, latencies: list[float]) -> str:
    """An honest caller, from another number, enters a report key and hears the report's status."""
    with httpx.Client(base_url=base, headers={"x-forwarded-for": TWILIO}, timeout=30) as client:
        return timed(latencies, lambda: Attack.voice(client, KEY_PROMPT, "CA" + secrets.token_hex(16),
                                                     caller=HONEST_CALLER, digits=key)).text


def timed(latencies: list[float], call: Callable[[], httpx.Response]) -> httpx.Response:
    started = time.monotonic()
    response = call()
    latencies.append(time.monotonic() - started)
    return response


def honest_reporter(base: str, latencies: list[float]) -> tuple[str, str]:
    """Send a report and open it with its key; return the case page and the key."""
    with httpx.Client(base_url=base, headers={"x-forwarded-for": REPORTER}, timeout=30) as client:
        form = timed(latencies, lambda: client.get("/report/raytown?category=safety")).text
        sent = timed(latencies, lambda: client.post("/report/raytown", data={
            "form_token": hidden(form, "form_token"), "category": "safety", "narrative": "honest-narrative-1"}))
        assert sent.status_code == 200, sent.text
        key = re.search(r'id="report-key"><strong>([\d ]+)</strong>', sent.text).group(1).replace(" ", "")
        token = hidden(timed(latencies, lambda: client.get("/follow-up")).text, "form_token")
        opened = timed(latencies, lambda: client.post("/follow-up", data={"form_token": token, "report_key": key}))
        assert opened.status_code == 200, opened.text
        return opened.text, key


def sign_in(base: str, address: str, email: str, totp_secret: str, latencies: list[float]) -> httpx.Response:
    with httpx.Client(base_url=base, headers={"x-forwarded-for": address}, timeout=30) as client:
        token = hidden(timed(latencies, lambda: client.get("/review/sign-in")).text, "form_token")
        return timed(latencies, lambda: client.post("/review/sign-in", data={
            "form_token": token, "email": email, "password": PASSWORD, "code": pyotp.TOTP(totp_secret).now()}))


def seed(url: str, settings: Settings) -> dict[str, str]:
    """Raytown with a phone number and two reviewers with TOTP; their TOTP secrets by email."""
    database = Database(url)
    try:
        upgrade(database)
        created = create_city(database, "raytown", "Raytown")
        city_key = open_city_key_with_recovery_key(find_city(database, "raytown"), created.recovery_key)
        add_number(database, "raytown", NUMBER)
        secrets_by_email = {}
        for name in ("victim", "honest"):
            email = f"{name}@raytown.example"
            add_reviewer(database, settings.intake_config(), city_slug="raytown", email=email, display_name=name,
                         password=PASSWORD, role="reviewer", city_private_key=city_key)
            secrets_by_email[email] = set_up_totp(database, settings.intake_config(), email, PASSWORD)
        return secrets_by_email
    finally:
        database.dispose()


def audit_actions(url: str) -> list[str]:
    database = Database(url)
    try:
        with database.read() as session:
            return [entry.action for entry in session.exec(select(AuditEntry)).all()]
    finally:
        database.dispose()


def test_brute_force_is_held_to_the_configured_rates_while_honest_users_are_served(
        database_url: str, tmp_path: Path) -> None:
    env = {"HOTLINE_INSECURE_TEST_KDF": "1", "HOTLINE_DATABASE_URL": database_url, "HOTLINE_PEPPER": "p" * 40,
           "HOTLINE_SESSION_KEY": "s" * 40, "HOTLINE_PUBLIC_URL": PUBLIC_URL, "HOTLINE_LOG_LEVEL": "debug",
           "HOTLINE_TWILIO_ACCOUNT_SID": ACCOUNT_SID, "HOTLINE_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
           "HOTLINE_REPORT_KEY_ATTEMPTS_PER_10_MINUTES": str(KEY_LIMIT),
           "HOTLINE_SIGN_IN_MAX_DELAY_SECONDS": str(MAX_DELAY), "HOTLINE_TRUSTED_PROXIES": "127.0.0.1"}
    totp_secrets = seed(database_url, Settings.from_env(env))
    port = free_port()
    log = tmp_path / "server.log"
    with running(["serve", "--port", str(port)], env, port, log):
        attack = Attack(f"http://127.0.0.1:{port}")
        threads = [guarded(attack.web_keys, attack.web_key_guesser, address)
                   for address, count in KEY_ATTACKERS.items() for _ in range(count)]
        threads += [guarded(attack.web_keys, attack.web_key_guesser, None) for _ in range(2)]
        threads += [guarded(attack.phone_keys, attack.phone_key_guesser) for _ in range(3)]
        threads += [guarded(attack.passwords, attack.password_guesser, f"guesser-{n}", "victim@raytown.example")
                    for n in range(PASSWORD_GUESSERS)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        try:
            time.sleep(0.5)  # the attack is in full swing
            latencies: list[float] = []
            case_page, key = honest_reporter(attack.base, latencies)
            heard = honest_call(attack.base, key, latencies)
            withheld = withheld_call_guesses(attack.base)
            signed_in = sign_in(attack.base, REVIEWER, "honest@raytown.example",
                                totp_secrets["honest@raytown.example"], latencies)
            time.sleep(max(0.0, ATTACK - (time.monotonic() - started)))
        finally:
            attack.stop.set()
            for thread in threads:
                thread.join(timeout=30)
        window = time.monotonic() - started
        stated = attack.passwords.last_wait
        time.sleep(stated)  # the owner, from another address, waits what the last answer said
        owner = sign_in(attack.base, LOCKED_OWNER, "victim@raytown.example", totp_secrets["victim@raytown.example"],
                        [])
    assert window < 60, "the measured window must stay inside the throttles' windows (10 minutes)"

    # Honest users were served, promptly, while the attack ran.
    assert "honest-narrative-1" in case_page
    assert "Your report, made on" in heard and "/voice/follow-up/choice" in heard, heard
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/review/home", signed_in.text
    assert max(latencies) < HONEST_LATENCY, latencies

    # Web report-key guessing: at most the limit per address (and per IPv6 /64), however many threads.
    web = attack.web_keys
    assert not web.unexpected, web.unexpected[:3]
    for address in [*KEY_ATTACKERS, "ipv6"]:
        assert web.evaluated[address] == KEY_LIMIT, (address, dict(web.evaluated))
        assert web.refused[address] >= 3 * KEY_LIMIT, (address, dict(web.refused))  # really hammering

    # Phone report-key guessing: at most the limit per caller number, across concurrent calls.
    phone = attack.phone_keys
    assert not phone.unexpected, phone.unexpected[:3]
    assert phone.evaluated[CALLER] == KEY_LIMIT and phone.refused[CALLER] >= 3 * KEY_LIMIT, dict(phone.evaluated)

    # A withheld number is counted by the call alone: the call is hung up on after its third wrong key.
    assert len(withheld) == MAX_TRIES and all("does not match a report" in said for said in withheld[:-1])
    assert "too many attempts" in withheld[-1], withheld

    # Password guessing: three free failures, then one after each growing delay (1, 2, 2 ... seconds).
    passwords = attack.passwords
    assert not passwords.unexpected, passwords.unexpected[:3]
    evaluated = sum(passwords.evaluated.values())
    assert 4 <= evaluated <= 3 + 1 + int((window - 1) // MAX_DELAY) + 1, (evaluated, window)
    assert sum(passwords.refused.values()) >= 3 * evaluated
    # The server checks guess n+1 at least delay_after(n) after guess n: 1 s after the third failure, 2 s after
    # the fourth. Guess n was sent before it was checked, guess n+1 answered after, so these bounds are safe.
    times = sorted(passwords.evaluated_at, key=lambda pair: pair[1])
    spans = [later[1] - earlier[0] for earlier, later in itertools.pairwise(times)]
    assert spans[2] >= 1 and all(span >= MAX_DELAY for span in spans[3:]), spans
    # Never locked: after the wait the last answer stated, the right password and code pass.
    assert 1 <= stated <= MAX_DELAY
    assert owner.status_code == 303 and owner.headers["location"] == "/review/home", owner.text
    actions = audit_actions(database_url)
    assert actions.count("reviewer.sign_in_failed") == evaluated and "reviewer.locked" not in actions
    assert actions.count("reviewer.sign_in_delayed") == evaluated - 2

    served_log = log.read_text()
    for marker in (*KEY_ATTACKERS, PASSWORD_NETWORK, REPORTER, REVIEWER, LOCKED_OWNER, IPV6_PREFIX, "2001:db8",
                   CALLER, CALLER[2:], HONEST_CALLER, HONEST_CALLER[2:], WITHHELD, TWILIO, key):
        assert marker not in served_log, marker
