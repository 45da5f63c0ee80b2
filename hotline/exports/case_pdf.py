"""A case as a PDF: its facts, every item the reviewer can read (redactions already applied), the timeline."""

from __future__ import annotations

from hotline.exports.pdf import Document
from intake.casework.export import CaseExport
from intake.categories import category_label
from intake.phone.transcription import reason_sentence

KIND_LABELS = {"report": "Report", "reporter_message": "Message from the reporter", "reviewer_reply": "Reply",
               "information_request": "Request for information", "internal_note": "Internal note",
               "transcript": "Machine transcript (contains errors)", "transcript_unavailable": "Transcript unavailable"}


def case_pdf(exported: CaseExport, font_path: str = "") -> bytes:
    summary = exported.view.summary
    pdf = Document(font_path, title=f"Case #{summary.number}",
                   footer_text=f"{exported.city_name} · case #{summary.number} · confidential")
    pdf.heading(f"{exported.city_name}: case #{summary.number}")
    rows = [("Received", summary.received_on.isoformat()), ("Category", category_label(summary.category)),
            ("Channel", summary.channel), ("Status", summary.status)]
    if exported.outcome:
        rows.append(("Outcome", exported.outcome))
    if exported.closed_record_basis:
        rows.append(("Closed record", f"RSMo {exported.closed_record_basis}"))
    pdf.facts(rows)
    pdf.heading("Report and messages", 13)
    for item in exported.view.items:
        label = KIND_LABELS.get(item.kind, item.kind.replace("_", " ").capitalize())
        who = item.author_name or item.author
        extra = "" if item.visible_to_reporter else " (internal: never shown to the reporter)"
        pdf.paragraph(f"{label}, {who}, {item.created_on.isoformat()}{extra}", 10, bold=True)
        if item.streamed:
            pdf.paragraph("[a file or recording: in the case's ZIP export]")
        elif item.kind == "transcript_unavailable":
            pdf.paragraph(reason_sentence(item.text))
        else:
            pdf.paragraph(item.text)
        if item.redacted_on:
            pdf.paragraph(f"Redacted on {item.redacted_on.isoformat()}.", 8)
    pdf.heading("Timeline", 13)
    for event in exported.timeline:
        detail = ", ".join(f"{k}: {v}" for k, v in event.detail.items() if v is not None)
        pdf.paragraph(f"{event.recorded_at}  {event.actor}  {event.action}" + (f" ({detail})" if detail else ""), 9)
    return pdf.output_bytes()
