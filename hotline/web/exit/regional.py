"""MARC's regional view of published exit-interview figures (docs/design.md#exit-interviews). Figures only, never a
response.

Only the regional coordinator's city-less session (role "coordinator") reaches it; the intake service
checks Reviewer.regional_coordinator again (intake.exit.regional.require_regional_coordinator).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from hotline.access import reviewer
from hotline.rendering import render
from hotline.state import app_state
from hotline.web.exit.hr import cell_text
from intake.exit import regional as exit_regional


async def regional(request: Request) -> Response:
    state, context = app_state(request), reviewer(request)
    quarter = request.query_params.get("quarter", "")[:7] or None
    view = await run_in_threadpool(lambda: exit_regional.regional_view(state.database, context.reviewer_id,
                                                                       quarter))
    return render(request, "exit/regional.html", {"context": context, "view": view, "cell_text": cell_text})
