"""What a reviewer's case page shows besides the text items: the questionnaire answers, the attachments (each
with a download link) and whether the reporter gave an identity (opened separately, intake.reports.identity).

The console's read_case (intake.casework.cases) calls :func:`describe` with the rows it already read, so this adds
no query and no audit entry of its own; downloads and identity openings are audited where they happen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from intake.items import KIND_ANSWERS, text_for_city
from intake.models import Case, CaseItem
from intake.reports.attachments import KIND_ATTACHMENT, AttachmentInfo, info_for_city, is_file
from intake.reports.identity import KIND_IDENTITY
from intake.reports.questionnaires import ReadAnswer, read_answers

# Items the case page does not show as plain text: shown by describe(), or (the identity) never opened there.
SEPARATE_KINDS = frozenset({KIND_ANSWERS, KIND_ATTACHMENT, KIND_IDENTITY})


@dataclass(frozen=True)
class CaseFiles:
    answers: tuple[ReadAnswer, ...] = ()
    attachments: tuple[AttachmentInfo, ...] = ()
    identity_given: bool = False


NO_FILES = CaseFiles()


def shown_as_text(row: CaseItem) -> bool:
    return row.kind not in SEPARATE_KINDS or (row.kind == KIND_ATTACHMENT and not is_file(row))


def describe(case: Case, rows: Iterable[CaseItem], city_private_key: bytes, language: str = "en") -> CaseFiles:
    answers: tuple[ReadAnswer, ...] = ()
    attachments = []
    for row in rows:
        if row.kind == KIND_ANSWERS:
            answers = read_answers(text_for_city(row, city_private_key), language)
        elif is_file(row):
            attachments.append(info_for_city(row, city_private_key))
    return CaseFiles(answers, tuple(attachments), case.identity_given)
