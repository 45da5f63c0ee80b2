"""Streamed downloads that cannot look whole when they are not (docs/design.md#streaming).

Files, recordings and ZIP exports are decrypted as they are sent, one authenticated chunk at a time, so a
download may already be under way when a later chunk fails to open (a truncated or altered row). Every one is
therefore sent with ``Content-Length`` set to the true plaintext length, and a stream that fails part-way, or
would give fewer or more bytes than that, is aborted: the exception reaches the server, which closes the
connection short of the announced length, and the browser reports a failed download instead of saving a short
file. The first chunk is opened before anything is sent, so a stream broken from the start is an error page.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping

from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.responses import StreamingResponse

logger = logging.getLogger("hotline.downloads")


class StreamCutShort(Exception):
    """A streamed download gave a different number of bytes from its announced length."""


def _exactly(first: bytes, rest: Iterator[bytes], size: int) -> Iterator[bytes]:
    sent = 0
    try:
        for chunk in _chain(first, rest):
            sent += len(chunk)
            if sent > size:
                raise StreamCutShort("more bytes than the announced length")
            yield chunk
        if sent != size:
            raise StreamCutShort("fewer bytes than the announced length")
    except Exception as error:
        # Logged by type only (docs/design.md#threat-model-and-anonymity-rules, rule 1); re-raised so the server
        # aborts the connection instead of ending the body as if it were complete.
        logger.warning("download aborted", extra={"fields": {"error": type(error).__name__, "sent": sent,
                                                             "length": size}})
        raise


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


async def streamed_download(chunks: Iterator[bytes], size: int, *, media_type: str,
                            headers: Mapping[str, str]) -> StreamingResponse:
    """A response streaming ``chunks`` (plaintext, each authenticated before it is yielded) that must add up to
    ``size`` bytes: announced as Content-Length, and aborted short of it if they do not."""
    first = await run_in_threadpool(next, chunks, b"")
    return StreamingResponse(iterate_in_threadpool(_exactly(first, chunks, size)), media_type=media_type,
                             headers={**headers, "Content-Length": str(size)})
