"""Every setting is documented (a test fails when one is not), and weak secrets stop start-up."""

import dataclasses
import json
from pathlib import Path

import pytest

from hotline.settings import Settings, SettingsError

DOCS = (Path(__file__).resolve().parents[2] / "docs" / "settings.md").read_text()


@pytest.mark.parametrize("name", [f.name for f in dataclasses.fields(Settings)])
def test_every_setting_is_documented(name):
    assert f"`HOTLINE_{name.upper()}`" in DOCS


def test_secrets_come_from_the_environment_or_files(tmp_path):
    secret_file = tmp_path / "pepper"
    secret_file.write_text("f" * 40 + "\n")
    settings = Settings.from_env({"HOTLINE_PEPPER_FILE": str(secret_file), "HOTLINE_SESSION_KEY": "s" * 40,
                                  "HOTLINE_PORT": "9000", "HOTLINE_DEMO": "yes"})
    assert settings.pepper == b"f" * 40 and settings.port == 9000 and settings.demo is True
    settings.check()


@pytest.mark.parametrize("environ", [
    {},
    {"HOTLINE_PEPPER": "short", "HOTLINE_SESSION_KEY": "s" * 40},
    {"HOTLINE_PEPPER": "s" * 40, "HOTLINE_SESSION_KEY": "s" * 40},
    {"HOTLINE_PEPPER": "p" * 40, "HOTLINE_SESSION_KEY": "s" * 40, "HOTLINE_PUBLIC_URL": "ftp://x"},
    # Below DEBUG, uvicorn logs each connection's client address and the request headers (found by the
    # confidentiality scan, tests/e2e/test_confidentiality_scan.py, run with HOTLINE_LOG_LEVEL=notset); "trace"
    # crashed at start-up with a traceback.
    {"HOTLINE_PEPPER": "p" * 40, "HOTLINE_SESSION_KEY": "s" * 40, "HOTLINE_LOG_LEVEL": "notset"},
    {"HOTLINE_PEPPER": "p" * 40, "HOTLINE_SESSION_KEY": "s" * 40, "HOTLINE_LOG_LEVEL": "trace"},
])
def test_weak_or_missing_secrets_are_refused(environ):
    with pytest.raises(SettingsError):
        Settings.from_env(environ).check()


def test_bad_values_and_unreadable_files_are_one_sentence():
    with pytest.raises(SettingsError, match="HOTLINE_PORT"):
        Settings.from_env({"HOTLINE_PORT": "eighty"})
    with pytest.raises(SettingsError, match="cannot be read"):
        Settings.from_env({"HOTLINE_PEPPER_FILE": "/nonexistent/pepper"})


def test_the_documented_log_levels_are_accepted_in_any_case():
    for level in ("debug", "INFO", "Warning", "error"):
        Settings.from_env({"HOTLINE_PEPPER": "p" * 40, "HOTLINE_SESSION_KEY": "s" * 40,
                           "HOTLINE_LOG_LEVEL": level}).check()


SECRETS = {"HOTLINE_PEPPER": "p" * 40, "HOTLINE_SESSION_KEY": "s" * 40}


@pytest.mark.parametrize("public_url", ["https://hotline.example.org", "http://hotline.example.org",
                                        "https://127.0.0.1:8443", "http://10.0.0.5:8000"])
def test_the_test_kdf_is_refused_outside_the_test_suites_address(public_url):
    """Only a plain-HTTP address on this machine (how the suite serves) accepts the cheap test KDF; anywhere else
    start-up and every command that derives a key stop with one sentence (docs/design.md#cryptography)."""
    settings = Settings.from_env({**SECRETS, "HOTLINE_PUBLIC_URL": public_url, "HOTLINE_INSECURE_TEST_KDF": "1"})
    for check in (settings.check, settings.intake_config):
        with pytest.raises(SettingsError) as refused:
            check()
        message = str(refused.value)
        assert message.startswith("HOTLINE_INSECURE_TEST_KDF is for the test suite only") and message.count(". ") == 0
    # Without the flag the same address is fine, and production costs are used.
    production = Settings.from_env({**SECRETS, "HOTLINE_PUBLIC_URL": public_url})
    production.check()
    assert production.intake_config().reviewer_kdf.memory_kib == 64 * 1024


@pytest.mark.parametrize("public_url", ["http://127.0.0.1:8000", "http://localhost:8443", "http://[::1]:9000"])
def test_the_test_kdf_is_accepted_where_the_suite_serves(public_url):
    settings = Settings.from_env({**SECRETS, "HOTLINE_PUBLIC_URL": public_url, "HOTLINE_INSECURE_TEST_KDF": "1"})
    settings.check()
    assert settings.intake_config().reviewer_kdf.memory_kib == 256


def test_session_lifetime_is_checked():
    assert Settings.from_env(SECRETS).intake_config().session_max_seconds == 12 * 3600
    for hours in ("0", "169"):
        with pytest.raises(SettingsError, match="HOTLINE_SESSION_MAX_HOURS"):
            Settings.from_env({**SECRETS, "HOTLINE_SESSION_MAX_HOURS": hours}).check()


def test_single_sign_on_providers_are_read_from_a_file_with_their_secrets_in_files_of_their_own(tmp_path):
    secret = tmp_path / "entra-secret"
    secret.write_text("the-client-secret\n")
    providers = tmp_path / "providers.json"
    base = Settings(pepper=b"p" * 40, session_key=b"s" * 40, oidc_providers_file=str(providers))
    entry = {"name": "raytown-entra", "label": "Raytown", "issuer": "https://login.example.org/t/v2.0",
             "client_id": "app", "client_secret_file": str(secret), "cities": ["raytown"]}
    providers.write_text(json.dumps({"providers": [entry]}))
    base.check()
    (provider,) = base.oidc_providers()
    assert provider.client_secret == b"the-client-secret" and provider.cities == ("raytown",)
    assert "the-client-secret" not in repr(provider)
    for broken, words in (({**entry, "issuer": "http://login.example.org"}, "https://"),
                          ({**entry, "name": "Raytown Entra"}, "lower-case"),
                          ({**entry, "client_secret_file": str(tmp_path / "missing")}, "cannot be read"),
                          ({**entry, "client_id": ""}, "client_id"),
                          ({**entry, "cities": "raytown"}, "list of city slugs")):
        providers.write_text(json.dumps({"providers": [broken]}))
        with pytest.raises(SettingsError, match=words):
            base.check()
    providers.write_text("not json")
    with pytest.raises(SettingsError, match="JSON"):
        base.check()


def test_no_proxy_is_trusted_unless_named():
    assert Settings().trusted_proxy_list() == []
    assert Settings(trusted_proxies="10.0.0.5, 172.18.0.0/16").trusted_proxy_list() == ["10.0.0.5", "172.18.0.0/16"]
    with pytest.raises(SettingsError, match="HOTLINE_TRUSTED_PROXIES"):
        Settings(pepper=b"p" * 40, session_key=b"s" * 40, trusted_proxies="*").check()
