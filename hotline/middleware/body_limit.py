"""Refuse request bodies over a size limit while they stream, before anything parses or stores them."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int, max_upload_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # Posts with files (multipart/form-data) may carry attachments up to their own limits, which
        # hotline.uploads enforces per file and per post as they stream; this is the outer bound.
        self.max_upload_bytes = max(max_bytes, max_upload_bytes or 0)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        for name, value in scope["headers"]:
            if name == b"content-type" and value.lower().startswith(b"multipart/form-data"):
                limit = self.max_upload_bytes
        spanish = b"lang=es" in scope.get("query_string", b"")  # refused before the app: the language is read here
        for name, value in scope["headers"]:
            if name == b"content-length" and (not value.isdigit() or int(value) > limit):
                await _refuse(send, spanish)
                return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _refuse(send, spanish)


async def _refuse(send: Send, spanish: bool = False) -> None:
    body = (b"<!doctype html><html lang=\"en\"><title>Too large</title><h1>What you sent is too large</h1>"
            b"<p>Nothing was stored. Shorten it and try again.</p></html>")
    if spanish:
        body = ("<!doctype html><html lang=\"es\"><title>Demasiado grande</title><h1>Lo que envi\u00f3 es "
                "demasiado grande</h1><p>No se guard\u00f3 nada. Ac\u00f3rtelo e int\u00e9ntelo de nuevo.</p>"
                "</html>").encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"text/html; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
