"""A reviewer plays a phone recording (issue 5): decrypted chunk by chunk as it is sent, audited as a read.

The case page links to ``/review/cases/{case_id}/recordings/{item_id}``; a browser plays ``audio/wav`` itself.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from hotline.access import reviewer
from hotline.state import app_state
from hotline.web.errors import not_found_page
from intake import recordings
from intake.errors import NotFound


async def play_recording(request: Request) -> Response:
    state = app_state(request)
    try:
        stream = await run_in_threadpool(recordings.open_recording, state.database, reviewer(request),
                                         request.path_params["case_id"], request.path_params["item_id"])
    except NotFound:
        return not_found_page(request)
    return StreamingResponse(stream.chunks, media_type=stream.content_type,
                             headers={"content-disposition": "inline", "cache-control": "no-store"})
