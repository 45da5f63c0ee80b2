"""Deadlines (docs/design.md#case-handling; EU Directive 2019/1937 article 9(1)(b) and (f), ISO 37002 8.3):
acknowledge a report within 7 days of receipt and give the reporter feedback within 90 days.

A case is acknowledged by the first reply or request for information sent to the reporter, and given feedback
by a reply marked as feedback or by being concluded. ``Case.next_due_on`` holds the earliest date still due, so
the inbox can filter and sort overdue cases with an index; every change that can move it calls
:func:`refresh_due`. The daily reminder of what is due is intake.operations.reminders.
"""

from __future__ import annotations

from datetime import date

from intake.case_status import CONCLUDED
from intake.models import Case


def next_due(case: Case) -> date | None:
    if case.status == CONCLUDED:
        return None
    if case.acknowledged_on is None:
        return case.acknowledge_due_on
    if case.feedback_given_on is None:
        return case.feedback_due_on
    return None


def refresh_due(case: Case) -> None:
    case.next_due_on = next_due(case)


def is_overdue(case: Case, today: date) -> bool:
    due = next_due(case)
    return due is not None and due < today


def note_reporter_answered(case: Case, today: date, *, feedback: bool) -> None:
    """A reply or request for information went to the reporter today."""
    if case.acknowledged_on is None:
        case.acknowledged_on = today
    if feedback and case.feedback_given_on is None:
        case.feedback_given_on = today
    refresh_due(case)


# A deadline this many days away or nearer is "due soon" in the console (it is overdue the day after).
DUE_SOON_DAYS = 3


def is_due_soon(days_left: int | None) -> bool:
    """Something is due today or within DUE_SOON_DAYS days (``days_left``: days until the next deadline)."""
    return days_left is not None and 0 <= days_left <= DUE_SOON_DAYS
