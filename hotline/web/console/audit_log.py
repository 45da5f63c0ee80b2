"""The city's audit log, for auditors and admins (read-only): filtered by what happened, who and which days,
paged by entry number, in words and the city's time (hotline.audit_words, intake.audit.viewer)."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from hotline.access import reviewer
from hotline.audit_words import AuditWords
from hotline.i18n import language_of, needs_explicit_language, with_language
from hotline.rendering import render, translation
from hotline.state import app_state
from intake.audit.viewer import AuditQuery, audit_page, parse_query
from intake.errors import InvalidInput

FILTERS = ("action", "person", "since", "until")


async def audit_log(request: Request) -> Response:
    state, context = app_state(request), reviewer(request)
    language = language_of(request)
    zone = state.settings.time_zone_of(context.city_slug)
    words = AuditWords(translation(request), language, zone)
    params = {name: value[:64] for name, value in request.query_params.items()}
    typed = {name: params.get(name, "") for name in ("since", "until")}
    try:
        query = parse_query(params)
    except InvalidInput as invalid:
        return render(request, "reviewer/audit.html", {
            "context": context, "data": None, "problems": invalid.problems, "query": AuditQuery(),
            "actions": words.action_choices(), "people": (), **typed}, status_code=400)
    data = await run_in_threadpool(lambda: audit_page(state.database, context, query, zone=zone))

    def page_link(**cursor: int) -> str:
        kept = [(name, params[name]) for name in FILTERS if params.get(name)]
        return with_language("/review/audit?" + urlencode([*kept, *cursor.items()]), language,
                             explicit=needs_explicit_language(request))

    return render(request, "reviewer/audit.html", {
        "context": context, "data": data, "rows": words.entries(data.rows), "query": query,
        "actions": words.action_choices(), "people": [(actor, words.text(name)) for actor, name in data.people],
        "page_link": page_link, "since": query.since.isoformat() if query.since else "",
        "until": query.until.isoformat() if query.until else ""})
