"""Prometheus metrics without surveillance (docs/design.md#operations-and-scale-out).

Each app has its own registry (no module-level state). What is exported: cases held by city and channel
(received before today only, see intake.operations.telemetry), job queue depth by kind and state, unfinished key
rotations, requests to the console and the operations endpoints by route and status class, and server errors.
Nothing about a reporter, no address, no path as typed. Requests to reporter, exit-survey and phone routes are not
counted by route: Prometheus keeps every scrape with its time, so a counter that moves when a report is sent would
date it to the scrape interval (docs/design.md#release-slots); their server errors are counted with the rest.
/metrics answers only with the bearer token in HOTLINE_METRICS_TOKEN; without one it does not exist.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hotline.middleware.access_log import logged_path, route_of
from hotline.state import app_state
from hotline.web.errors import not_found_page
from intake.clock import Clock, utc_now
from intake.db import Database
from intake.operations import telemetry
from intake.operations.jobs import queue_depth
from intake.reports.submission import CHANNELS


class DatabaseCollector(Collector):
    """Read at scrape time from the shared database, so every instance reports the same totals."""

    def __init__(self, database: Database, clock: Clock = utc_now) -> None:
        self.database = database
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("hotline_database_up", "Whether the last scrape could read the database.")
        try:
            counts = telemetry.case_counts(self.database, self.clock().date())
            slugs = telemetry.city_slugs(self.database)
            depth = queue_depth(self.database)
            rotating = telemetry.rotations_running(self.database)
        except Exception:  # a scrape must never fail for the database; the gauge says it is down
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        cases = GaugeMetricFamily("hotline_cases", "Cases held, by city and channel, received before today (UTC).",
                                  labels=["city", "channel"])
        for slug in slugs:
            for channel in CHANNELS:
                cases.add_metric([slug, channel], counts.get((slug, channel), 0))
        yield cases
        jobs = GaugeMetricFamily("hotline_jobs", "Jobs in the job table, by kind and state.", labels=["kind", "state"])
        for (kind, state), count in sorted(depth.items()):
            jobs.add_metric([kind, state], count)
        yield jobs
        queued = GaugeMetricFamily("hotline_job_queue_depth", "Jobs waiting or running.")
        queued.add_metric([], sum(n for (_kind, state), n in depth.items() if state in ("queued", "running")))
        yield queued
        rotation = GaugeMetricFamily("hotline_key_rotation_unfinished", "1 while a city's key rotation is unfinished.",
                                     labels=["city"])
        for slug in slugs:
            rotation.add_metric([slug], 1 if slug in rotating else 0)
        yield rotation


class AppMetrics:
    def __init__(self, database: Database) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(DatabaseCollector(database))
        self.requests = Counter("hotline_http_requests", "Requests answered, by route name and status class.",
                                ["route", "status"], registry=self.registry)
        self.errors = Counter("hotline_http_server_errors", "Requests that ended in a server error (5xx).",
                              registry=self.registry)


class RequestMetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: AppMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            if logged_path(scope.get("path", "")):
                self.metrics.requests.labels(route_of(scope), f"{status // 100}xx").inc()
            if status >= 500:
                self.metrics.errors.inc()


def authorized(request: Request, token: bytes) -> bool:
    given = request.headers.get("authorization", "").encode()
    return bool(token) and hmac.compare_digest(given, b"Bearer " + token)


async def metrics(request: Request) -> Response:
    state = app_state(request)
    app_metrics: AppMetrics = request.app.state.metrics
    if not authorized(request, state.settings.metrics_token):
        return not_found_page(request)  # without the token, /metrics does not exist
    body = await run_in_threadpool(generate_latest, app_metrics.registry)
    return Response(body, headers={"content-type": CONTENT_TYPE_LATEST})
