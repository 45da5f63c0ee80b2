"""Security headers on every response (docs/design.md#threat-model-and-anonymity-rules, rule 3), as a pure ASGI
middleware.

The Content-Security-Policy is at least as strict as GlobaLeaks': nothing loads unless listed, and only from
our own origin; no script at all on reporter pages, since every page works without JavaScript. The reviewer
console alone may run the service's own scripts (passkeys).

With an onion service configured, pages for reporters and departing staff reached by the ordinary address also say
``Onion-Location`` (the Tor Browser then offers the onion address), and a request that came through the onion
(its Host is the onion address) gets neither that nor HSTS: nothing in it names the ordinary host
(docs/design.md#an-onion-service).
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
# The pages the Tor Browser is pointed to the onion from: everything but the console, the phone webhooks and the
# operations endpoints.
NOT_FOR_REPORTERS = ("/review", "/voice", "/healthz", "/readyz", "/metrics", "/static")


def reporter_facing(path: str) -> bool:
    return not any(path == prefix or path.startswith(prefix + "/") for prefix in NOT_FOR_REPORTERS)


def via_onion(scope: Scope, onion_address: str) -> bool:
    if not onion_address:
        return False
    host = next((value for name, value in scope.get("headers", ()) if name == b"host"), b"")
    return host.decode("latin-1").split(":")[0].lower() == onion_address


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, hsts: bool, onion_address: str = "") -> None:
        self.app = app
        self.headers = dict(HEADERS)
        self.hsts = hsts
        self.onion_address = onion_address

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra: dict[str, str] = {}
        if via_onion(scope, self.onion_address):
            pass  # no HSTS (an onion address is reached by plain HTTP) and nothing that names the ordinary host
        else:
            if self.hsts:
                extra["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
            if self.onion_address and reporter_facing(scope.get("path", "")):
                path = (scope.get("raw_path") or scope.get("path", "/").encode()).decode("latin-1")
                query = scope.get("query_string", b"").decode("latin-1")
                extra["Onion-Location"] = f"http://{self.onion_address}{path}" + (f"?{query}" if query else "")

        console = str(scope.get("path", "")).startswith(CONSOLE_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in {**self.headers, **extra}.items():
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
