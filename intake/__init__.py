"""The hotline's domain and its storage (docs/design.md#architecture).

Cities, reviewers, cases, sealed items and the audit log, as SQLModel tables with Alembic migrations, and the
services that work on them. Nothing here knows about HTTP, Jinja2 or Twilio; cryptography comes from ``crypto``.
"""
