"""Whether a reviewer's request for information is waiting for the reporter.

A request is an item of kind KIND_INFORMATION_REQUEST, sealed to the city and to the reporter like a reply
(intake.casework.cases.reply_to_reporter with that kind). The reporter's follow-up page says "the reviewer
needs more information" while the latest request has no answer: no message from the reporter has come after it.
"""

from __future__ import annotations

from collections.abc import Iterable

from intake.items import KIND_INFORMATION_REQUEST, KIND_REPORTER_MESSAGE
from intake.models import CaseItem


def awaiting_answer(rows: Iterable[CaseItem]) -> bool:
    """True while the latest request from a reviewer has no message from the reporter after it."""
    last_request = last_message = 0
    for row in rows:
        if row.kind == KIND_INFORMATION_REQUEST:
            last_request = max(last_request, row.position)
        elif row.kind == KIND_REPORTER_MESSAGE:
            last_message = max(last_message, row.position)
    return last_request > last_message
