"""What every handler can reach: settings, the database, templates and throttles, made by ``create_app``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jinja2 import Environment
from starlette.requests import Request

from hotline.settings import Settings
from hotline.throttle import Throttle
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
    # One template environment per language (hotline.i18n); ``templates`` is the English one.
    environments: dict[str, Environment] = field(default_factory=dict)
    # Abuse resistance without tracking: in-memory counts only.
    submission_throttle: Throttle | None = None
    city_submission_throttle: Throttle | None = None
    # ``hotline demo`` only: the local stand-in for Twilio the call simulator drives (hotline.web.demo_phone).
    demo_twilio: Any = None

    @property
    def session_cookie(self) -> str:
        # RFC 6265bis section 4.1.3.2: a __Host- cookie must be Secure, have Path=/ and no Domain.
        return "__Host-hotline-session" if self.settings.secure_cookies else "hotline-session"


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.hotline
    return state
