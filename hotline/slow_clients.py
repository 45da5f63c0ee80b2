"""Closing connections whose requests arrive too slowly (docs/design.md#limits-an-attacker-cannot-turn-against-users).

uvicorn waits as long as a client likes for a request's headers and body, so a few hundred clients sending a byte
a second can hold every connection the server has (the "Slowloris" attack). :func:`deadline_protocol` makes
uvicorn's h11 protocol class with two deadlines: a request's headers must arrive within ``header_seconds`` of its
first byte (or of the connection opening), and its body within ``body_seconds`` of the headers. A connection that
misses one is closed; the application, if it was already reading the body, sees the client disconnect.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

logger = logging.getLogger("hotline.slow_clients")

HEADERS = "headers"
BODY = "body"


class DeadlineH11Protocol(H11Protocol):
    header_seconds: float = 10.0
    body_seconds: float = 120.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._phase: str | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(HEADERS)  # a connection that sends nothing is closed too

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._phase is None and self.conn.their_state is h11.IDLE:
            self._arm(HEADERS)  # the first byte of the next request on a kept-alive connection
        super().data_received(data)
        self._follow_state()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._follow_state()

    def _follow_state(self) -> None:
        state = self.conn.their_state
        if state is h11.SEND_BODY:
            if self._phase != BODY:
                self._arm(BODY)
        elif state is h11.IDLE:
            # Waiting for a request: its headers are still arriving if some of them are buffered; otherwise the
            # connection is idle between requests, which uvicorn's keep-alive timeout ends.
            if not self.conn.trailing_data[0] and self._phase == HEADERS and self.cycle is not None:
                self._disarm()
        else:  # DONE, MUST_CLOSE, CLOSED, ERROR: the whole request is in
            self._disarm()

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


def deadline_protocol(header_seconds: float, body_seconds: float) -> type[DeadlineH11Protocol]:
    """uvicorn's h11 protocol with these deadlines (pass it as ``http=``)."""
    return type("HotlineH11Protocol", (DeadlineH11Protocol,), {"header_seconds": float(header_seconds),
                                                               "body_seconds": float(body_seconds)})
