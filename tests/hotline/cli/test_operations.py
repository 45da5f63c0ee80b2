"""The operator's commands, run as the operator runs them: key rotation killed half-way and resumed,
recovery, retention, backup and restore, and start-up refusing bad input in one sentence."""

import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import select

from hotline.bench.rotation import PASSWORD, REVIEWER_EMAIL, every_case_opens, seed_city
from hotline.cli.main import main
from intake.accounts.reviewers import sign_in
from intake.accounts.sessions import resume_session, start_session
from intake.casework import redaction
from intake.db import Database
from intake.items import text_for_city
from intake.keys.rotation import rotation_status
from intake.models import CaseItem, ResealedCityKey
from intake.operations.migrate import upgrade

ROOT = Path(__file__).resolve().parents[3]


def hotline_env(database_url: str) -> dict[str, str]:
    return {"HOTLINE_DATABASE_URL": database_url, "HOTLINE_PEPPER": "p" * 40, "HOTLINE_SESSION_KEY": "s" * 40,
            "HOTLINE_INSECURE_TEST_KDF": "1"}


def reviewer_context(database, seeded):
    signed_in = sign_in(database, seeded.config, REVIEWER_EMAIL, PASSWORD)
    return resume_session(database, seeded.config, start_session(database, signed_in,
                                                                  signed_in.memberships[0].city_id))


def case_items(database):
    with database.read() as session:
        return list(session.exec(select(CaseItem)).all())


def test_key_rotation_survives_sigkill_half_way_and_every_case_still_opens(database_url, tmp_path):
    database = Database(database_url)
    seeded = seed_city(database, "raytown", 400)
    key_file = tmp_path / "recovery-key"
    key_file.write_text(seeded.recovery_key + "\n")
    command = [sys.executable, "-m", "hotline", "key", "rotate", "--city", "raytown", "--recovery-key-file",
               str(key_file), "--batch-size", "5", "--json"]
    env = {**os.environ, **hotline_env(database_url)}
    rotation = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = rotation_status(database, "raytown")
        if status.items_resealed >= 100:
            break
        assert rotation.poll() is None, rotation.stderr.read()
        time.sleep(0.01)
    rotation.send_signal(signal.SIGKILL)
    rotation.wait()
    killed = rotation_status(database, "raytown")
    assert killed.running and 100 <= killed.items_resealed < killed.items_total == 400
    # Between the killed run and the one that resumes it, a reviewer redacts an item already re-sealed.
    with database.read() as session:
        staged = session.exec(select(ResealedCityKey.item_id).limit(1)).one()
    reviewer = reviewer_context(database, seeded)
    item = next(row for row in case_items(database) if row.id == staged)
    number = text_for_city(item, reviewer.city_private_key).rsplit(" ", 1)[1]
    redaction.redact_passage(database, reviewer, item.case_id, item.id, f" {number}")

    resumed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)

    assert resumed.returncode == 0, resumed.stderr
    result = json.loads(resumed.stdout)
    assert result["resumed"] and result["items"] == 400 and result["to_version"] == 2
    assert result["reviewers_granted"] == 1 and result["reviewers_unreachable"] == []
    assert result["changed_meanwhile"] == 1 and result["recovery_key"]
    assert not rotation_status(database, "raytown").running
    assert every_case_opens(database, seeded) == 400
    with database.read() as session:
        assert "[redacted]" in text_for_city(session.get(CaseItem, staged), signed_in_key(database, seeded))
    database.dispose()


def signed_in_key(database, seeded):
    return sign_in(database, seeded.config, REVIEWER_EMAIL, PASSWORD).memberships[0].city_private_key


