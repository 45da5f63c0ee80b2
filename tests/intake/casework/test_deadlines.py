"""Deadlines and the daily reminder: overdue cases, and a content-free email to each reviewer with
waiting work, sent through SMTP to a real local aiosmtpd server, at most once a day."""

from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select

from intake.casework.cases import reply_to_reporter
from intake.casework.inbox import InboxFilter, list_inbox
from intake.clock import utc_now
from intake.models import AuditEntry
from intake.operations.mail import MailFailed, SmtpConfig
from intake.operations.reminders import send_reminders, workloads
from intake.reports import submission as reports
from tests.e2e.servers import free_port
from tests.intake.casework.console_helpers import context_for, make_city


class Collector:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode("utf-8", "replace")))
        return "250 OK"


@pytest.fixture
def smtp():
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield collector, SmtpConfig(host="127.0.0.1", port=controller.port, sender="hotline@city.example",
                                    starttls=False)
    finally:
        controller.stop()


def test_overdue_and_a_content_free_reminder_once_a_day(database, config, smtp):
    collector, smtp_config = smtp
    make_city(database, config, "raytown", {"ana": ("reviewer", None), "aud": ("auditor", None)})
    make_city(database, config, "grandview", {"gus": ("reviewer", None)})
    ten_days_ago = utc_now() - timedelta(days=10)
    old = reports.submit_report(database, config, city_slug="raytown", category="safety",
                                narrative="Marker-narrative-crane", clock=lambda: ten_days_ago)
    reports.submit_report(database, config, city_slug="raytown", category="other", narrative="Marker-narrative-2")
    ana = context_for(database, config, "ana@raytown.example")
    assert list_inbox(database, ana, InboxFilter(overdue=True)).total == 1
    loads = {load.email: (load.waiting, load.overdue)
             for load in workloads(database, config.routing_key, utc_now().date())}
    assert loads == {"ana@raytown.example": (2, 1), "gus@grandview.example": (0, 0)}

    assert send_reminders(database, config.routing_key, smtp_config, "https://hotline.example/review/") == 1
    assert len(collector.messages) == 1
    recipients, body = collector.messages[0]
    assert recipients == ["ana@raytown.example"]
    assert "2 open, 1 overdue" in body and "https://hotline.example/review/" in body
    for secret in ("Marker-narrative", "crane", "safety", "#1", old.case_id):
        assert secret not in body
    # Once a day.
    assert send_reminders(database, config.routing_key, smtp_config, "https://hotline.example/review/") == 0
    tomorrow = utc_now() + timedelta(days=1)
    reply_to_reporter(database, config, ana, old.case_id, "We are on it.")
    assert list_inbox(database, ana, InboxFilter(overdue=True)).total == 0
    assert send_reminders(database, config.routing_key, smtp_config, "https://x.example/", clock=lambda: tomorrow) == 1
    assert "- Raytown: 2 open\r\n" in collector.messages[1][1]  # acknowledged: nothing overdue any more
    with database.read() as session:
        assert len(session.exec(select(AuditEntry).where(AuditEntry.action == "reminder.sent")).all()) == 2


def test_an_unreachable_smtp_server_is_one_clear_error(database, config):
    make_city(database, config, "raytown", {"ana": ("reviewer", None)})
    reports.submit_report(database, config, city_slug="raytown", category="safety", narrative="x")
    with pytest.raises(MailFailed):
        send_reminders(database, config.routing_key, SmtpConfig(host="127.0.0.1", port=free_port(), starttls=False), "https://x/")
    with database.read() as session:
        assert session.exec(select(AuditEntry).where(AuditEntry.action == "reminder.sent")).all() == []
