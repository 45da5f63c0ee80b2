"""``hotline bench all`` writes the benchmark report, and the report in the repository is the command's own.

The figures are never asserted here (speed is measured by benchmarks, not tests): these tests check that the
command runs every part on both databases and records each, and that docs/BENCHMARKS.md holds a section written
by it for every part on both databases, so a part added without being run and recorded fails.
"""

from __future__ import annotations

import re
from pathlib import Path

from hotline.bench import PARTS, POSTGRESQL_ONLY, STANDALONE
from hotline.cli.main import main
from tests.conftest import postgres_url_or_skip

REPORT = Path(__file__).resolve().parents[2] / "docs" / "BENCHMARKS.md"
SECTION = re.compile(r"<!-- bench:(?P<part>[a-z]+)(?:-(?P<kind>sqlite|postgresql))?:start -->\n(?P<body>.*?)"
                     r"<!-- bench:(?P=part)(?:-(?P=kind))?:end -->", re.DOTALL)


def sections(text: str) -> dict[tuple[str, str], str]:
    """(part, database) -> the section's body; a part that uses no database has "" for its database."""
    return {(match["part"], match["kind"] or ""): match["body"] for match in SECTION.finditer(text)}


def test_bench_all_records_each_part_on_both_databases_and_replaces_old_figures(tmp_path, capsys):
    postgres = postgres_url_or_skip()
    report = tmp_path / "BENCHMARKS.md"
    argv = ["bench", "all", "--quick", "--only", "audit", "exit", "--database-url", postgres, "--write",
            "--report", str(report)]
    assert main(argv) == 0
    first = sections(report.read_text())
    assert set(first) == {(part, kind) for part in ("audit", "exit") for kind in ("sqlite", "postgresql")}
    for body in first.values():
        assert "Command: `hotline bench " in body and "Machine: " in body and "Run: " in body
        assert re.search(r"\| [\d,.]+ (ms|µs)", body), body  # a measured figure, not a placeholder
    assert "audit on PostgreSQL" in capsys.readouterr().out
    assert main(argv) == 0  # a second run replaces each section instead of adding another
    assert len(SECTION.findall(report.read_text())) == 4


def test_the_report_in_the_repository_has_every_part_on_both_databases():
    recorded = sections(REPORT.read_text())
    missing = [f"{part} on {kind}" for part in PARTS for kind in ("sqlite", "postgresql")
               if (part, kind) not in recorded] + [part for part in STANDALONE if (part, "") not in recorded] + [
        f"{part} on postgresql" for part in POSTGRESQL_ONLY if (part, "postgresql") not in recorded]
    assert not missing, f"run `hotline bench all --database-url postgresql://... --write`; missing: {missing}"
    for (part, _kind), body in recorded.items():
        assert f"Command: `hotline bench {part}" in body


def test_the_report_has_no_section_the_command_did_not_write():
    text = REPORT.read_text()
    headings = re.findall(r"^## .*$", text, re.MULTILINE)
    assert len(headings) == len(sections(text)), "a section of docs/BENCHMARKS.md is not between bench markers"


def test_bench_region_runs_a_tiny_region_on_postgresql_and_records_every_figure_beside_one_city(tmp_path, capsys):
    postgres = postgres_url_or_skip()
    report = tmp_path / "BENCHMARKS.md"
    argv = ["bench", "region", "--database-url", postgres, "--cities", "3", "--cases", "300", "--clients", "2",
            "--seconds", "1", "--runs", "1", "--rounds", "1", "--jobs", "30", "--write", "--report", str(report)]
    main(argv)  # its exit status says whether the goals were met, which timings on a test machine cannot promise
    recorded = sections(report.read_text())
    assert set(recorded) == {("region", "postgresql")}
    body = recorded[("region", "postgresql")]
    assert "Command: `hotline bench region --database-url URL --cities 3 --cases 300 --write`" in body
    rows = re.findall(r"^\| (.+?) \| ([\d,.]+) (/s|ms|entries/s) \| ([\d,.]+) \3 \| ([\d.]+) \| ([<>]= [\d.]+) \| "
                      r"(met|NOT met) \|$", body, re.MULTILINE)
    assert [row[0] for row in rows] == [
        "intake, closed loop: reports per second (all cores)", "intake: server CPU per report (summed over instances)",
        "inbox p95, city of 3 cases", "inbox p95, city of 30 cases", "audit verification of the city of 30 entries",
        "job table: jobs per second (two runners in the region, one alone)", "job table: runner CPU per job"]
    # Every check across the two instances held: these are correctness, not speed.
    checks = re.findall(r"^- (.+?): \*\*(holds|DOES NOT HOLD)\*\*", body, re.MULTILINE)
    assert len(checks) == 3 and all(verdict == "holds" for _, verdict in checks), checks
    assert "Seeding (bulk inserts" in body and "Load average" in body
    assert "Run 1 of 1" in capsys.readouterr().out


def test_bench_region_refuses_sqlite_in_one_sentence(capsys):
    assert main(["bench", "region", "--cities", "3", "--cases", "300"]) == 2
    assert "runs on PostgreSQL only" in capsys.readouterr().err
