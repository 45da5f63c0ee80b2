"""SQLModel tables. Importing this package registers every table on ``SQLModel.metadata``."""

from intake.models.audit import AuditEntry
from intake.models.case import Case, CaseItem, ItemChunk
from intake.models.city import City
from intake.models.reviewer import Membership, Reviewer, ReviewerSession, SessionCityKey

__all__ = [
    "AuditEntry",
    "Case",
    "CaseItem",
    "City",
    "ItemChunk",
    "Membership",
    "Reviewer",
    "ReviewerSession",
    "SessionCityKey",
]
