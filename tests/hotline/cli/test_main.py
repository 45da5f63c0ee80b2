"""Every command has --help and is documented in the README (Datasette's rule: an undocumented command fails)."""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hotline.cli.main import build_parser, main

README = (Path(__file__).resolve().parents[3] / "README.md").read_text()


def command_paths(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                paths.append((*prefix, name))
                paths.extend(command_paths(sub, (*prefix, name)))
    return paths


COMMANDS = command_paths(build_parser())


def test_the_core_commands_exist():
    for command in [("demo",), ("serve",), ("db", "upgrade"), ("city", "add"), ("reviewer", "add"),
                    ("audit", "verify")]:
        assert command in COMMANDS


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exited:
        main([*command, "--help"])
    assert exited.value.code == 0
    assert "usage: hotline " + " ".join(command) in capsys.readouterr().out


DOCUMENTED = [c for c in COMMANDS if len(c) > 1 or c[0] in ("demo", "serve", "bench")]


@pytest.mark.parametrize("command", DOCUMENTED, ids=" ".join)
def test_every_command_is_in_the_readme(command):
    assert "hotline " + " ".join(command) in README


def test_city_and_reviewer_add_from_a_script(database_url, monkeypatch, capsys):
    monkeypatch.setenv("HOTLINE_DATABASE_URL", database_url)
    monkeypatch.setenv("HOTLINE_INSECURE_TEST_KDF", "1")
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    assert main(["city", "add", "--slug", "raytown", "--name", "Raytown", "--json"]) == 0
    recovery = json.loads(capsys.readouterr().out)["recovery_key"]
    monkeypatch.setenv("HOTLINE_RECOVERY_KEY", recovery)
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("a long enough password\n"))
    assert main(["reviewer", "add", "--city", "raytown", "--email", "a@b.example", "--name", "A",
                 "--password-stdin", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["role"] == "reviewer"
    # A wrong recovery key, an unknown city and a duplicate city each fail with one sentence and status 1.
    monkeypatch.setenv("HOTLINE_RECOVERY_KEY", "AAAA-BBBB")
    assert main(["reviewer", "add", "--city", "raytown", "--email", "c@b.example", "--name", "C",
                 "--password-stdin"]) == 1
    assert "not the recovery key of raytown" in capsys.readouterr().err
    assert main(["city", "add", "--slug", "raytown", "--name", "Raytown"]) == 1
    assert "already exists" in capsys.readouterr().err
    assert main(["audit", "verify", "--city", "atlantis"]) == 1
    assert capsys.readouterr().err.count("\n") == 1
    assert main(["audit", "verify"]) == 0
    assert "raytown: 2 entries, chain intact" in capsys.readouterr().out


def test_serve_refuses_missing_secrets_in_one_sentence(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    monkeypatch.delenv("HOTLINE_PEPPER", raising=False)
    assert main(["serve"]) == 1
    error = capsys.readouterr().err
    assert "HOTLINE_PEPPER" in error and "Traceback" not in error


def test_serve_refuses_an_unmigrated_database(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    monkeypatch.setenv("HOTLINE_PEPPER", "p" * 40)
    monkeypatch.setenv("HOTLINE_SESSION_KEY", "s" * 40)
    assert main(["serve"]) == 1
    assert "hotline db upgrade" in capsys.readouterr().err


def test_questionnaire_load_names_every_problem_or_stores_a_new_version(database_url, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("HOTLINE_DATABASE_URL", database_url)
    monkeypatch.setenv("HOTLINE_INSECURE_TEST_KDF", "1")
    assert main(["db", "upgrade"]) == 0
    assert main(["city", "add", "--slug", "raytown", "--name", "Raytown"]) == 0
    capsys.readouterr()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"category": "safety", "fields": [
        {"id": "x", "type": "colour", "label": "Pick"},
        {"id": "y", "type": "yes_no", "label": "Ok?", "show_if": {"field": "nowhere", "equals": "yes"}}]}))
    assert main(["questionnaire", "load", str(bad), "--city", "raytown"]) == 1
    error = capsys.readouterr().err
    assert "fields[0].type" in error and "fields[1].show_if" in error
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"questionnaires": [{"category": "safety", "fields": [
        {"id": "site", "type": "text", "label": {"en": "Which site?", "es": "¿Qué lugar?"}, "required": True}]}]}))
    for version in (1, 2):
        assert main(["questionnaire", "load", str(good), "--city", "raytown", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["loaded"] == [{"category": "safety", "version": version,
                                                                  "fields": 1}]
    assert main(["questionnaire", "load", str(tmp_path / "missing.json"), "--city", "raytown"]) == 1
    assert "Cannot read" in capsys.readouterr().err


def test_serve_with_the_test_kdf_and_an_https_address_exits_with_one_sentence(tmp_path):
    """The command as an operator would mistype it: it stops before opening anything."""
    env = {**os.environ, "HOTLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", "HOTLINE_PEPPER": "p" * 40,
           "HOTLINE_SESSION_KEY": "s" * 40, "HOTLINE_PUBLIC_URL": "https://hotline.raytown.example",
           "HOTLINE_INSECURE_TEST_KDF": "1"}
    served = subprocess.run([sys.executable, "-m", "hotline", "serve"], env=env, capture_output=True, text=True,
                            timeout=60, check=False)
    assert served.returncode != 0
    assert served.stderr.startswith("hotline: HOTLINE_INSECURE_TEST_KDF is for the test suite only")
    assert served.stderr.count("\n") == 1 and "Traceback" not in served.stderr
    assert not (tmp_path / "x.sqlite3").exists()


def test_the_demo_releases_every_minute_at_most_and_says_why(monkeypatch, tmp_path):
    from hotline.cli.demo import demo_settings, release_notice

    monkeypatch.delenv("HOTLINE_RELEASE_INTERVAL_SECONDS", raising=False)
    assert demo_settings(tmp_path, "127.0.0.1", 8000).release_interval_seconds == 60
    monkeypatch.setenv("HOTLINE_RELEASE_INTERVAL_SECONDS", "20")
    assert demo_settings(tmp_path, "127.0.0.1", 8000).release_interval_seconds == 20
    notice = release_notice(60)
    assert "every minute here" in notice and "top of each hour" in notice and "urgent" in notice
