"""A case as a PDF, for a referral or the file: everything the reviewer may read, in words, in the console's
language. Its facts (status, outcome, deadlines, group, assignee and who may read it, by name), the reporter's
questionnaire answers, the report and every message, reply, request and internal note (marked as internal), the
files and recordings (listed with the names they have in the case's ZIP), and the timeline.

Exact times are in the city's time zone (hotline.local_time), written without an offset; what a reporter did is
kept to the day (docs/design.md#threat-model-and-anonymity-rules) and is shown as a date, never converted.
Redactions are already applied, and a reviewer excluded from the case is never named (intake.audit.timeline).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from hotline.exports.pdf import Document
from hotline.local_time import day_text, exact_time_text
from hotline.statistics_text import CHANNEL_LABELS, number
from intake.audit.actions import label
from intake.audit.timeline import FORMER_REVIEWER, WITHOUT_ACCESS, TimelineEvent
from intake.casework.closed_records import SUBSECTIONS
from intake.casework.export import CaseExport, ExportedFile
from intake.categories import category_label
from intake.items import (
    AUTHOR_PHONE_CALLER,
    AUTHOR_REPORTER,
    KIND_INFORMATION_REQUEST,
    KIND_INTERNAL_NOTE,
    KIND_REPORT,
    KIND_REPORTER_MESSAGE,
    KIND_REVIEWER_REPLY,
)
from intake.messages import N_
from intake.phone.recordings import KIND_RECORDING
from intake.phone.transcription import reason_sentence

Translate = Callable[[str], str]

KIND_LABELS = {KIND_REPORT: N_("Report"), KIND_REPORTER_MESSAGE: N_("Message from the reporter"),
               KIND_REVIEWER_REPLY: N_("Reply sent to the reporter"),
               KIND_INFORMATION_REQUEST: N_("Request for information to the reporter"),
               KIND_INTERNAL_NOTE: N_("Internal note"), "attachment": N_("Attachment"),
               KIND_RECORDING: N_("Phone recording"), "transcript": N_("Machine transcript (contains errors)"),
               "transcript_unavailable": N_("Transcript unavailable")}
AUTHOR_LABELS = {AUTHOR_REPORTER: N_("the reporter"), AUTHOR_PHONE_CALLER: N_("the caller"),
                 "reviewer": N_("a reviewer"), "system": N_("the system"), WITHOUT_ACCESS: N_("someone without access"),
                 FORMER_REVIEWER: N_("a former reviewer")}
STATUS_LABELS = {"received": N_("Received, not yet assessed"), "assessing": N_("Being assessed"),
                 "investigating": N_("Under investigation"), "concluded": N_("Concluded")}
OUTCOME_LABELS = {"substantiated": N_("substantiated"), "unsubstantiated": N_("not substantiated"),
                  "referred": N_("referred"), "not actionable": N_("not actionable")}
REDACTION_SCOPES = {"passage": N_("a passage"), "item": N_("a whole item")}


class CaseWords:
    """The case's words in one language and its city's time zone."""

    def __init__(self, exported: CaseExport, translate: Translate, language: str, zone: ZoneInfo) -> None:
        self.exported, self._, self.language, self.zone = exported, translate, language, zone
        self.names = dict(exported.readers)
        # Items are numbered as the PDF lists them; files name the item they came with by that number.
        self.numbers = {item.position: index for index, item in enumerate(exported.view.items, start=1)}

    def day(self, value: date | None) -> str:
        return day_text(value, self.language) if value is not None else self._("not yet")

    def moment(self, recorded_at: str) -> str:
        """An audit entry's time: a date alone for what a reporter did (kept to the day), else the exact time."""
        if len(recorded_at) <= 10:
            return day_text(recorded_at, self.language)
        return exact_time_text(datetime.fromisoformat(recorded_at), self.zone, self.language)

    def status(self, status: str | None) -> str:
        return self._(STATUS_LABELS.get(status or "", status or ""))

    def outcome(self, outcome: str | None) -> str:
        return self._(OUTCOME_LABELS.get(outcome or "", outcome or ""))

    def author(self, author: str) -> str:
        return self._(AUTHOR_LABELS.get(author, author))

    def reviewer(self, actor: object) -> str:
        text = str(actor or "")
        if text.startswith("reviewer:") and text[9:].isdigit():
            return self.names.get(int(text[9:]), self._("a reviewer who can no longer read this case"))
        return self._("no one")

    def size(self, size: int | None) -> str:
        if size is None:
            return ""
        if size < 1024:
            return self._("%(n)s bytes") % {"n": number(size, self.language)}
        if size < 1024 * 1024:
            return self._("%(n)s KB") % {"n": number(round(size / 1024), self.language)}
        return self._("%(n)s MB") % {"n": number(round(size / 1024 / 1024, 1), self.language)}

    def deadline(self, done: date | None, due: date, overdue_since: date | None, met: str, late: str) -> str:
        _ = self._
        if done is not None:
            return (met if done <= due else late) % {"date": self.day(done), "due": self.day(due)}
        if overdue_since is not None and overdue_since >= due:
            return _("overdue: due %(due)s") % {"due": self.day(due)}
        return _("due %(due)s") % {"due": self.day(due)}

    def event_detail(self, event: TimelineEvent) -> str:
        """What the entry's detail says, in words; never an excluded reviewer or a raw id."""
        _, detail, action = self._, event.detail, event.action
        if action == "case.submitted":
            return _("%(category)s, by %(channel)s") % {
                "category": _(category_label(str(detail.get("category", "")))),
                "channel": _(CHANNEL_LABELS.get(str(detail.get("channel", "")), str(detail.get("channel", ""))))}
        if action == "case.entered_by_staff":
            return _(CHANNEL_LABELS.get(str(detail.get("channel", "")), str(detail.get("channel", ""))))
        if action == "case.routed":
            group = str(detail.get("group") or "")
            # A built-in group's stored name is English and in the catalogue; a city's own name stays as written.
            return _("to the group %(group)s") % {"group": _(group) if group else ""}
        if action == "case.status_changed":
            text = _("from %(old)s to %(new)s") % {"old": self.status(str(detail.get("from"))),
                                                   "new": self.status(str(detail.get("to")))}
            if detail.get("outcome"):
                text += ": " + self.outcome(str(detail["outcome"]))
            if detail.get("reopened"):
                text += " " + _("(reopened)")
            return text
        if action == "case.assigned":
            return (_("to %(name)s") % {"name": self.reviewer(detail.get("assignee"))}
                    if detail.get("assignee") else _("to no one"))
        if action == "case.replied":
            return _("counts as feedback") if detail.get("feedback") else ""
        if action == "case.redacted":
            text = _("item %(item)s, %(scope)s") % {"item": detail.get("item", ""),
                                                    "scope": _(REDACTION_SCOPES.get(str(detail.get("scope")), ""))}
            if detail.get("characters"):
                text += ", " + _("%(n)s characters") % {"n": number(int(str(detail["characters"])), self.language)}
            return text
        if action == "case.closed_record":
            return (_("under RSMo %(basis)s") % {"basis": detail["basis"]} if detail.get("basis")
                    else _("no longer a closed record"))
        if action == "case.exported":
            return "PDF" if detail.get("format") == "pdf" else _("ZIP with the PDF and %(n)s files") % {
                "n": detail.get("files", 0)}
        if action == "case.reporter_message" and detail.get("attachments"):
            return _("with %(n)s files") % {"n": detail["attachments"]}
        if action == "case.recording_added":
            return _("voice disguised") if detail.get("disguised") else _("voice not disguised")
        if action == "case.identity_opened":
            return _("reason given: %(reason)s") % {"reason": detail.get("reason", "")}
        if action == "case.attachment_downloaded":
            return ""
        return ", ".join(f"{key}: {value}" for key, value in detail.items() if value is not None)

    def file_line(self, file: ExportedFile) -> str:
        _ = self._
        parts = [file.filename or _(KIND_LABELS.get(file.kind, file.kind))]
        if file.content_type:
            parts.append(file.content_type)
        if file.size is not None:
            parts.append(self.size(file.size))
        parts.append(_("from %(who)s, %(date)s") % {"who": self.author(file.author), "date": self.day(file.created_on)})
        if file.sent_with in self.numbers:
            parts.append(_("sent with item %(n)s above") % {"n": self.numbers[file.sent_with]})
        if file.cleaned is False:
            parts.append(_("its metadata could not be removed"))
        parts.append(_("in the ZIP as %(name)s") % {"name": file.zip_name})
        return "; ".join(parts)


