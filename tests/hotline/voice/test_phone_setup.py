"""Setting the phone side up: numbers per city and voice disguise from the command line, audited; the
Twilio settings refuse half or malformed configurations in one sentence."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from hotline.cli.main import main
from hotline.settings import Settings, SettingsError
from intake.models import AuditEntry
from tests.hotline.voice.twilio_calls import ACCOUNT_SID

BASE = {"HOTLINE_PEPPER": "p" * 40, "HOTLINE_SESSION_KEY": "s" * 40}


def test_numbers_and_disguise_from_the_command_line(database_url, monkeypatch, capsys):
    monkeypatch.setenv("HOTLINE_DATABASE_URL", database_url)
    assert main(["db", "upgrade"]) == 0
    assert main(["city", "add", "--slug", "raytown", "--name", "Raytown"]) == 0
    capsys.readouterr()
    assert main(["phone", "add-number", "--city", "raytown", "--number", "+1 (816) 555-0111"]) == 0
    assert "+18165550111 now go to Raytown" in capsys.readouterr().out
    assert main(["phone", "numbers", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"numbers": [{"number": "+18165550111", "city": "raytown",
                                                                    "purpose": "reports"}]}
    assert main(["phone", "add-number", "--city", "raytown", "--number", "+18165550111"]) == 1
    assert "already belongs" in capsys.readouterr().err
    assert main(["phone", "add-number", "--city", "raytown", "--number", "555-0111"]) == 1
    assert "international form" in capsys.readouterr().err
    assert main(["phone", "add-number", "--city", "atlantis", "--number", "+18165550112"]) == 1
    assert main(["phone", "disguise", "--city", "raytown", "off"]) == 0
    assert main(["phone", "remove-number", "--number", "+18165550111"]) == 0
    assert main(["phone", "remove-number", "--number", "+18165550111"]) == 1
    capsys.readouterr()
    assert main(["audit", "verify", "--city", "raytown"]) == 0
    from intake.db import Database

    database = Database(database_url)
    with database.read() as session:
        actions = [entry.action for entry in session.exec(select(AuditEntry)).all()]
    database.dispose()
    assert {"phone.number_added", "phone.voice_disguise_changed", "phone.number_removed"} <= set(actions)


@pytest.mark.parametrize(("environ", "words"), [
    ({"HOTLINE_TWILIO_ACCOUNT_SID": ACCOUNT_SID}, "both"),
    ({"HOTLINE_TWILIO_AUTH_TOKEN": "t" * 32}, "both"),
    ({"HOTLINE_TWILIO_ACCOUNT_SID": "AC123", "HOTLINE_TWILIO_AUTH_TOKEN": "t" * 32}, "account SID"),
    ({"HOTLINE_PHONE_SHARED_NUMBER": "816-555-0100"}, "international form"),
    ({"HOTLINE_PHONE_MAX_RECORDING_SECONDS": "5"}, "between 10 and 14400"),
    ({"HOTLINE_TWILIO_API_BASE_URL": "ftp://x"}, "https://"),
])
def test_half_or_malformed_phone_settings_are_refused(environ, words):
    with pytest.raises(SettingsError, match=words):
        Settings.from_env({**BASE, **environ}).check()


def test_the_auth_token_can_come_from_a_file(tmp_path):
    token = tmp_path / "token"
    token.write_text("t" * 32 + "\n")
    settings = Settings.from_env({**BASE, "HOTLINE_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                                  "HOTLINE_TWILIO_AUTH_TOKEN_FILE": str(token)})
    settings.check()
    assert settings.phone_enabled and settings.twilio_auth_token == b"t" * 32
    assert "t" * 32 not in repr(settings)
