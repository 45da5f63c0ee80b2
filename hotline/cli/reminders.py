"""``hotline reminders send``: the daily, content-free email to each reviewer with waiting or overdue work."""

from __future__ import annotations

import argparse

from hotline.cli.common import CommandError, open_database, settings_from_env
from intake.operations.mail import MailFailed
from intake.operations.reminders import send_reminders


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("reminders", help="Deadline reminders.", description="Deadline reminders.")
    sub = parser.add_subparsers(dest="reminders_command", required=True, metavar="COMMAND")
    send = sub.add_parser("send", help="Email each reviewer how many cases wait for them (run daily).",
                          description="Email each reviewer with open cases how many are open and how many "
                                      "overdue, at most once a day, through the HOTLINE_SMTP_* settings. The "
                                      "message holds no case content. Run it daily (cron or a systemd timer).")
    send.set_defaults(run=run_send)


def run_send(args: argparse.Namespace) -> int:
    settings = settings_from_env()
    try:
        sent = send_reminders(open_database(settings), settings.intake_config().routing_key, settings.smtp_config(),
                              settings.public_url + "/review/")
    except MailFailed as failed:
        raise CommandError(f"No reminder was sent: {failed}.") from None
    print(f"{sent} reminder(s) sent.")
    return 0