def case_pdf(exported: CaseExport, font_path: str = "", *, translate: Translate = str, language: str = "en",
             zone: ZoneInfo | None = None) -> bytes:
    _ = translate
    words = CaseWords(exported, translate, language, zone or ZoneInfo("America/Chicago"))
    summary, facts = exported.view.summary, exported.facts
    number_text = _("case #%(number)s") % {"number": summary.number}
    pdf = Document(font_path, title=f"{exported.city_name}: {number_text}", language=language,
                   header_text=_("%(city)s · %(case)s · confidential, with internal notes")
                   % {"city": exported.city_name, "case": number_text},
                   footer_text=_("Exported %(when)s by %(who)s") % {
                       "when": exact_time_text(exported.exported_at, words.zone, language)
                       if exported.exported_at else "", "who": exported.exported_by},
                   page_label=_("page %(page)s of %(pages)s"))
    pdf.heading(f"{exported.city_name}: {number_text}")
    pdf.paragraph(_("Times are in %(city)s's time zone (%(zone)s). What the reporter did is kept to the day, so it "
                    "has a date only.") % {"city": exported.city_name, "zone": words.zone.key}, 9, muted=True)
    status = words.status(summary.status)
    if exported.outcome:
        status += ": " + words.outcome(exported.outcome)
    rows = [(_("Received"), words.day(summary.received_on)),
            (_("Category"), _(category_label(summary.category))),
            (_("Channel"), _(CHANNEL_LABELS.get(summary.channel, summary.channel))),
            (_("Status"), status)]
    if facts is not None:
        overdue = facts.next_due_on if facts.overdue else None
        rows += [
            (_("Acknowledgement (within 7 days)"), words.deadline(
                facts.acknowledged_on, facts.acknowledge_due_on, overdue,
                _("sent %(date)s, in time (due %(due)s)"), _("sent %(date)s, late (due %(due)s)"))),
            (_("Feedback to the reporter (within 90 days)"), words.deadline(
                facts.feedback_given_on, facts.feedback_due_on, overdue,
                _("given %(date)s, in time (due %(due)s)"), _("given %(date)s, late (due %(due)s)"))),
        ]
        if facts.concluded_on:
            rows.append((_("Concluded"), words.day(facts.concluded_on)))
        rows.append((_("Group"), facts.group_name or _("none")))
    rows += [(_("Assigned to"), exported.assignee_name or _("no one")),
             (_("Who may read this case"), ", ".join(name for _id, name in exported.readers) or _("no one"))]
    if exported.closed_record_basis:
        basis = exported.closed_record_basis
        since = words.day(facts.closed_record_on) if facts is not None and facts.closed_record_on else ""
        rows.append((_("Closed record"), _("closed under RSMo %(basis)s (%(reason)s) since %(date)s") % {
            "basis": basis, "reason": _(SUBSECTIONS.get(basis, "")), "date": since}))
    else:
        rows.append((_("Closed record"), _("no")))
    rows.append((_("Reporter's identity"), _("given, sealed apart; it is not in this export and opens only in the "
                                             "console, with a reason that is recorded")
                 if exported.view.files.identity_given else _("not given: the reporter is anonymous")))
    pdf.facts(rows)

    answers = exported.view.files.answers
    pdf.heading(_("Questionnaire answers"), 13)
    if answers:
        pdf.facts([(answer.question, answer.answer or _("not answered")) for answer in answers], label_width=80)
    else:
        pdf.paragraph(_("No questionnaire was answered."))

    pdf.heading(_("Report and messages"), 13)
    for item in exported.view.items:
        who = item.author_name or words.author(item.author)
        heading = _("%(n)s. %(kind)s, from %(who)s, %(date)s") % {
            "n": words.numbers[item.position], "kind": _(KIND_LABELS.get(item.kind, item.kind)), "who": who,
            "date": words.day(item.created_on)}
        pdf.paragraph(heading, 10, bold=True)
        if not item.visible_to_reporter:
            pdf.paragraph(_("INTERNAL: never shown to the reporter."), 9, bold=True)
        if item.streamed:
            pdf.paragraph(_("A file or recording: see Files below."), 9, muted=True)
        elif item.kind == "transcript_unavailable":
            pdf.paragraph(_(reason_sentence(item.text)))
        else:
            pdf.paragraph(item.text)
        if item.redacted_on:
            pdf.paragraph(_("Part of this was removed for good on %(date)s.") % {"date": words.day(item.redacted_on)},
                          8, muted=True)
        pdf.ln(1)

    pdf.heading(_("Files"), 13)
    if exported.files:
        pdf.paragraph(_("Attachments and recordings are in the case's ZIP export, with this PDF."), 9, muted=True)
        pdf.bullets([words.file_line(file) for file in exported.files], 9)
    else:
        pdf.paragraph(_("No files or recordings."))

    pdf.heading(_("Timeline"), 13)
    rows = []
    for event in exported.timeline:
        actor = words.author(event.actor) if event.actor in AUTHOR_LABELS else event.actor
        detail = words.event_detail(event)
        text = f"{label(event.action, language)} · {actor}" + (f": {detail}" if detail else "")
        rows.append((words.moment(event.recorded_at), text))
    pdf.facts(rows, label_width=55, size=9)
    return pdf.output_bytes()
