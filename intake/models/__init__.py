"""SQLModel tables. Importing this package registers every table on ``SQLModel.metadata``."""

from intake.models.audit import AuditEntry
from intake.models.case import Case, CaseItem, CaseReading, CaseTally, ItemChunk
from intake.models.city import City
from intake.models.exit import ExitInvitation, ExitPublication, ExitQuestionnaire, ExitResponse, ExitSettings
from intake.models.job import Job
from intake.models.keys import CityKeyGrant, CityKeyRotation, ResealedCityKey, ReviewerKey
from intake.models.limits import AttemptCounter
from intake.models.phone import CityVoiceSettings, PhoneNumber
from intake.models.questionnaire import Questionnaire
from intake.models.release import HeldAuditEntry, ReleaseQueue
from intake.models.retention import RetentionRule
from intake.models.reviewer import Membership, Reviewer, ReviewerInvitation, ReviewerSession, SessionCityKey
from intake.models.routing import CaseExclusion, CategoryRoute, GroupMember, ReviewerGroup, RoutingSeal
from intake.models.sign_in import CitySignInPolicy, Passkey, SsoLink, SsoLinkOffer, WebAuthnChallenge

__all__ = [
    "AttemptCounter",
    "AuditEntry",
    "Case",
    "CaseExclusion",
    "CaseItem",
    "CaseReading",
    "CaseTally",
    "CategoryRoute",
    "City",
    "CityKeyGrant",
    "CityKeyRotation",
    "CitySignInPolicy",
    "CityVoiceSettings",
    "ExitInvitation",
    "ExitPublication",
    "ExitQuestionnaire",
    "ExitResponse",
    "ExitSettings",
    "GroupMember",
    "HeldAuditEntry",
    "ItemChunk",
    "Job",
    "Membership",
    "Passkey",
    "PhoneNumber",
    "Questionnaire",
    "ReleaseQueue",
    "ResealedCityKey",
    "RetentionRule",
    "Reviewer",
    "ReviewerGroup",
    "ReviewerInvitation",
    "ReviewerKey",
    "ReviewerSession",
    "RoutingSeal",
    "SessionCityKey",
    "SsoLink",
    "SsoLinkOffer",
    "WebAuthnChallenge",
]
