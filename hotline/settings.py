"""Settings: one object built from ``HOTLINE_*`` environment variables and passed to ``create_app``.

Every field is documented in docs/settings.md (a test fails when one is not). Secrets come from the environment
or from a file named by ``HOTLINE_<NAME>_FILE`` (for container secrets), never from the database.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crypto.params import REPORT_KEY_KDF, REVIEWER_PASSWORD_KDF, Argon2Cost, check_parameters
from intake.config import DerivationThreads, IntakeConfig
from intake.operations.mail import SmtpConfig
from intake.phone.transcription import ENGINE_POCKETSPHINX, ENGINE_WHISPER, ENGINES

MIN_SECRET_CHARS = 32
# Where the test suite serves from; the only public addresses the test KDF is accepted with.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
# The levels docs/settings.md offers. Anything below DEBUG (NOTSET, or uvicorn's TRACE) turns on uvicorn's own
# connection and ASGI message logs, which print each client's address and request headers (found by
# tests/e2e/test_confidentiality_scan.py).
LOG_LEVELS = ("debug", "info", "warning", "error")
# Used only with HOTLINE_INSECURE_TEST_KDF=1 (the test suite): cheap enough to run thousands of times.
INSECURE_TEST_KDF = Argon2Cost(memory_kib=256, iterations=1, lanes=1)


class SettingsError(Exception):
    """A setting is missing or unusable; the message says what to do, in one sentence."""


@dataclass(frozen=True)
class OidcProvider:
    """One OpenID Connect provider from HOTLINE_OIDC_PROVIDERS_FILE."""

    name: str  # in URLs and the audit log: lower-case letters, digits and hyphens
    label: str  # on the sign-in button
    issuer: str
    client_id: str
    client_secret: bytes = field(repr=False)
    cities: tuple[str, ...] | None = None  # None: every city
    scopes: str = "openid email profile"
    # The operator vouches that the provider's email claim is its own directory's (Entra ID sends no
    # email_verified): it then counts as verified when an account is linked.
    emails_verified: bool = False


PROVIDER_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///hotline.sqlite3"
    # Secrets (see docs/settings.md). Bytes of the configured text; at least 32 characters each.
    pepper: bytes = field(default=b"", repr=False)
    session_key: bytes = field(default=b"", repr=False)
    public_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    # The reverse proxies (addresses or networks, comma-separated) whose X-Forwarded-For names the client: the
    # per-client rate limits need to tell clients apart, and behind a proxy every request comes from the proxy.
    # None by default: a client could otherwise name itself anyone, and get a fresh allowance for every guess.
    # The address is turned into an hourly keyed hash at once and never kept (hotline/client_address.py).
    trusted_proxies: str = ""
    # A request's headers, and then its body, must arrive within these many seconds, or the connection is closed
    # (hotline/slow_clients.py): clients sending a byte at a time cannot hold the server's connections.
    request_header_timeout_seconds: int = 10
    request_body_timeout_seconds: int = 120
    demo: bool = False
    insecure_test_kdf: bool = False
    max_narrative_chars: int = 50_000
    max_message_chars: int = 20_000
    max_form_bytes: int = 2 * 1024 * 1024
    session_idle_minutes: int = 30
    # A reviewer session also ends this long after sign-in, however busy (docs/design.md#sessions).
    session_max_hours: int = 12
    report_key_attempts_per_10_minutes: int = 10
    # Attachments: per file, per report or message, and how many files at once.
    max_attachment_bytes: int = 25 * 1024 * 1024
    max_attachments_bytes: int = 100 * 1024 * 1024
    max_attachments: int = 20
    # Submission caps: reports per client address (keyed hash, in memory) and per city, per hour. The city's cap
    # counts only reports that pass validation, in the database across instances; posts that fail validation are
    # limited per client (in memory), so junk from many addresses cannot close a city's form.
    reports_per_client_per_hour: int = 10
    reports_per_city_per_hour: int = 500
    refused_posts_per_client_per_10_minutes: int = 30
    # Report keys entered by callers whose number is withheld: each call has its three tries, and all such calls
    # to one of our numbers share this many per 10 minutes (they cannot be told apart).
    withheld_caller_key_attempts_per_10_minutes: int = 30
    log_level: str = "info"
    # Operations: the bearer token Prometheus sends to /metrics (no token: no /metrics), and how
    # long an idle worker waits before looking for due jobs again.
    metrics_token: bytes = field(default=b"", repr=False)
    worker_poll_seconds: float = 2.0
    # The reviewer console.
    # Sign-in is slowed, never locked: from this many failures in a row on one email, each failure makes the next
    # attempt wait 1, 2, 4 ... seconds, at most sign_in_max_delay_seconds (docs/design.md#sessions).
    sign_in_free_failures: int = 3
    sign_in_max_delay_seconds: int = 30
    pdf_font_path: str = ""
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: bytes = field(default=b"", repr=False)
    smtp_sender: str = "hotline@localhost"
    smtp_starttls: bool = True
    audit_signing_key: bytes = field(default=b"", repr=False)
    # Phone intake (docs/phone.md). Without an account SID and auth token every /voice/ request is
    # refused, since no signature can be checked.
    twilio_account_sid: str = ""
    twilio_auth_token: bytes = field(default=b"", repr=False)
    twilio_api_base_url: str = "https://api.twilio.com"
    twilio_api_timeout_ms: int = 30_000
    phone_shared_number: str = ""
    phone_max_recording_seconds: int = 600
    # Offline transcription of recordings (docs/phone.md#transcripts): "auto" is faster-whisper when a model
    # directory is given, else PocketSphinx. Recordings longer than the cap get no transcript.
    transcribe_engine: str = "auto"
    transcribe_model_dir: str = ""
    transcribe_max_seconds: int = 1800
    # Where exact times are shown (console, exports): the IANA zone of every city, unless a city is named in
    # city_time_zones ("slug=Zone,slug=Zone"). The five founding cities are all America/Chicago. Day-only values
    # (what a reporter did) are dates and are never converted (docs/design.md#threat-model-and-anonymity-rules).
    time_zone: str = "America/Chicago"
    city_time_zones: str = ""
    # The service's Tor onion address (v3, 56 characters and ".onion"): sent as Onion-Location on reporter pages
    # and given to reporters on the anonymity page (docs/design.md#an-onion-service).
    onion_address: str = ""
    # Single sign-on (docs/sso.md): a JSON file listing the OpenID Connect providers, each for every city or for
    # the cities named, with its client secret read from a file of its own. Empty: no single sign-on.
    oidc_providers_file: str = ""
    # New cases and reporters' messages reach reviewers at fixed slots, every this many seconds from midnight UTC
    # (docs/design.md#release-slots): the default is the top of each hour. 0 (release at once) is for the test
    # suite only, like the test KDF.
    release_interval_seconds: int = 3600

    @property
    def reviewer_kdf(self) -> Argon2Cost:
        return INSECURE_TEST_KDF if self.insecure_test_kdf else REVIEWER_PASSWORD_KDF

    @property
    def report_key_kdf(self) -> Argon2Cost:
        return INSECURE_TEST_KDF if self.insecure_test_kdf else REPORT_KEY_KDF

    @property
    def secure_cookies(self) -> bool:
        """Cookies are ``Secure`` and ``__Host-`` prefixed unless the public URL is plain HTTP on another
        host than this machine (browsers treat http://127.0.0.1 and http://localhost as secure contexts)."""
        parts = urlsplit(self.public_url)
        return parts.scheme == "https" or parts.hostname in LOOPBACK_HOSTS

    @property
    def transcription_engine(self) -> str:
        """The engine's name (intake.phone.transcription): "auto" resolved."""
        if self.transcribe_engine == "auto":
            return ENGINE_WHISPER if self.transcribe_model_dir else ENGINE_POCKETSPHINX
        return self.transcribe_engine

    @property
    def phone_enabled(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    def time_zone_of(self, city_slug: str | None) -> ZoneInfo:
        """The zone a city's exact times are shown in (the deployment's zone for a city not named)."""
        zones = self._city_time_zones()
        return ZoneInfo(zones.get(city_slug or "", self.time_zone))

    def _city_time_zones(self) -> dict[str, str]:
        pairs = [item.split("=", 1) for item in self.city_time_zones.split(",") if item.strip()]
        return {slug.strip(): zone.strip() for slug, zone in (pair if len(pair) == 2 else (pair[0], "")
                                                              for pair in pairs)}

    def intake_config(self) -> IntakeConfig:
        # Every command that derives or wraps anything builds this: none may do it at the test cost in production.
        self._check_test_kdf()
        return IntakeConfig(
            pepper=self.pepper,
            reviewer_kdf=self.reviewer_kdf,
            report_key_kdf=self.report_key_kdf,
            max_narrative_chars=self.max_narrative_chars,
            max_message_chars=self.max_message_chars,
            session_idle_seconds=self.session_idle_minutes * 60,
            session_max_seconds=self.session_max_hours * 3600,
            derivation_threads=DerivationThreads(os.cpu_count() or 1),
            sign_in_free_failures=max(1, self.sign_in_free_failures),
            sign_in_max_delay_seconds=max(1, self.sign_in_max_delay_seconds),
            reports_per_city_per_hour=self.reports_per_city_per_hour,
            webauthn_rp_id=urlsplit(self.public_url).hostname or "localhost",
            webauthn_origin=self.public_origin,
            release_interval_seconds=self.release_interval_seconds,
        )

    @property
    def public_origin(self) -> str:
        """The origin of HOTLINE_PUBLIC_URL (scheme, host and port), as browsers name it."""
        parts = urlsplit(self.public_url)
        return f"{parts.scheme}://{parts.netloc}"

    def smtp_config(self) -> SmtpConfig:
        """The SMTP relay for reminders; SettingsError when HOTLINE_SMTP_HOST is not set."""
        if not self.smtp_host:
            raise SettingsError("HOTLINE_SMTP_HOST is not set: name the SMTP server that sends reminders.")
        return SmtpConfig(host=self.smtp_host, port=self.smtp_port, sender=self.smtp_sender,
                          username=self.smtp_username, password=self.smtp_password.decode("utf-8"),
                          starttls=self.smtp_starttls)

    def audit_signing_seed(self) -> bytes:
        """The Ed25519 seed that signs exported audit chain heads (64 hexadecimal digits)."""
        text = self.audit_signing_key.decode("ascii", "replace").strip()
        try:
            seed = bytes.fromhex(text)
        except ValueError:
            seed = b""
        if len(seed) != 32:
            raise SettingsError("HOTLINE_AUDIT_SIGNING_KEY (or HOTLINE_AUDIT_SIGNING_KEY_FILE) must hold 64 "
                                "hexadecimal digits, for example the output of `python -c \"import secrets; "
                                "print(secrets.token_hex(32))\"`.")
        return seed

    def check(self) -> None:
        """Refuse to start with weak or missing secrets or parameters (SettingsError, one sentence each)."""
        for name in ("pepper", "session_key"):
            value: bytes = getattr(self, name)
            if len(value) < MIN_SECRET_CHARS:
                env = "HOTLINE_" + name.upper()
                raise SettingsError(
                    f"{env} is missing or shorter than {MIN_SECRET_CHARS} characters: set it (or {env}_FILE) to "
                    f"a random secret, for example the output of `python -c \"import secrets; "
                    f"print(secrets.token_hex(32))\"`."
                )
        if self.metrics_token and len(self.metrics_token) < MIN_SECRET_CHARS:
            raise SettingsError(f"HOTLINE_METRICS_TOKEN is shorter than {MIN_SECRET_CHARS} characters: set it (or "
                                "HOTLINE_METRICS_TOKEN_FILE) to a random secret, or leave it unset to turn "
                                "/metrics off.")
        if self.pepper == self.session_key:
            raise SettingsError("HOTLINE_PEPPER and HOTLINE_SESSION_KEY must be different secrets.")
        if urlsplit(self.public_url).scheme not in ("http", "https"):
            raise SettingsError("HOTLINE_PUBLIC_URL must start with https:// (or http:// for local use).")
        self._check_test_kdf()
        try:
            check_parameters(self.reviewer_kdf, self.report_key_kdf, allow_weak_kdf=self.insecure_test_kdf)
        except Exception as error:
            raise SettingsError(f"Cryptographic parameters refused: {error}.") from None
        if not 1 <= self.session_max_hours <= 168:
            raise SettingsError("HOTLINE_SESSION_MAX_HOURS must be between 1 and 168 (a week).")
        if self.release_interval_seconds and (self.release_interval_seconds > 86_400
                                              or 86_400 % self.release_interval_seconds):
            raise SettingsError("HOTLINE_RELEASE_INTERVAL_SECONDS must divide a day (86400 seconds), such as 3600 "
                                "for the top of each hour, so every day's slots fall at the same times.")
        if self.onion_address and not re.fullmatch(r"[a-z2-7]{56}\.onion", self.onion_address):
            raise SettingsError("HOTLINE_ONION_ADDRESS must be the 56-character v3 address in "
                                "/var/lib/tor-hotline/hotline/hostname, such as abc...xyz.onion.")
        if self.log_level.lower() not in LOG_LEVELS:
            raise SettingsError("HOTLINE_LOG_LEVEL must be debug, info, warning or error: a lower level would log "
                                "client addresses.")
        if not 1 <= self.sign_in_max_delay_seconds <= 600:
            raise SettingsError("HOTLINE_SIGN_IN_MAX_DELAY_SECONDS must be between 1 and 600: a longer wait would "
                                "let anyone who knows an email keep its owner out.")
        if not 1 <= self.request_header_timeout_seconds <= 300 or not 1 <= self.request_body_timeout_seconds <= 3600:
            raise SettingsError("HOTLINE_REQUEST_HEADER_TIMEOUT_SECONDS must be between 1 and 300 and "
                                "HOTLINE_REQUEST_BODY_TIMEOUT_SECONDS between 1 and 3600.")
        self._check_trusted_proxies()
        self.oidc_providers()
        self._check_time_zones()
        self._check_phone()

    def _check_test_kdf(self) -> None:
        """The test suite's cheap Argon2id cost is accepted only where the test suite runs: a plain-HTTP public
        address on this machine. Anywhere else (an https address, a real host) it would leave passwords and report
        keys cheap to guess from a stolen database, so start-up stops (docs/design.md#cryptography). The same goes
        for releasing reports at once, which gives their arrival order away (docs/design.md#release-slots)."""
        parts = urlsplit(self.public_url)
        where_the_suite_runs = parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS
        if self.insecure_test_kdf and not where_the_suite_runs:
            raise SettingsError("HOTLINE_INSECURE_TEST_KDF is for the test suite only and is refused with the public "
                                f"address {self.public_url}: remove it (passwords and report keys made with it "
                                "are strengthened at their next use).")
        if self.release_interval_seconds == 0 and not where_the_suite_runs:
            raise SettingsError("HOTLINE_RELEASE_INTERVAL_SECONDS=0 (release reports at once) is for the test suite "
                                f"only and is refused with the public address {self.public_url}: leave it unset "
                                "for the top of each hour.")

    def oidc_providers(self) -> list[OidcProvider]:
        """The single sign-on providers (SettingsError, one sentence, for anything unusable in the file)."""
        if not self.oidc_providers_file:
            return []
        where = f"HOTLINE_OIDC_PROVIDERS_FILE ({self.oidc_providers_file})"
        try:
            with open(self.oidc_providers_file, encoding="utf-8") as handle:
                data = json.load(handle)
        except (OSError, ValueError) as error:
            raise SettingsError(f"{where} cannot be read as JSON ({type(error).__name__}).") from None
        entries = data.get("providers") if isinstance(data, dict) else None
        if not isinstance(entries, list) or not entries:
            raise SettingsError(f"{where} must hold {{\"providers\": [...]}} with at least one provider.")
        providers = [_provider(entry, where) for entry in entries]
        if len({provider.name for provider in providers}) != len(providers):
            raise SettingsError(f"{where} names a provider twice.")
        return providers

    def trusted_proxy_list(self) -> list[str]:
        return [item.strip() for item in self.trusted_proxies.split(",") if item.strip()]

    def _check_trusted_proxies(self) -> None:
        for item in self.trusted_proxy_list():
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise SettingsError(f"HOTLINE_TRUSTED_PROXIES names {item!r}, which is not an address or network: "
                                    "give the proxy's addresses, such as 10.0.0.5 or 172.18.0.0/16.") from None

    def _check_time_zones(self) -> None:
        for slug, zone in {"": self.time_zone, **self._city_time_zones()}.items():
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                where = "HOTLINE_TIME_ZONE" if not slug else f"HOTLINE_CITY_TIME_ZONES for {slug}"
                raise SettingsError(f"{where} is not a time zone: give an IANA name such as America/Chicago.") \
                    from None

    def _check_phone(self) -> None:
        if bool(self.twilio_account_sid) != bool(self.twilio_auth_token):
            raise SettingsError("Set both HOTLINE_TWILIO_ACCOUNT_SID and HOTLINE_TWILIO_AUTH_TOKEN (or neither, "
                                "to turn phone intake off).")
        if self.twilio_account_sid and not re.fullmatch(r"AC[0-9a-f]{32}", self.twilio_account_sid):
            raise SettingsError("HOTLINE_TWILIO_ACCOUNT_SID must be the account SID from the Twilio console "
                                "(AC followed by 32 hexadecimal digits).")
        if urlsplit(self.twilio_api_base_url).scheme not in ("http", "https"):
            raise SettingsError("HOTLINE_TWILIO_API_BASE_URL must start with https://.")
        if self.phone_shared_number and not re.fullmatch(r"\+[1-9][0-9]{6,14}", self.phone_shared_number):
            raise SettingsError("HOTLINE_PHONE_SHARED_NUMBER must be in international form, such as +18165550100.")
        if not 10 <= self.phone_max_recording_seconds <= 14_400:
            raise SettingsError("HOTLINE_PHONE_MAX_RECORDING_SECONDS must be between 10 and 14400 (Twilio's limit).")
        if self.transcribe_engine not in ("auto", *ENGINES):
            raise SettingsError("HOTLINE_TRANSCRIBE_ENGINE must be auto, faster-whisper or pocketsphinx.")
        if self.transcription_engine == ENGINE_WHISPER and not self.transcribe_model_dir:
            raise SettingsError("HOTLINE_TRANSCRIBE_ENGINE=faster-whisper needs HOTLINE_TRANSCRIBE_MODEL_DIR: the "
                                "directory holding a CTranslate2 Whisper model (see docs/phone.md#transcripts).")
        if not 10 <= self.transcribe_max_seconds <= 14_400:
            raise SettingsError("HOTLINE_TRANSCRIBE_MAX_SECONDS must be between 10 and 14400.")
        if not 100 <= self.twilio_api_timeout_ms <= 600_000:
            raise SettingsError("HOTLINE_TWILIO_API_TIMEOUT_MS must be between 100 and 600000.")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for spec in fields(cls):
            name = "HOTLINE_" + spec.name.upper()
            if spec.name in SECRET_FIELDS:
                secret = _read_secret(env, name)
                if secret is not None:
                    values[spec.name] = secret
                continue
            if name not in env:
                continue
            raw = env[name]
            try:
                values[spec.name] = _convert(raw, spec.default)
            except ValueError:
                raise SettingsError(f"{name}={raw!r} is not a valid value for this setting.") from None
        return cls(**values)  # type: ignore[arg-type]


def _provider(entry: object, where: str) -> OidcProvider:
    if not isinstance(entry, dict):
        raise SettingsError(f"{where}: each provider is an object.")
    name, issuer, client_id = (str(entry.get(key, "")) for key in ("name", "issuer", "client_id"))
    if not PROVIDER_NAME.match(name) or len(name) > 64:
        raise SettingsError(f"{where}: a provider's name must be lower-case letters, digits and hyphens.")
    parts = urlsplit(issuer)
    local = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and local):
        raise SettingsError(f"{where}: the issuer of {name} must be an https:// URL.")
    if not client_id:
        raise SettingsError(f"{where}: {name} needs its client_id.")
    secret_file = str(entry.get("client_secret_file", ""))
    try:
        with open(secret_file, encoding="utf-8") as handle:
            secret = handle.read().strip().encode("utf-8")
    except OSError:
        raise SettingsError(f"{where}: the client_secret_file of {name} cannot be read.") from None
    if not secret:
        raise SettingsError(f"{where}: the client_secret_file of {name} is empty.")
    cities = entry.get("cities", "*")
    if cities != "*" and (not isinstance(cities, list) or not all(isinstance(c, str) for c in cities)):
        raise SettingsError(f"{where}: the cities of {name} must be \"*\" or a list of city slugs.")
    return OidcProvider(name=name, label=str(entry.get("label") or name), issuer=issuer,
                        client_id=client_id, client_secret=secret,
                        cities=None if cities == "*" else tuple(cities),
                        scopes=str(entry.get("scopes") or "openid email profile"),
                        emails_verified=entry.get("emails_verified") is True)


SECRET_FIELDS = frozenset({"pepper", "session_key", "metrics_token", "smtp_password", "audit_signing_key",
                           "twilio_auth_token"})


def _read_secret(env: Mapping[str, str], name: str) -> bytes | None:
    if name in env:
        return env[name].strip().encode("utf-8")
    path = env.get(name + "_FILE")
    if path:
        try:
            with open(path, encoding="utf-8") as handle:
                return handle.read().strip().encode("utf-8")
        except OSError as error:
            raise SettingsError(f"{name}_FILE names {path!r}, which cannot be read ({error.strerror}).") from None
    return None


def _convert(raw: str, default: object) -> object:
    if isinstance(default, bool):
        lowered = raw.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off", ""):
            return False
        raise ValueError(raw)
    if isinstance(default, float):
        seconds = float(raw)
        if not 0 < seconds < 3600:
            raise ValueError(raw)
        return seconds
    if isinstance(default, int):
        number = int(raw)
        if number < 0:
            raise ValueError(raw)
        return number
    return raw
