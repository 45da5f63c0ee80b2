"""A client is counted by its IPv4 address or its IPv6 /64: a host that may use any address of its /64
gets one allowance, not one per address."""

from __future__ import annotations

from starlette.requests import Request

from hotline.client_address import client_of, count_attempt
from hotline.throttle import Throttle


def request_from(host: str) -> Request:
    return Request({"type": "http", "method": "POST", "path": "/", "headers": [], "client": (host, 40000)})


def test_an_ipv6_client_is_its_64_and_an_ipv4_mapped_one_its_ipv4_address() -> None:
    assert client_of("2001:db8:7:7:1:2:3:4") == client_of("2001:db8:7:7:ffff::9") == "2001:db8:7:7::/64"
    assert client_of("2001:db8:7:8::1") != client_of("2001:db8:7:7::1")
    assert client_of("::ffff:203.0.113.7") == client_of("203.0.113.7") == "203.0.113.7"
    assert client_of("203.0.113.8") != client_of("203.0.113.7")
    assert client_of(None) is None and client_of("not an address") == "not an address"


def test_fresh_addresses_of_one_64_share_one_allowance() -> None:
    throttle = Throttle(3, 600)
    answers = [count_attempt(request_from(f"2001:db8:7:7::{n:x}"), throttle) for n in range(1, 6)]
    assert answers[:3] == [None, None, None] and all(wait is not None for wait in answers[3:])
    assert count_attempt(request_from("2001:db8:7:8::1"), throttle) is None
