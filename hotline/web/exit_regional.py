"""MARC's regional view of published exit-interview figures (issue 6). Figures only, never a response.

Only the regional coordinator's city-less session (issue 4, role "coordinator") reaches it; the intake service
checks Reviewer.regional_coordinator again (intake.exit.regional.require_regional_coordinator).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from hotline.access import reviewer, reviewer_route
from hotline.rendering import render
from hotline.state import app_state
from hotline.web.errors import not_found_page
from hotline.web.exit_hr import cell_text
from intake.accounts.reviewers import ROLE_COORDINATOR
from intake.errors import NotFound
from intake.exit import regional as exit_regional


def routes() -> list[BaseRoute]:
    return [reviewer_route("/review/exit-regional", regional, roles=(ROLE_COORDINATOR,))]


async def regional(request: Request) -> Response:
    state, context = app_state(request), reviewer(request)
    quarter = request.query_params.get("quarter", "")[:7] or None
    try:
        view = await run_in_threadpool(lambda: exit_regional.regional_view(state.database, context.reviewer_id,
                                                                           quarter))
    except NotFound:
        return not_found_page(request)
    return render(request, "exit/regional.html", {"context": context, "view": view, "cell_text": cell_text})
