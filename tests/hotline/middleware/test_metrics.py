"""/healthz, /readyz and /metrics: metrics only with the token, counts only, nothing about a reporter
and nothing that times a report (cases received today are not counted yet)."""

import dataclasses
from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import update
from starlette.testclient import TestClient

from hotline.app import create_app
from intake.clock import utc_now
from intake.models import Case
from intake.operations.migrate import alembic_config
from tests.hotline.conftest import submit_report

TOKEN = b"m" * 40


@pytest.fixture
def metrics_client(seeded):
    settings = dataclasses.replace(seeded.settings, metrics_token=TOKEN)
    with TestClient(create_app(settings, seeded.database), base_url="https://testserver",
                    raise_server_exceptions=False) as client:
        yield client


def test_healthz_answers_and_readyz_checks_the_schema(metrics_client, seeded):
    assert metrics_client.get("/healthz").text == "ok\n"
    not_ready = metrics_client.get("/readyz")  # the fixture's tables were made without migrations
    assert not_ready.status_code == 503 and "hotline db upgrade" in not_ready.text
    command.stamp(alembic_config(seeded.database), "head")
    assert metrics_client.get("/readyz").status_code == 200


def test_metrics_need_the_token(client, metrics_client):
    assert client.get("/metrics").status_code == 404  # no token configured: no metrics
    assert metrics_client.get("/metrics").status_code == 404
    assert metrics_client.get("/metrics", headers={"authorization": "Bearer wrong"}).status_code == 404


def test_metrics_count_without_telling_anything_about_a_reporter(metrics_client, seeded):
    narrative = "Marker narrative for metrics 816-555-0142"
    submit_report(metrics_client, "raytown", narrative)
    headers = {"authorization": "Bearer " + TOKEN.decode()}
    body = metrics_client.get("/metrics", headers=headers).text
    assert 'hotline_cases{channel="web",city="raytown"} 0.0' in body  # received today: not counted yet
    with seeded.database.write() as session:
        session.execute(update(Case).values(received_on=utc_now().date() - timedelta(days=1)))
    metrics_client.get("/nowhere")
    body = metrics_client.get("/metrics", headers=headers).text
    assert 'hotline_cases{channel="web",city="raytown"} 1.0' in body
    assert 'hotline_cases{channel="phone",city="grandview"} 0.0' in body
    assert "hotline_database_up 1.0" in body and "hotline_job_queue_depth 0.0" in body
    # A reporter's request moves no counter (Prometheus would date it to the scrape); the console's do.
    assert 'route="submit_report"' not in body and 'route="report_form"' not in body
    assert 'hotline_http_requests_total{route="metrics",status="2xx"}' in body
    assert 'hotline_key_rotation_unfinished{city="raytown"} 0.0' in body
    for secret in ("Marker", "816-555-0142", "testclient", "/report/raytown", "nowhere"):
        assert secret not in body
