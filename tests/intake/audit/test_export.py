"""The audit chain exported with an Ed25519-signed head, checked by anyone (docs/design.md#audit-log)."""

import json

import pytest

from crypto.audit_chain import signing_public_key
from hotline.cli.main import main
from intake.audit.export import export_chain, verify_export
from intake.cities import create_city, find_city
from intake.errors import InvalidInput
from intake.reports import submission as reports

SEED = bytes(range(32))


@pytest.fixture
def exported(database, config):
    create_city(database, "raytown", "Raytown")
    for n in range(3):
        reports.submit_report(database, config, city_slug="raytown", category="safety", narrative=f"r{n}")
    return export_chain(database, find_city(database, "raytown"), SEED)


def test_an_export_verifies_and_any_change_is_named(exported):
    assert verify_export(exported, signing_public_key(SEED)).ok
    assert len(exported["entries"]) == 7
    edited = json.loads(json.dumps(exported))
    edited["entries"][3]["action"] = "case.nothing"
    verdict = verify_export(edited)
    assert not verdict.ok and verdict.first_bad_sequence == 4
    dropped = json.loads(json.dumps(exported))
    del dropped["entries"][-1]
    assert not verify_export(dropped).ok
    resigned = json.loads(json.dumps(exported))
    resigned["head"]["sequence"] = 6
    assert verify_export(resigned).problem == "the entries do not end at the signed head"
    assert verify_export(exported, bytes(32)).problem == "signed with another key than the one given"
    assert not verify_export({"format": "nonsense"}).ok


def test_a_short_key_is_refused(database, config):
    create_city(database, "raytown", "Raytown")
    with pytest.raises(InvalidInput):
        export_chain(database, find_city(database, "raytown"), b"short")


def test_the_commands_export_and_verify(database_url, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("HOTLINE_DATABASE_URL", database_url)
    monkeypatch.setenv("HOTLINE_AUDIT_SIGNING_KEY", SEED.hex())
    assert main(["db", "upgrade"]) == 0
    assert main(["city", "add", "--slug", "raytown", "--name", "Raytown"]) == 0
    out = tmp_path / "raytown-audit.json"
    assert main(["audit", "export", "--city", "raytown", "--out", str(out)]) == 0
    assert main(["audit", "public-key"]) == 0
    public = capsys.readouterr().out.strip().splitlines()[-1]
    assert public == signing_public_key(SEED).hex()
    monkeypatch.delenv("HOTLINE_DATABASE_URL")  # checking a file needs no database
    assert main(["audit", "verify", "--file", str(out), "--public-key", public]) == 0
    assert "chain intact, head signature valid under the key given" in capsys.readouterr().out
    data = json.loads(out.read_text())
    data["entries"][0]["actor"] = "someone else"
    out.write_text(json.dumps(data))
    assert main(["audit", "verify", "--file", str(out)]) == 1
    assert "BROKEN at entry 1: contents changed" in capsys.readouterr().out
    monkeypatch.setenv("HOTLINE_AUDIT_SIGNING_KEY", "not hex")
    assert main(["audit", "public-key"]) == 1
    assert "HOTLINE_AUDIT_SIGNING_KEY" in capsys.readouterr().err
