"""The inbox: the cases this reviewer may read, filtered, sorted, paged and counted (intake.casework.inbox)."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from hotline.access import reviewer
from hotline.rendering import render, translation
from hotline.state import app_state
from intake.accounts.sessions import cities_of
from intake.case_status import STATUSES
from intake.casework.inbox import InboxFilter, inbox_choices, list_inbox, parse_filter
from intake.categories import DEFAULT_CATEGORIES
from intake.reports.submission import CHANNELS


async def inbox(request: Request) -> Response:
    state, context = app_state(request), reviewer(request)
    wanted = parse_filter(dict(request.query_params))
    listing = await run_in_threadpool(list_inbox, state.database, context, wanted)
    choices = await run_in_threadpool(inbox_choices, state.database, context)
    translate = translation(request)  # a built-in group's name is stored in English (intake.routing.DEFAULT_GROUPS)
    choices = replace(choices, groups=tuple((group_id, translate(name) if name else name)
                                            for group_id, name in choices.groups))
    cities = await run_in_threadpool(cities_of, state.database, context.reviewer_id)

    def link(**changes: object) -> str:
        return "/review/?" + urlencode(listing.filter.query_items(**changes))

    return render(request, "reviewer/inbox.html", {
        "context": context, "listing": listing, "choices": choices, "cities": cities, "link": link,
        "statuses": STATUSES, "categories": DEFAULT_CATEGORIES, "channels": CHANNELS,
        "names": dict(choices.assignees), "wanted": listing.filter, "InboxFilter": InboxFilter,
    })
