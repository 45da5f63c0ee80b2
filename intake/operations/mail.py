"""Sending email through the deployment's SMTP server (smtplib). Notifications carry no content
(docs/design.md#threat-model-and-anonymity-rules, rule 7), so nothing here is sealed; the server is the city's own
relay."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 587
    sender: str = "hotline@localhost"
    username: str = ""
    password: str = field(default="", repr=False)
    # STARTTLS (RFC 3207) before authenticating; off only for a relay on this machine.
    starttls: bool = True
    timeout_seconds: float = 30.0


class MailFailed(Exception):
    """The SMTP server could not be reached or refused the message."""


def send_mail(config: SmtpConfig, messages: list[tuple[str, str, str]]) -> None:
    """Send (to, subject, body) messages over one connection."""
    try:
        with smtplib.SMTP(config.host, config.port, timeout=config.timeout_seconds) as smtp:
            if config.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if config.username:
                smtp.login(config.username, config.password)
            for to, subject, body in messages:
                message = EmailMessage()
                message["From"] = config.sender
                message["To"] = to
                message["Subject"] = subject
                message.set_content(body)
                smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise MailFailed(f"the SMTP server at {config.host}:{config.port} failed: {type(error).__name__}") from None
