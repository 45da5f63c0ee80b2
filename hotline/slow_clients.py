"""Closing connections whose requests arrive too slowly, or whose heads are too large
(docs/design.md#limits-an-attacker-cannot-turn-against-users).

uvicorn waits as long as a client likes for a request's headers and body, so a few hundred clients sending a byte
a second can hold every connection the server has (the "Slowloris" attack). :func:`deadline_protocol` makes
uvicorn's httptools protocol class with two deadlines: a request's headers must arrive within ``header_seconds`` of
its first byte (or of the connection opening), and its body within ``body_seconds`` of the headers. A connection
that misses one is closed; the application, if it was already reading the body, sees the client disconnect.

httptools (llhttp, the parser of Node.js) rather than h11: it parses in C, and took a sixth of the event loop's CPU
off every report under ``hotline bench intake`` (3.2 to 2.7 ms a report). Unlike h11, uvicorn's httptools protocol
sets no bound on a request's head, so this one does: a request line and headers over ``head_bytes`` (16 KiB, h11's
bound in uvicorn) are answered 400 and the connection closed, before they are kept.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

logger = logging.getLogger("hotline.slow_clients")

HEADERS = "headers"
BODY = "body"
HEAD_BYTES = 16 * 1024


class DeadlineProtocol(HttpToolsProtocol):
    header_seconds: float = 10.0
    body_seconds: float = 120.0
    head_bytes: int = HEAD_BYTES

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._phase: str | None = None
        self._head_size = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(HEADERS)  # a connection that sends nothing is closed too

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        # Bytes that arrive while no body is being read belong to a request's head. httptools keeps a header's
        # name and value whole until the header ends, so the head is bounded here, before the parser sees more of
        # it than it may keep: at most ``head_bytes`` are fed at once until the headers are complete.
        while data and not self.transport.is_closing():
            if self._phase == BODY:
                super().data_received(data)
                return
            room = self.head_bytes - self._head_size
            if room <= 0:
                logger.info("request head too large, connection closed")
                self.send_400_response("Request head too large.")
                return
            fed, data = data[:room], data[room:]
            self._head_size += len(fed)
            super().data_received(fed)

    # The parser's callbacks, in the order llhttp calls them for each request.

    def on_message_begin(self) -> None:
        if self._phase is None:
            self._arm(HEADERS)  # the first byte of the next request on a kept-alive connection
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._head_size = 0
        super().on_headers_complete()
        self._arm(BODY)

    def on_message_complete(self) -> None:
        self._disarm()  # the whole request is in
        super().on_message_complete()

    def _arm(self, phase: str) -> None:
        self._disarm()
        self._phase = phase
        seconds = self.header_seconds if phase == HEADERS else self.body_seconds
        self._deadline = self.loop.call_later(seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline, self._phase = None, None

    def _too_slow(self) -> None:
        # Nothing about the client is logged (docs/design.md#threat-model-and-anonymity-rules, rule 1).
        logger.info("request too slow, connection closed", extra={"fields": {"phase": self._phase}})
        self._deadline = None
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.disconnected = True
            self.cycle.message_event.set()
        self.transport.close()


def deadline_protocol(header_seconds: float, body_seconds: float) -> type[DeadlineProtocol]:
    """uvicorn's httptools protocol with these deadlines (pass it as ``http=``)."""
    return type("HotlineHttpProtocol", (DeadlineProtocol,), {"header_seconds": float(header_seconds),
                                                             "body_seconds": float(body_seconds)})
