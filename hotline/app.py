"""The application factory: ``create_app(settings)`` builds one independent app (no module-level state)."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute
from starlette.staticfiles import StaticFiles

from hotline.access import public_mount, public_route, reviewer_route
from hotline.access_log import AccessLogMiddleware
from hotline.body_limit import BodyLimitMiddleware
from hotline.rendering import make_environment
from hotline.security_headers import SecurityHeadersMiddleware
from hotline.settings import Settings
from hotline.state import AppState
from hotline.throttle import Throttle
from hotline.web import exit_hr, exit_regional, exit_survey, reporter
from hotline.web import reviewer as console
from hotline.web.errors import http_exception, server_error
from intake.db import Database
from intake.reviewers import CONTENT_ROLES, ROLES

STATIC = Path(__file__).parent / "static"


def routes() -> list[BaseRoute]:
    return [
        public_route("/", reporter.city_list),
        public_route("/report/{city}", reporter.report_form),
        public_route("/report/{city}", reporter.submit_report, methods=["POST"]),
        public_route("/follow-up", reporter.follow_up_form),
        public_route("/follow-up", reporter.open_follow_up, methods=["POST"]),
        public_route("/follow-up/message", reporter.add_message, methods=["POST"]),
        public_route("/review/sign-in", console.sign_in_form),
        public_route("/review/sign-in", console.sign_in_submit, methods=["POST"]),
        reviewer_route("/review/sign-out", console.sign_out, roles=ROLES, methods=["POST"]),
        reviewer_route("/review/city", console.change_city, roles=ROLES, methods=["POST"]),
        reviewer_route("/review/", console.inbox, roles=CONTENT_ROLES),
        reviewer_route("/review/cases/{case_id}", console.case_page, roles=CONTENT_ROLES),
        reviewer_route("/review/cases/{case_id}/reply", console.reply, roles=CONTENT_ROLES, methods=["POST"]),
        *exit_survey.routes(),
        *exit_hr.routes(),
        *exit_regional.routes(),
        public_mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]


def create_app(settings: Settings, database: Database | None = None) -> Starlette:
    settings.check()
    database = database or Database(settings.database_url)
    app = Starlette(
        routes=routes(),
        middleware=[
            Middleware(AccessLogMiddleware),
            Middleware(SecurityHeadersMiddleware, hsts=settings.public_url.startswith("https://")),
            Middleware(BodyLimitMiddleware, max_bytes=settings.max_form_bytes),
        ],
        exception_handlers={HTTPException: http_exception, Exception: server_error},
    )
    app.state.hotline = AppState(
        settings=settings,
        database=database,
        config=settings.intake_config(),
        templates=make_environment(),
        report_key_throttle=Throttle(settings.report_key_attempts_per_10_minutes, 600),
        sign_in_throttle=Throttle(20, 600),
    )
    return app
