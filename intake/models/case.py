"""Cases and their sealed items. Only what docs/design.md#what-each-adversary-learns lets a dump reveal is in clear
here: city, category, channel, status, outcome and dates (to the day)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Index, UniqueConstraint, false, true
from sqlmodel import Field, SQLModel


class Case(SQLModel, table=True):
    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("city_id", "number", name="uq_cases_city_number"),
        Index("ix_cases_group_received", "group_id", "received_on", "number", "id"),
        # The reviewer inbox (intake.casework.inbox): one index per filter, in page order, carrying group_id and id so
        # the visibility rule (intake.routing) is checked in the index while skipping to a page.
        Index("ix_cases_inbox_received", "city_id", "received_on", "number", "group_id", "id"),
        Index("ix_cases_inbox_status", "city_id", "status", "received_on", "number", "group_id", "id"),
        Index("ix_cases_inbox_category", "city_id", "category", "received_on", "number", "group_id", "id"),
        Index("ix_cases_inbox_channel", "city_id", "channel", "received_on", "number", "group_id", "id"),
        Index("ix_cases_inbox_assignee", "city_id", "assignee_id", "received_on", "number", "group_id", "id"),
        # Due-date order, and the overdue count, which reads only the overdue part of this index.
        # Urgent cases (someone in danger), listed first in the inbox in its own order.
        Index("ix_cases_inbox_urgent", "city_id", "urgent", "received_on", "number", "group_id", "id"),
        Index("ix_cases_inbox_due", "city_id", "next_due_on", "number", "group_id", "id", "status", "category",
              "channel", "assignee_id"),
    )

    # Random (uuid4 hex), made before the row exists so it can be bound into every ciphertext's AD.
    id: str = Field(primary_key=True, max_length=32)
    city_id: int = Field(foreign_key="city.id")
    number: int
    category: str = Field(max_length=64)
    channel: str = Field(max_length=16)
    status: str = Field(max_length=16, default="received")
    outcome: str | None = Field(default=None, max_length=32)
    # The day only (docs/design.md#threat-model-and-anonymity-rules, rule 6): exact times can be matched against
    # badge or login records.
    received_on: date
    acknowledge_due_on: date
    feedback_due_on: date
    assignee_id: int | None = Field(default=None, foreign_key="reviewer.id")
    # The reviewer group the case was routed to (intake.routing); None only for cases made before routing.
    group_id: int | None = Field(default=None, foreign_key="reviewer_group.id")
    # HMAC-SHA256 of the report key under the server pepper (crypto.report_keys.report_key_lookup).
    # Deadlines (intake.casework.deadlines, EU Directive 2019/1937 art. 9): when the reporter was first answered, when
    # they were given feedback, when the case was concluded (retention counts from it), and the earliest
    # date still due (None: nothing).
    acknowledged_on: date | None = None
    feedback_given_on: date | None = None
    concluded_on: date | None = None
    next_due_on: date | None = None
    # A closed record under RSMo 610.021: the subsection relied on (intake.casework.closed_records), and when.
    closed_record_basis: str | None = Field(default=None, max_length=16)
    closed_record_on: date | None = None
    report_key_lookup: bytes = Field(unique=True)
    reporter_public_key: bytes
    # The reporter's private key wrapped under Argon2id of the report key.
    reporter_wrapped_private_key: bytes
    # The reporter chose to give a name and contact. The identity itself is a sealed case item that a
    # reviewer opens only by giving a reason (intake.reports.identity); this flag says only that there is one.
    identity_given: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    # The reporter said someone is in danger right now: the case is released to reviewers at once instead of at
    # the next release slot (docs/design.md#release-slots). In clear, so the inbox can put it first.
    urgent: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    # False while the case waits for its release slot (intake.reports.release): it has no group yet (so no
    # inbox, count or access rule can reach it) and a random negative placeholder for a number.
    released: bool = Field(default=True, sa_column_kwargs={"server_default": true()})


class CaseItem(SQLModel, table=True):
    """One sealed piece of a case: the report, a message, a reply, a note, an attachment, a recording."""

    __tablename__ = "case_item"
    __table_args__ = (
        # Also the index for finding a case's items (case_id leads it): a second index on case_id alone was one
        # more index entry written for every item.
        UniqueConstraint("case_id", "position", name="uq_case_item_position"),
        # On PostgreSQL an item of a few KiB (a report: its ciphertext and two HPKE-sealed data keys, about 4.6 KiB)
        # stays in its row instead of going to TOAST, which tried to compress the ciphertext (in vain: it is
        # random), then wrote it out of line as three more rows and index entries; rows over 8160 bytes still go
        # out of line. Migration 0680.
        {"postgresql_with": {"toast_tuple_target": 8160}},
    )

    id: str = Field(primary_key=True, max_length=32)
    case_id: str = Field(foreign_key="cases.id", ondelete="CASCADE")
    city_id: int = Field(foreign_key="city.id")
    position: int
    kind: str = Field(max_length=32)
    author: str = Field(max_length=32)
    author_reviewer_id: int | None = Field(default=None, foreign_key="reviewer.id")
    created_on: date
    visible_to_reporter: bool = Field(default=True)
    # The day a passage or the whole item was permanently redacted (intake.casework.redaction); the original is gone.
    redacted_on: date | None = None
    # Small items keep their AES-256-GCM ciphertext here; files and audio keep a stream header here and
    # their chunks in item_chunk.
    ciphertext: bytes | None = None
    stream_header: bytes | None = None
    # The data key sealed with HPKE to the city, and to the reporter where the reporter may read it back.
    key_for_city: bytes
    key_for_reporter: bytes | None = None
    # False while a reporter's message (or recording) waits for its release slot: reviewers do not see it yet, and
    # its position is a placeholder past every real one, so its place among replies is fixed only at the release.
    released: bool = Field(default=True, sa_column_kwargs={"server_default": true()})


class ItemChunk(SQLModel, table=True):
    """One chunk of a streamed item (crypto.streaming), so a file is never whole in memory."""

    __tablename__ = "item_chunk"

    item_id: str = Field(foreign_key="case_item.id", primary_key=True, max_length=32, ondelete="CASCADE")
    index: int = Field(primary_key=True)
    ciphertext: bytes


class CaseTally(SQLModel, table=True):
    """How many cases of a city share one combination of the inbox's filters (intake.models.tally).

    Kept up to date in the same transaction as every change to a case, so the inbox counts 100,000 cases by
    adding up a few hundred rows instead of reading every case. 0 stands for "no group" and "unassigned", so
    the primary key holds no NULL.
    """

    __tablename__ = "case_tally"

    city_id: int = Field(foreign_key="city.id", primary_key=True)
    group_id: int = Field(primary_key=True)
    status: str = Field(max_length=16, primary_key=True)
    category: str = Field(max_length=64, primary_key=True)
    channel: str = Field(max_length=16, primary_key=True)
    assignee_id: int = Field(primary_key=True)
    has_due: bool = Field(primary_key=True)
    count: int = Field(default=0)


class CaseReading(SQLModel, table=True):
    """How far one reviewer has read one case: the position of the last item shown to them when they last opened
    it, so the inbox can count the reporter's messages added since (intake.casework.readings). Positions, not
    times: items carry only a day (docs/design.md#threat-model-and-anonymity-rules, rule 6)."""

    __tablename__ = "case_reading"

    reviewer_id: int = Field(foreign_key="reviewer.id", primary_key=True, ondelete="CASCADE")
    case_id: str = Field(foreign_key="cases.id", primary_key=True, max_length=32, ondelete="CASCADE")
    seen_position: int
