"""``hotline exit questionnaire show|load``."""

from __future__ import annotations

import json

from hotline.cli.main import main


def test_show_edit_and_load_a_questionnaire(database_url, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("HOTLINE_DATABASE_URL", database_url)
    assert main(["db", "upgrade"]) == 0
    assert main(["city", "add", "--slug", "raytown", "--name", "Raytown", "--json"]) == 0
    capsys.readouterr()
    assert main(["exit", "questionnaire", "show", "--city", "raytown"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["version"] == 1
    department = next(q for q in shown["questions"] if q["id"] == "department")
    department["options"] = [{"value": "police", "label": {"en": "Police", "es": "Policía"}},
                             {"value": "everyone_else", "label": {"en": "Everyone else", "es": "Todos los demás"}}]
    good = tmp_path / "questionnaire.json"
    good.write_text(json.dumps(shown))
    assert main(["exit", "questionnaire", "load", str(good), "--city", "raytown"]) == 0
    assert "version 2" in capsys.readouterr().out
    assert main(["exit", "questionnaire", "show", "--city", "raytown"]) == 0
    assert "Everyone else" in capsys.readouterr().out

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"questions": [{"id": "recommend", "type": "rating", "label": {"en": "x"}}]}))
    assert main(["exit", "questionnaire", "load", str(bad), "--city", "raytown"]) == 1
    errors = capsys.readouterr().err
    assert "must be of type scale" in errors and "must ask department" in errors
    (tmp_path / "broken.json").write_text("{")
    assert main(["exit", "questionnaire", "load", str(tmp_path / "broken.json"), "--city", "raytown"]) == 1
    assert "not valid JSON" in capsys.readouterr().err


def test_reviewer_add_can_join_the_hr_group(database_url, monkeypatch, capsys):
    import io

    from intake.db import Database
    from intake.exit.hr import in_hr_group

    monkeypatch.setenv("HOTLINE_DATABASE_URL", database_url)
    monkeypatch.setenv("HOTLINE_INSECURE_TEST_KDF", "1")
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    assert main(["city", "add", "--slug", "raytown", "--name", "Raytown", "--json"]) == 0
    monkeypatch.setenv("HOTLINE_RECOVERY_KEY", json.loads(capsys.readouterr().out)["recovery_key"])
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\na long enough password\n"))
    assert main(["reviewer", "add", "--city", "raytown", "--email", "hr@raytown.example", "--name", "HR",
                 "--password-stdin", "--group", "hr", "--json"]) == 0
    reviewer_id = json.loads(capsys.readouterr().out)["reviewer_id"]
    database = Database(database_url)
    with database.read() as session:
        assert in_hr_group(session, reviewer_id, 1)
    database.dispose()
