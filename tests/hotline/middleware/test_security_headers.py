"""docs/design.md#threat-model-and-anonymity-rules as tests: headers on every response, no cookie for reporters,
reviewer CSRF, session cookie attributes, and no client address in any log line."""

import logging
import re

import pytest

from hotline.middleware.security_headers import CONSOLE_CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY
from tests.hotline.conftest import hidden, sign_in, submit_report

REPORTER_PAGES = ["/", "/report/raytown", "/follow-up", "/nowhere", "/exit"]


@pytest.mark.parametrize("path", REPORTER_PAGES)
def test_every_page_has_the_security_headers(client, path):
    response = client.get(path)
    csp = response.headers["content-security-policy"]
    for directive in ("default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"):
        assert directive in csp
    assert "script-src" not in csp  # no script is allowed at all
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert "server" not in response.headers
    assert csp == CONTENT_SECURITY_POLICY


def test_the_console_alone_may_run_its_own_script(client):
    """Passkeys need the WebAuthn API: console pages allow scripts from this origin only, and load only ours."""
    page = client.get("/review/sign-in")
    assert page.headers["content-security-policy"] == CONSOLE_CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONSOLE_CONTENT_SECURITY_POLICY and "unsafe" not in CONSOLE_CONTENT_SECURITY_POLICY
    assert re.findall(r"<script[^>]*>", page.text) == ['<script src="/static/passkeys.js" defer>']
    for path in REPORTER_PAGES:
        assert "<script" not in client.get(path).text, path


def test_reporter_pages_set_no_cookie_and_load_nothing_from_elsewhere(client):
    key = submit_report(client, "raytown", "text")
    token = hidden(client.get("/follow-up").text, "form_token")
    pages = [client.get(path) for path in REPORTER_PAGES[:3]]
    pages.append(client.post("/follow-up", data={"form_token": token, "report_key": key}))
    for page in pages:
        assert "set-cookie" not in page.headers
        assert "<script" not in page.text.lower()
        for url in re.findall(r'(?:src|href|action)="([^"]*)"', page.text):
            assert url.startswith(("/", "#")) and not url.startswith("//"), url


def test_session_cookie_is_host_only_secure_httponly_strict(client, seeded):
    response = sign_in(client, seeded.logins["raytown"])
    cookie = response.history[0].headers["set-cookie"]
    assert cookie.startswith("__Host-hotline-session=")
    for attribute in ("Secure", "HttpOnly", "SameSite=strict", "Path=/"):
        assert attribute.lower() in cookie.lower()
    assert "max-age" not in cookie.lower() and "expires" not in cookie.lower()  # ends with the browser session
    assert "domain" not in cookie.lower()


def test_reviewer_posts_need_the_session_csrf_token(client, seeded):
    submit_report(client, "raytown", "text")
    sign_in(client, seeded.logins["raytown"])
    case_path = re.search(r'href="(/review/cases/[0-9a-f]{32})"', client.get("/review/").text).group(1)
    for data in ({"reply": "x"}, {"reply": "x", "csrf_token": "forged"}):
        assert client.post(case_path + "/reply", data=data).status_code == 403
    assert "x" not in [item for item in re.findall(r'<div class="text">([^<]*)</div>', client.get(case_path).text)]


def test_wrong_or_missing_session_goes_back_to_sign_in(client):
    for cookie in (None, "junk", "a.b"):
        if cookie:
            client.cookies.set("__Host-hotline-session", cookie)
        response = client.get("/review/", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/review/sign-in"


def test_wrong_password_is_refused_plainly(client, seeded):
    response = sign_in(client, seeded.logins["raytown"], "not the password at all")
    assert response.status_code == 400 and "Wrong email, password or code" in response.text


def test_no_client_address_in_any_log_line(client, seeded, caplog):
    caplog.set_level(logging.DEBUG)
    address = "203.0.113.77"  # TEST-NET-3 (RFC 5737)
    headers = {"x-forwarded-for": address, "user-agent": "Marker-Agent/1.0", "x-real-ip": address}
    client.headers.update(headers)
    key = submit_report(client, "raytown", "a narrative")
    client.post("/follow-up", data={"form_token": hidden(client.get("/follow-up").text, "form_token"),
                                    "report_key": key})
    sign_in(client, seeded.logins["raytown"])
    client.get("/review/")
    client.get("/does-not-exist")
    text = "\n".join(record.getMessage() + " " + str(getattr(record, "fields", "")) for record in caplog.records)
    assert any(record.name == "hotline.access" for record in caplog.records)
    for forbidden in (address, "testclient", "Marker-Agent", "a narrative", key):
        assert forbidden not in text
