"""Case statuses and outcomes, after ISO 37002:2021 (receipt, assessment, addressing, concluding)."""

from __future__ import annotations

from datetime import date, timedelta

RECEIVED = "received"
ASSESSING = "assessing"
INVESTIGATING = "investigating"
CONCLUDED = "concluded"
STATUSES = (RECEIVED, ASSESSING, INVESTIGATING, CONCLUDED)

OUTCOMES = ("substantiated", "unsubstantiated", "referred", "not actionable")

# EU Directive 2019/1937 article 9(1)(b) and (f): acknowledge within 7 days, give feedback within 3 months.
ACKNOWLEDGE_WITHIN = timedelta(days=7)
FEEDBACK_WITHIN = timedelta(days=90)


def acknowledge_due(received_on: date) -> date:
    return received_on + ACKNOWLEDGE_WITHIN


def feedback_due(received_on: date) -> date:
    return received_on + FEEDBACK_WITHIN
