"""The only place that reads a client's network address (docs/design.md#threat-model-and-anonymity-rules, rule 1).

The address is turned at once into the throttle's hourly keyed hash and dropped: it is never stored, logged,
rendered or passed to ``intake``.
"""

from __future__ import annotations

import ipaddress

from starlette.requests import Request

from hotline.throttle import Throttle

IPV6_CLIENT_PREFIX = 64
# Tor's onion service hands each circuit to the proxy as this address with the circuit's number in the last 32 bits
# (HiddenServiceExportCircuitID haproxy, deploy/tor/torrc): every onion visitor would otherwise be the proxy itself,
# and one attacker could use up every Tor reporter's allowance.
ONION_CIRCUITS = ipaddress.IPv6Network("fc00:dead:beef:4dad::/96")


def client_of(address: str | None) -> str | None:
    """What a client is counted as: its IPv4 address, or its IPv6 /64. One IPv6 host is normally given a whole
    /64 and may use any address in it (RFC 4291 section 2.5.1, RFC 8981), so counting single IPv6 addresses
    would let one attacker take a fresh address, and a fresh allowance, for every guess. An onion visitor is
    counted by circuit (:data:`ONION_CIRCUITS`)."""
    try:
        parsed = ipaddress.ip_address(address or "")
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        if parsed in ONION_CIRCUITS:
            return str(parsed)
        return str(ipaddress.IPv6Network((parsed, IPV6_CLIENT_PREFIX), strict=False))
    return str(parsed)


def client_tag(request: Request, throttle: Throttle) -> bytes:
    """This client's keyed hash under ``throttle``'s hourly key."""
    return throttle.tag(client_of(request.client.host if request.client else None))


def count_attempt(request: Request, throttle: Throttle) -> float | None:
    """Count one attempt by this client; ``None`` if allowed, else seconds to wait."""
    return throttle.attempt(client_tag(request, throttle))


def waiting(request: Request, throttle: Throttle) -> float | None:
    """Seconds this client must wait before ``throttle`` allows it again, without counting; ``None``: none."""
    return throttle.waiting(client_tag(request, throttle))
