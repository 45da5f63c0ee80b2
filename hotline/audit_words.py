"""Audit entries as the console shows them, in the page's language and the city's time zone: the case timeline
(templates/reviewer/_timeline.html) and the audit log (templates/reviewer/audit.html) render these and nothing
else, so no action code, reviewer id or UTC time reaches a page (docs/design.md#console-wording).

intake.audit.wording has already put each entry into English words marked for the catalogue; here they are
translated, an action becomes its label (intake.audit.actions), an exact time is written in the city's zone to the
minute, and a day-only entry (what a reporter did) is written as its stored date, never converted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from hotline.local_time import day_text, moment_text
from intake.audit.actions import ACTIONS, AuditAction, label
from intake.audit.wording import EntryWords, Text

Translate = Callable[[str], str]


@dataclass(frozen=True)
class EntryView:
    sequence: int
    when: str  # "Dec 6, 2026, 9:14 AM CST", or "Dec 6, 2026" for a day-only entry
    machine_time: str  # for <time datetime>: the UTC instant, or the day
    day_only: bool
    label: str
    person: str
    subject: str
    facts: tuple[tuple[str, str], ...]


class AuditWords:
    """Turns intake.audit.wording's texts into the page's words."""

    def __init__(self, translate: Translate, language: str, zone: ZoneInfo) -> None:
        self._, self.language, self.zone = translate, language, zone

    def text(self, text: Text | None) -> str:
        if text is None:
            return ""
        if text.action:
            return label(text.text, self.language)
        if text.day:
            return day_text(text.text, self.language)
        return self._(text.text) if text.words else text.text

    def action(self, action: str) -> str:
        return label(action, self.language)

    def entry(self, entry: EntryWords) -> EntryView:
        if entry.exact is not None:
            when, machine = moment_text(entry.exact, self.zone, self.language), entry.exact.strftime("%Y-%m-%dT%H:%MZ")
        else:
            when, machine = day_text(entry.day, self.language), entry.day.isoformat()
        return EntryView(entry.sequence, when, machine, entry.exact is None, self.action(entry.action),
                         self.text(entry.actor), self.text(entry.subject),
                         tuple((self._(fact.label), self.text(fact.value)) for fact in entry.facts))

    def entries(self, entries: Iterable[EntryWords]) -> tuple[EntryView, ...]:
        return tuple(self.entry(entry) for entry in entries)

    def action_choices(self) -> tuple[tuple[str, str], ...]:
        """Every action, by its label in the page's language, in alphabetical order (the audit log's filter). A
        retired action whose label a current one took over is left out: choosing the label finds the current one."""
        current = {label(action.value) for action in AuditAction if not ACTIONS[action].retired}
        return tuple(sorted(((action.value, self.action(action.value)) for action in AuditAction
                             if not ACTIONS[action].retired or label(action.value) not in current),
                            key=lambda pair: pair[1].casefold()))
