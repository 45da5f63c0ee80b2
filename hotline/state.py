"""What every handler can reach: settings, the database, templates and throttles, made by ``create_app``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jinja2 import Environment
from starlette.requests import Request

from hotline.public_facts import ServiceFacts
from hotline.settings import Settings
from hotline.sso import OidcClient
from hotline.throttle import Throttle
from intake.clock import Clock, utc_now
from intake.config import IntakeConfig
from intake.db import Database


@dataclass
class AppState:
    settings: Settings
    database: Database
    config: IntakeConfig
    templates: Environment
    report_key_throttle: Throttle
    sign_in_throttle: Throttle
    # The cities and phone numbers every public page shows, read at most every few seconds (hotline.public_facts).
    service_facts: ServiceFacts
    # The time the sign-in limits count by (tests move it; intake.clock).
    clock: Clock = utc_now
    # The single sign-on providers by name (hotline.sso).
    sso_clients: dict[str, OidcClient] = field(default_factory=dict)
    # One template environment per language (hotline.i18n); ``templates`` is the English one.
    environments: dict[str, Environment] = field(default_factory=dict)
    # Abuse resistance without tracking: per-client counts in memory only; the counts per account and per city
    # are in the database, intake.limits (docs/design.md#limits-an-attacker-cannot-turn-against-users).
    submission_throttle: Throttle = field(default_factory=lambda: Throttle(10, 3600))
    refused_post_throttle: Throttle = field(default_factory=lambda: Throttle(30, 600))
    withheld_caller_throttle: Throttle = field(default_factory=lambda: Throttle(30, 600))
    invitation_code_throttle: Throttle = field(default_factory=lambda: Throttle(10, 600))
    # ``hotline demo`` only: the local stand-in for Twilio the call simulator drives (hotline.web.demo_phone).
    demo_twilio: Any = None

    @property
    def session_cookie(self) -> str:
        # RFC 6265bis section 4.1.3.2: a __Host- cookie must be Secure, have Path=/ and no Domain.
        return "__Host-hotline-session" if self.settings.secure_cookies else "hotline-session"


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.hotline
    return state
