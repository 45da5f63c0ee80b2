"""The per-city audit log: the hash chain every service appends to (``chain``), the vocabulary of its actions
(``actions``), the signed export (``export``), and its two readers, the auditor's viewer (``viewer``) and a
case's timeline (``timeline``). See docs/design.md#audit-log and docs/audit.md.

The chain's functions are re-exported here, so a service writes ``audit.append(...)`` after
``from intake import audit``.
"""

from intake.audit.chain import (
    PHONE_CALLER,
    REPORTER,
    SYSTEM,
    ChainVerdict,
    PendingEntry,
    append,
    append_rows,
    city_key_lock,
    entry_fields,
    lock_city,
    lock_city_key,
    reviewer_actor,
    verify_city,
    verify_entries,
)

__all__ = [
    "PHONE_CALLER",
    "REPORTER",
    "SYSTEM",
    "ChainVerdict",
    "PendingEntry",
    "append",
    "append_rows",
    "city_key_lock",
    "entry_fields",
    "lock_city",
    "lock_city_key",
    "reviewer_actor",
    "verify_city",
    "verify_entries",
]
