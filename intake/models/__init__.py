"""SQLModel tables. Importing this package registers every table on ``SQLModel.metadata``."""

from intake.models.audit import AuditEntry
from intake.models.case import Case, CaseItem, ItemChunk
from intake.models.city import City
from intake.models.exit import ExitInvitation, ExitPublication, ExitQuestionnaire, ExitResponse, ExitSettings
from intake.models.job import Job
from intake.models.reviewer import Membership, Reviewer, ReviewerSession, SessionCityKey
from intake.models.routing import CaseExclusion, CategoryRoute, GroupMember, ReviewerGroup

__all__ = [
    "AuditEntry",
    "Case",
    "CaseExclusion",
    "CaseItem",
    "CategoryRoute",
    "City",
    "ExitInvitation",
    "ExitPublication",
    "ExitQuestionnaire",
    "ExitResponse",
    "ExitSettings",
    "GroupMember",
    "ItemChunk",
    "Job",
    "Membership",
    "Reviewer",
    "ReviewerGroup",
    "ReviewerSession",
    "SessionCityKey",
]
