"""Audit entries in words, for the console's timeline and audit log (docs/design.md#console-wording).

An entry stores codes: its action (``case.routed``), its actor (``reviewer:5``), its subject (a case id, a group's
short name, a category) and a JSON detail (``{"from": "received", "to": "assessing"}``). Here each becomes what
a person reads: the reviewer's name (a reviewer whose account is gone is a "former reviewer", never an id), "Case
#12", the group's name, and each detail as a labelled fact in words. Everything is English, marked for the
catalogue (``N_``, :class:`intake.messages.Message`), so the delivery layer translates it; a person's name, a
number or what a reviewer typed is shown as it is (``Text.words`` False).

Times stay as stored: an exact UTC time, or a day only for what a reporter or caller did
(docs/design.md#threat-model-and-anonymity-rules); the delivery layer puts an exact time in the city's zone and
shows a day as a date (hotline.local_time).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Protocol

from sqlmodel import Session, col, select

from intake.audit.actions import AuditAction
from intake.categories import category_label
from intake.messages import N_, Message
from intake.models import Case, City, Reviewer, ReviewerGroup
from intake.routing import DEFAULT_GROUPS

A = AuditAction

# Who an entry's actor is, when it is not a reviewer (intake.audit.chain's REPORTER, PHONE_CALLER, SYSTEM, and
# intake.exit.survey's RESPONDENT).
ACTOR_WORDS = {"reporter": N_("Reporter"), "phone caller": N_("Phone caller"), "system": N_("System"),
               "exit respondent": N_("Departing employee")}
FORMER_REVIEWER = N_("Former reviewer")  # a reviewer id whose account no longer exists
HIDDEN_ACTOR = N_("Someone without access")  # the timeline never names an excluded reviewer (intake.audit.timeline)

# Stored values in words. The keys are the values the services write (intake.case_status, intake.items,
# intake.reports.submission's channels, ...); tests/intake/audit/test_wording.py checks each list is complete.
STATUS_WORDS = {"received": N_("Received"), "assessing": N_("Assessing"), "investigating": N_("Investigating"),
                "concluded": N_("Concluded")}
OUTCOME_WORDS = {"substantiated": N_("Substantiated"), "unsubstantiated": N_("Unsubstantiated"),
                 "referred": N_("Referred"), "not actionable": N_("Not actionable")}
CHANNEL_WORDS = {"web": N_("Web form"), "phone": N_("Phone"), "letter": N_("Letter"), "walk-in": N_("In person"),
                 "hr-call": N_("Call to HR")}
ITEM_WORDS = {"report": N_("Report"), "reporter_message": N_("Reporter message"),
              "reviewer_reply": N_("Reviewer reply"), "information_request": N_("Information request"),
              "internal_note": N_("Internal note"), "answers": N_("Answers"), "attachment": N_("Attachment"),
              "recording": N_("Recording"), "transcript": N_("Transcript"),
              "transcript_unavailable": N_("Transcript unavailable")}
ROLE_WORDS = {"reviewer": N_("Reviewer"), "admin": N_("Administrator"), "auditor": N_("Auditor"),
              "coordinator": N_("Coordinator")}
METHOD_WORDS = {"password+totp": N_("password and authenticator code"), "password+passkey": N_("password and passkey"),
                "passkey": N_("passkey"), "sso": N_("single sign-on"),
                "sso+passkey": N_("single sign-on, then passkey"), "sso+password": N_("single sign-on, then password")}
RULE_WORDS = {"password sign-in off": N_("password sign-in is off"),
              "multi-factor sign-in required": N_("multi-factor sign-in is required"),
              "concluded-cases": N_("Concluded cases"), "exit-responses": N_("Exit responses"),
              "exit-invitations": N_("Exit invitations")}
FAILURE_WORDS = {"password": N_("wrong password"), "code": N_("wrong code")}
OTHER_WORDS = {"passage": N_("a passage"), "item": N_("the whole item"), "pdf": N_("PDF"), "zip": N_("ZIP"),
               "case": N_("Case"), "exit response": N_("Exit response"), "exit invitation": N_("Exit invitation"),
               "anonymous": N_("Anonymous"), "confidential": N_("Confidential"), "exit": N_("Exit interviews"),
               "invited": N_("Invited"), "started": N_("Started"), "completed": N_("Completed"),
               "expired": N_("Expired")}
YES, NO = N_("yes"), N_("no")

# Each detail field: its label, and how its value reads. Fields not listed read as their name in words.
WORDS = "words"  # a stored value looked up in the tables above
FLAG = "flag"  # 1/0: yes/no
COUNT = "count"  # a number
TEXT = "text"  # shown as it is (a version, a provider's name, what a reviewer typed)
PERSON = "person"  # a reviewer actor
GROUP = "group"  # a group's short name
CATEGORY = "category"
CITY = "city"  # a city's slug
DAY = "day"
ACTION = "action"  # an action's stored value
FIELDS: dict[str, tuple[str, str]] = {
    "category": (N_("Category"), CATEGORY), "channel": (N_("Channel"), WORDS), "urgent": (N_("Urgent"), FLAG),
    "group": (N_("Group"), GROUP), "excluded_reviewers": (N_("Reviewers left out"), COUNT),
    "alternate": (N_("Sent to the alternate group"), FLAG), "disguised": (N_("Voice disguised"), FLAG),
    "audio_kept": (N_("Audio kept"), FLAG), "transcript": (N_("Transcript"), TEXT),
    "from_memory_kib": (N_("Memory before (KiB)"), COUNT), "to_memory_kib": (N_("Memory now (KiB)"), COUNT),
    "from_iterations": (N_("Passes before"), COUNT), "to_iterations": (N_("Passes now"), COUNT),
    "attachments": (N_("Files attached"), COUNT), "item": (N_("Item"), TEXT), "kind": (N_("Kind"), WORDS),
    "reason": (N_("Reason"), TEXT), "feedback": (N_("Counts as feedback"), FLAG),
    "from": (N_("Status before"), WORDS), "to": (N_("Status now"), WORDS), "outcome": (N_("Outcome"), WORDS),
    "reopened": (N_("Reopened"), FLAG), "assignee": (N_("Assigned to"), PERSON), "scope": (N_("Removed"), WORDS),
    "characters": (N_("Characters removed"), COUNT), "occurrences": (N_("Places"), COUNT),
    "chunks": (N_("Parts of the file"), COUNT), "basis": (N_("Closed under"), TEXT), "format": (N_("Format"), WORDS),
    "files": (N_("Files"), COUNT), "role": (N_("Role"), WORDS), "method": (N_("How"), WORDS),
    "regional": (N_("Regional sign-in"), FLAG), "failures": (N_("Failures in a row"), COUNT),
    "seconds": (N_("Next attempt waits (seconds)"), COUNT), "rule": (N_("Rule"), WORDS),
    "new_account": (N_("New account"), FLAG), "provider": (N_("Identity provider"), TEXT),
    "password_allowed": (N_("Password sign-in allowed"), FLAG),
    "require_mfa": (N_("Multi-factor sign-in required"), FLAG), "unlocks": (N_("Unlocks the account key"), FLAG),
    "from_city": (N_("Signed in to"), CITY), "restored_in": (N_("Restored in"), CITY),
    "reviewer": (N_("Reviewer"), PERSON), "version": (N_("Version"), TEXT), "fields": (N_("Questions"), COUNT),
    "key_version": (N_("Key version"), COUNT), "from_version": (N_("Key version before"), COUNT),
    "to_version": (N_("Key version now"), COUNT), "items": (N_("Items"), COUNT),
    "exit_responses": (N_("Exit responses"), COUNT), "changed_meanwhile": (N_("Changed meanwhile"), COUNT),
    "reviewers_granted": (N_("Reviewers given the key"), COUNT),
    "reviewers_unreachable": (N_("Reviewers not reached"), COUNT),
    "new_recovery_key": (N_("New recovery key"), FLAG), "purpose": (N_("Purpose"), WORDS),
    "keep_audio": (N_("Audio kept"), FLAG), "disguise_voice": (N_("Voice disguise"), FLAG),
    "mode": (N_("Mode"), WORDS), "threshold": (N_("Smallest group shown"), COUNT),
    "invitation_days": (N_("Days an invitation lasts"), COUNT), "open_link": (N_("Open link"), FLAG),
    "quarter": (N_("Quarter"), TEXT), "page": (N_("Page"), COUNT), "open": (N_("Open cases"), COUNT),
    "keep_days": (N_("Days kept"), COUNT), "number": (N_("Case number"), COUNT),
    "concluded_on": (N_("Concluded on"), DAY), "period": (N_("Month"), TEXT), "status": (N_("Status"), WORDS),
    # The audit log's own viewing (intake.audit.viewer): its filters and where the page began.
    "action": (N_("Only the action"), ACTION), "person": (N_("Only the person"), PERSON),
    "since": (N_("From"), DAY), "until": (N_("To"), DAY), "older_than": (N_("Older than entry"), COUNT),
    "newer_than": (N_("Newer than entry"), COUNT),
}
FIELD_ORDER = {key: order for order, key in enumerate(FIELDS)}  # facts read in this order, not the JSON's
VALUE_WORDS = {**STATUS_WORDS, **OUTCOME_WORDS, **CHANNEL_WORDS, **ITEM_WORDS, **ROLE_WORDS, **METHOD_WORDS,
               **RULE_WORDS, **FAILURE_WORDS, **OTHER_WORDS}
GROUP_WORDS = {slug: name for slug, name, _purpose in DEFAULT_GROUPS}
# Subjects that name a group, a category, a reviewer, or the kind of record a retention rule is about.
GROUP_SUBJECTS = frozenset({A.GROUP_ADDED, A.GROUP_JOINED, A.GROUP_LEFT})
CATEGORY_SUBJECTS = frozenset({A.ROUTING_CHANGED, A.QUESTIONNAIRE_LOADED})
CASE_ID = re.compile(r"[0-9a-f]{32}")
REVIEWER_ACTOR = re.compile(r"reviewer:(\d+)")


@dataclass(frozen=True)
class Text:
    """Something shown: English words for the catalogue (``words``), or a name, number or typed text as it is."""

    text: str
    words: bool = True
    action: bool = False  # an action's stored value, shown by its label (intake.audit.actions.label)
    day: bool = False  # a stored day (year-month-day), shown as a date


@dataclass(frozen=True)
class Fact:
    label: str  # English, for the catalogue
    value: Text


@dataclass(frozen=True)
class EntryWords:
    sequence: int
    action: str  # the stored value; its label is intake.audit.actions.label()
    exact: datetime | None  # an exact time, in UTC; None for a day-only entry
    day: date  # the stored day (the only time known of a day-only entry)
    actor: Text
    subject: Text | None
    facts: tuple[Fact, ...]


class StoredEntry(Protocol):
    """What is read of an audit entry (an AuditEntry row or a Core row)."""

    sequence: int
    recorded_at: str
    actor: str
    action: str
    subject: str | None
    detail: str | None


def when_of(recorded_at: str) -> tuple[datetime | None, date]:
    """An entry's time: exact (aware, UTC) when stored with one, else None and the stored day."""
    if len(recorded_at) <= 10:
        return None, date.fromisoformat(recorded_at)
    when = datetime.fromisoformat(recorded_at)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when, when.date()


