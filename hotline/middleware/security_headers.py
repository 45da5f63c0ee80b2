"""Security headers on every response (docs/design.md#threat-model-and-anonymity-rules, rule 3), as a pure ASGI
middleware.

The Content-Security-Policy is at least as strict as GlobaLeaks': nothing loads unless listed, and only from
our own origin; no script at all on reporter pages, since every page works without JavaScript. The reviewer
console alone may run the service's own scripts (passkeys).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; media-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)

# The reviewer console may run our own scripts (passkeys need the WebAuthn API) and call back to us; reporter pages
# never run any (docs/design.md#account-keys-and-passkeys).
CONSOLE_PREFIX = "/review/"
CONSOLE_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY + "; script-src 'self'; connect-src 'self'"

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
    # Pages may hold a report key or a decrypted report: never keep them in any cache.
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
}


OWN_RULES = frozenset({"Cache-Control", "Content-Security-Policy", "Permissions-Policy"})


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.headers = dict(HEADERS)
        if hsts:
            self.headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        console = str(scope.get("path", "")).startswith(CONSOLE_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    if name in OWN_RULES and name in headers:
                        # A static file's own caching rule stands; so do the script and microphone rules of the
                        # demo's call simulator, the one page that sets them (hotline/web/demo_phone.py).
                        continue
                    headers[name] = value
                if console:
                    headers["Content-Security-Policy"] = CONSOLE_CONTENT_SECURITY_POLICY
                if "server" in headers:
                    del headers["server"]
            await send(message)

        await self.app(scope, receive, send_with_headers)
