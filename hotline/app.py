"""The application factory: ``create_app(settings)`` builds one independent app (no module-level state)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute
from starlette.staticfiles import StaticFiles

from hotline.access import public_mount, public_route
from hotline.health import healthz, readyz
from hotline.middleware.access_log import AccessLogMiddleware
from hotline.middleware.body_limit import BodyLimitMiddleware
from hotline.middleware.metrics import AppMetrics, RequestMetricsMiddleware, metrics
from hotline.middleware.security_headers import SecurityHeadersMiddleware
from hotline.public_facts import ServiceFacts
from hotline.rendering import make_environments
from hotline.settings import Settings
from hotline.sso import clients_for
from hotline.state import AppState
from hotline.throttle import Throttle
from hotline.voice.routes import voice_routes
from hotline.web import demo_phone, reporter
from hotline.web.console.routes import console_routes
from hotline.web.errors import http_exception, not_found, server_error
from hotline.web.exit import survey as exit_survey
from intake.db import Database
from intake.errors import NotFound

STATIC = Path(__file__).parent / "static"
SIGN_IN_ATTEMPTS_PER_CLIENT_PER_10_MINUTES = 20
INVITATION_CODE_ATTEMPTS_PER_10_MINUTES = 10


def routes() -> list[BaseRoute]:
    return [
        public_route("/", reporter.city_list),
        public_route("/anonymity", reporter.anonymity),
        public_route("/report/receipt", reporter.receipt, methods=["POST"]),
        public_route("/report/{city}", reporter.report_form),
        public_route("/report/{city}", reporter.submit_report, methods=["POST"]),
        public_route("/follow-up", reporter.follow_up_form),
        public_route("/follow-up", reporter.open_follow_up, methods=["POST"]),
        public_route("/follow-up/message", reporter.add_message, methods=["POST"]),
        public_route("/follow-up/view", reporter.view_case, methods=["POST"]),
        *console_routes(),
        public_route("/healthz", healthz),
        public_route("/readyz", readyz),
        public_route("/metrics", metrics),  # answers only with HOTLINE_METRICS_TOKEN (hotline.middleware.metrics)
        *voice_routes(),
        *exit_survey.routes(),
        public_mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]


def create_app(settings: Settings, database: Database | None = None, *, demo_twilio: Any = None) -> Starlette:
    """The app. ``demo_twilio`` (``hotline demo`` only, with ``settings.demo``): the local stand-in for Twilio
    whose call simulator is then served under /demo/; nothing else ever serves it."""
    settings.check()
    database = database or Database(settings.database_url)
    app_metrics = AppMetrics(database)
    environments = make_environments()
    demo = settings.demo and demo_twilio is not None
    app = Starlette(
        routes=[*demo_phone.demo_routes(), *routes()] if demo else routes(),
        middleware=[
            Middleware(AccessLogMiddleware),
            Middleware(RequestMetricsMiddleware, metrics=app_metrics),
            Middleware(SecurityHeadersMiddleware, hsts=settings.public_url.startswith("https://"),
                       onion_address=settings.onion_address),
            Middleware(BodyLimitMiddleware, max_bytes=settings.max_form_bytes,
                       max_upload_bytes=settings.max_form_bytes + settings.max_attachments_bytes + 1024 * 1024),
        ],
        exception_handlers={HTTPException: http_exception, NotFound: not_found, Exception: server_error},
    )
    app.state.metrics = app_metrics
    app.state.hotline = AppState(
        settings=settings,
        database=database,
        config=settings.intake_config(),
        templates=environments["en"],
        report_key_throttle=Throttle(settings.report_key_attempts_per_10_minutes, 600),
        sign_in_throttle=Throttle(SIGN_IN_ATTEMPTS_PER_CLIENT_PER_10_MINUTES, 600),
        service_facts=ServiceFacts(settings, database),
        environments=environments,
        submission_throttle=Throttle(settings.reports_per_client_per_hour, 3600),
        refused_post_throttle=Throttle(settings.refused_posts_per_client_per_10_minutes, 600),
        withheld_caller_throttle=Throttle(settings.withheld_caller_key_attempts_per_10_minutes, 600),
        invitation_code_throttle=Throttle(INVITATION_CODE_ATTEMPTS_PER_10_MINUTES, 600),
        demo_twilio=demo_twilio if demo else None,
        sso_clients=clients_for(settings.oidc_providers(), settings.public_url),
    )
    return app