def reviewer_ids(values: Iterable[object]) -> set[int]:
    return {int(match.group(1)) for value in values
            if isinstance(value, str) and (match := REVIEWER_ACTOR.fullmatch(value))}


@dataclass(frozen=True)
class Names:
    """Everything the entries of one page name, read once: reviewers, cases, groups and cities."""

    reviewers: Mapping[int, str]
    cases: Mapping[str, int]
    groups: Mapping[str, str]
    cities: Mapping[str, str]

    def person(self, actor: object) -> Text:
        text = str(actor or "")
        if text in ACTOR_WORDS:
            return Text(ACTOR_WORDS[text])
        match = REVIEWER_ACTOR.fullmatch(text)
        if match:
            name = self.reviewers.get(int(match.group(1)))
            return Text(name, words=False) if name else Text(FORMER_REVIEWER)
        return Text(N_("no one")) if not text else Text(text, words=False)

    def group(self, slug: str) -> Text:
        if slug in self.groups:
            name = self.groups[slug]
            return Text(name, words=GROUP_WORDS.get(slug) == name)  # a built-in name is translated
        return Text(GROUP_WORDS.get(slug, slug), words=slug in GROUP_WORDS)


def read_names(session: Session, city_id: int, entries: Sequence[StoredEntry],
               details: Sequence[Mapping[str, object]]) -> Names:
    values: list[object] = [e.actor for e in entries] + [e.subject for e in entries]
    values += [value for detail in details for value in detail.values()]
    ids = reviewer_ids(values)
    reviewers = dict(session.exec(select(Reviewer.id, Reviewer.display_name)
                                  .where(col(Reviewer.id).in_(ids))).all()) if ids else {}
    case_ids = {e.subject for e in entries if e.subject and CASE_ID.fullmatch(e.subject)}
    cases = dict(session.exec(select(Case.id, Case.number).where(Case.city_id == city_id,
                                                                 col(Case.id).in_(case_ids))).all()) if case_ids else {}
    groups = dict(session.exec(select(ReviewerGroup.slug, ReviewerGroup.name)
                               .where(ReviewerGroup.city_id == city_id)).all())
    cities = dict(session.exec(select(City.slug, City.name)).all())
    return Names({int(k): v for k, v in reviewers.items() if k is not None}, cases, groups, cities)