def test_key_rotate_prints_a_new_recovery_key_and_the_old_one_is_refused_by_name(database_url, monkeypatch,
                                                                                  capsys, tmp_path):
    for name, value in hotline_env(database_url).items():
        monkeypatch.setenv(name, value)
    database = Database(database_url)
    seeded = seed_city(database, "raytown", 3)
    old_key = tmp_path / "old-key"
    old_key.write_text(seeded.recovery_key)

    assert main(["key", "rotate", "--city", "raytown", "--recovery-key-file", str(old_key), "--no-progress"]) == 0

    out = capsys.readouterr().out
    printed = re.search(r"New recovery key \(shown once; print it and keep it offline\): ([A-Z2-7-]{64})", out)
    assert printed, out
    assert seeded.recovery_key not in out and "The old recovery key opens nothing any more" in out
    new_key = tmp_path / "new-key"
    new_key.write_text(printed.group(1))
    monkeypatch.setattr("sys.stdin", io.StringIO("every password was lost\n"))
    assert main(["key", "recover", "--city", "raytown", "--email", "admin@raytown.example", "--name", "Admin",
                 "--recovery-key-file", str(old_key), "--password-stdin"]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "Traceback" not in error
    assert "That recovery key of Raytown was replaced when the city key was rotated on " in error
    assert "(key version 2): use the recovery key that rotation printed." in error
    monkeypatch.setattr("sys.stdin", io.StringIO("every password was lost\n"))
    assert main(["key", "recover", "--city", "raytown", "--email", "admin@raytown.example", "--name", "Admin",
                 "--recovery-key-file", str(new_key), "--password-stdin"]) == 0
    assert "is admin of raytown again" in capsys.readouterr().out
    # A rotation with the old key fails the same way; --keep-recovery-key keeps the new one working.
    assert main(["key", "rotate", "--city", "raytown", "--recovery-key-file", str(old_key), "--no-progress"]) == 1
    assert "was replaced when the city key was rotated" in capsys.readouterr().err
    assert main(["key", "rotate", "--city", "raytown", "--recovery-key-file", str(new_key), "--no-progress",
                 "--keep-recovery-key"]) == 0
    out = capsys.readouterr().out
    assert "key version 2 -> 3" in out and "The recovery key was kept" in out and "New recovery key" not in out
    monkeypatch.setattr("sys.stdin", io.StringIO("another lost password\n"))
    assert main(["key", "recover", "--city", "raytown", "--email", "admin@raytown.example",
                 "--recovery-key-file", str(new_key), "--password-stdin"]) == 0
    database.dispose()


def test_key_recover_gives_an_admin_access_again(database_url, monkeypatch, capsys, tmp_path):
    for name, value in hotline_env(database_url).items():
        monkeypatch.setenv(name, value)
    database = Database(database_url)
    seeded = seed_city(database, "raytown", 3)
    key_file = tmp_path / "key"
    key_file.write_text(seeded.recovery_key)
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("every password was lost\n"))
    assert main(["key", "recover", "--city", "raytown", "--email", "new-admin@raytown.example", "--name", "Admin",
                 "--recovery-key-file", str(key_file), "--password-stdin", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["new_account"] is True
    signed_in = sign_in(database, seeded.config, "new-admin@raytown.example", "every password was lost")
    assert signed_in.memberships[0].role == "admin" and signed_in.memberships[0].city_private_key is not None
    key_file.write_text("AAAA-" * 13)
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("every password was lost\n"))
    assert main(["key", "recover", "--city", "raytown", "--email", "x@raytown.example", "--recovery-key-file",
                 str(key_file), "--password-stdin"]) == 1
    error = capsys.readouterr().err
    assert "not the recovery key of raytown" in error.lower() and error.count("\n") == 1
    assert main(["key", "status", "--city", "raytown"]) == 0
    assert "key version 1; no rotation running" in capsys.readouterr().out
    database.dispose()


def test_retention_and_backup_commands(monkeypatch, capsys, tmp_path):
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    for name, value in hotline_env(url).items():
        monkeypatch.setenv(name, value)
    database = Database(url)
    seeded = seed_city(database, "raytown", 4)
    with database.write() as session:
        session.execute(text("UPDATE cases SET status = 'concluded', concluded_on = '2000-01-01' WHERE number <= 2"))
    assert main(["retention", "set", "--city", "raytown", "--purger", "concluded-cases", "--years", "5"]) == 0
    assert main(["retention", "show"]) == 0
    assert "raytown: concluded-cases after 1825 days" in capsys.readouterr().out
    assert main(["retention", "run", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["purged"] == [
        {"city": "raytown", "purger": "concluded-cases", "records": 2}]
    assert main(["backup", str(tmp_path / "hotline.backup")]) == 0
    assert "Wrote a sqlite backup" in capsys.readouterr().out
    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite:///{tmp_path / 'restored.sqlite3'}")
    assert main(["restore", str(tmp_path / "hotline.backup")]) == 0
    assert main(["restore", str(tmp_path / "hotline.backup")]) == 1
    assert "already has tables" in capsys.readouterr().err
    restored = Database(f"sqlite:///{tmp_path / 'restored.sqlite3'}")
    assert every_case_opens(restored, seeded) == 2
    assert main(["audit", "verify"]) == 0
    for db in (database, restored):
        db.dispose()


@pytest.mark.parametrize("command", [["serve"], ["worker", "--until-idle"]])
def test_start_up_refuses_bad_input_in_one_sentence(command, monkeypatch, capsys, tmp_path):
    """Bad input: missing or short pepper, unreachable database, unknown migration."""
    url = f"sqlite:///{tmp_path / 'hotline.sqlite3'}"
    for name, value in hotline_env(url).items():
        monkeypatch.setenv(name, value)
    cases = [
        ({"HOTLINE_PEPPER": ""}, "HOTLINE_PEPPER is missing or shorter than 32 characters"),
        ({"HOTLINE_PEPPER": "short"}, "HOTLINE_PEPPER is missing or shorter than 32 characters"),
        ({"HOTLINE_DATABASE_URL": "postgresql://nobody@127.0.0.1:9/nowhere"}, "Cannot reach the database"),
        ({"HOTLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'missing' / 'dir' / 'x.sqlite3'}"},
         "Cannot reach the database"),
        ({}, "which this version of hotline does not know"),
    ]
    database = Database(url)
    upgrade(database)
    with database.write() as session:
        session.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    database.dispose()
    for changes, sentence in cases:
        with monkeypatch.context() as patched:
            for name, value in changes.items():
                patched.setenv(name, value)
            assert main(command) == 1
        error = capsys.readouterr().err
        assert sentence in error and error.count("\n") == 1 and "Traceback" not in error, error


def test_a_real_process_stops_without_a_traceback(tmp_path):
    env = {**os.environ, **hotline_env("postgresql://nobody@127.0.0.1:9/nowhere")}
    completed = subprocess.run([sys.executable, "-m", "hotline", "worker"], env=env, capture_output=True, text=True,
                               timeout=60)
    assert completed.returncode == 1
    assert completed.stderr.startswith("hotline: Cannot reach the database") and "Traceback" not in completed.stderr