def _value(kind: str, value: object, names: Names) -> Text:
    if kind == FLAG:
        return Text(YES if value else NO)
    if kind == COUNT:
        return Text(str(value), words=False) if value is not None else Text(N_("none"))
    if kind == PERSON:
        return names.person(value)
    if kind == GROUP:
        return names.group(str(value))
    if kind == CATEGORY:
        return Text(category_label(str(value)))
    if kind == CITY:
        return Text(names.cities.get(str(value), str(value)), words=False)
    if kind == DAY:
        return Text(str(value)[:10], words=False, day=True)
    if kind == ACTION:
        return Text(str(value), words=False, action=True)
    if kind == WORDS and str(value) in VALUE_WORDS:
        return Text(VALUE_WORDS[str(value)])
    return Text(str(value), words=False)


def facts_of(action: str, detail: Mapping[str, object], names: Names) -> tuple[Fact, ...]:
    facts: list[tuple[int, Fact]] = []
    for key, value in detail.items():
        if value is None:
            continue
        label, kind = FIELDS.get(key, (key.replace("_", " ").capitalize(), TEXT))
        if key == "transcript" and str(value).startswith("unavailable"):
            value, kind = "transcript_unavailable", WORDS
        if key == "item" and action == A.CASE_ATTACHMENT_DOWNLOADED:
            continue  # an item's internal id, which says nothing to a reader; the kind of entry says it all
        if key == "reason" and action == A.REVIEWER_SIGN_IN_FAILED:
            kind = WORDS
        if key == "mode" or (key == "status" and action == A.RETENTION_PURGED):
            kind = WORDS
        facts.append((FIELD_ORDER.get(key, len(FIELD_ORDER)), Fact(label, _value(kind, value, names))))
    return tuple(fact for _order, fact in sorted(facts, key=lambda pair: pair[0]))


def subject_of(action: str, subject: str | None, names: Names) -> Text | None:
    if not subject:
        return None
    if CASE_ID.fullmatch(subject) and subject in names.cases:
        return Text(Message("Case #%(number)s", number=str(names.cases[subject])))  # a case number is not grouped
    if REVIEWER_ACTOR.fullmatch(subject):
        return names.person(subject)
    if action in GROUP_SUBJECTS:
        return names.group(subject)
    if action in CATEGORY_SUBJECTS:
        return Text(category_label(subject))
    if action == A.CITY_CREATED:
        return Text(names.cities.get(subject, subject), words=False)
    if action == A.RETENTION_RULE_SET:
        return _value(WORDS, subject, names)
    if action == A.RETENTION_PURGED:
        return Text(N_("a record no longer kept"))
    if subject.startswith("invitation:"):
        return Text(Message("Invitation %(code)s", code=subject.removeprefix("invitation:")[:8]))
    if action == A.CASE_ACCESS_DENIED:
        return Text(N_("a case of another city, or none"))  # whatever was asked for: not one of this city's cases
    if CASE_ID.fullmatch(subject):
        # An invitation, an exit response, or a case id that is not (or no longer) one of the city's cases.
        return Text(N_("a record no longer kept")) if action.startswith("case.") else Text(subject[:8], words=False)
    return Text(subject, words=False)


def describe(session: Session, city_id: int, entries: Sequence[StoredEntry], *,
             actor_override: Callable[[StoredEntry], Text | None] | None = None,
             detail_override: Callable[[StoredEntry], Mapping[str, object] | None] | None = None,
             ) -> tuple[EntryWords, ...]:
    """The entries in words. ``actor_override`` and ``detail_override`` let the timeline hide who may not be
    named, and what a refused attempt asked for."""
    details: list[Mapping[str, object]] = []
    for entry in entries:
        override = detail_override(entry) if detail_override else None
        details.append(override if override is not None else json.loads(entry.detail) if entry.detail else {})
    names = read_names(session, city_id, entries, details)
    described = []
    for entry, detail in zip(entries, details, strict=True):
        exact, day = when_of(entry.recorded_at)
        actor = (actor_override(entry) if actor_override else None) or names.person(entry.actor)
        described.append(EntryWords(entry.sequence, entry.action, exact, day, actor,
                                    subject_of(entry.action, entry.subject, names),
                                    facts_of(entry.action, detail, names)))
    return tuple(described)
