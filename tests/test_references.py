"""References stay inside the repository and stay true: every citation of the design is
``docs/design.md#anchor`` with an anchor docs/design.md has, nothing points at a file outside the repository (the
brief the project started from is not shipped with it), and no comment cites an issue number, which means
nothing to a reader of a fresh clone."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DESIGN = "docs/design.md"
# Migrations are frozen history: their comments are left as they were written.
FROZEN = ("intake/migrations/versions/",)
TEXT_SUFFIXES = {".py", ".md", ".html", ".toml", ".yaml", ".yml", ".txt", ".po", ".ini", ".cfg", ".service",
                 ".timer", ".example", ".sh", ".scss", ".css", ".js", ".json", ""}
CITATION = re.compile(r"(?:docs/)?design\.md#([A-Za-z0-9_-]+)")
OUTSIDE = re.compile(r"\.\./shared|shared/DESIGN|\bDESIGN\.md")
ISSUE = re.compile(r"\b[Ii]ssues? #?\d+")


def anchors_of(markdown: str) -> set[str]:
    """GitHub's anchors: lowercase, punctuation dropped, spaces to hyphens, repeats numbered."""
    found: set[str] = set()
    in_code = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        if in_code or not re.match(r"#{1,6} ", line):
            continue
        slug = re.sub(r"[^\w\- ]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        candidate, n = slug, 0
        while candidate in found:
            n += 1
            candidate = f"{slug}-{n}"
        found.add(candidate)
    return found


def repository_files(root: Path) -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=root,
                            capture_output=True, text=True, check=True).stdout.splitlines()
    return [root / name for name in listed
            if not name.startswith(FROZEN) and (root / name).is_file() and Path(name).suffix in TEXT_SUFFIXES]


def problems_in(root: Path) -> list[str]:
    anchors = anchors_of((root / DESIGN).read_text())
    found = []
    for path in repository_files(root):
        name = str(path.relative_to(root))
        if name == "tests/test_references.py":
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            for anchor in CITATION.findall(line):
                if anchor not in anchors:
                    found.append(f"{name}:{number}: docs/design.md has no #{anchor}")
            if OUTSIDE.search(line):
                found.append(f"{name}:{number}: points outside the repository: {line.strip()[:80]}")
            if ISSUE.search(line):
                found.append(f"{name}:{number}: cites an issue number: {line.strip()[:80]}")
    return found


def test_every_reference_is_inside_the_repository_and_true():
    assert problems_in(ROOT) == []


def test_the_readme_points_at_the_design():
    assert "docs/design.md" in (ROOT / "README.md").read_text()


def test_a_broken_reference_is_caught(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / DESIGN).write_text("# Design\n\n## Audit log\n\n## Audit log\n\n### Key wrapping\n")
    (tmp_path / "good.py").write_text("# docs/design.md#audit-log docs/design.md#audit-log-1\n"
                                      "# docs/design.md#key-wrapping\n")
    (tmp_path / "bad.py").write_text("# docs/design.md#no-such-part\n# see ../shared/DESIGN.md\n# (issue 7)\n")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    problems = problems_in(tmp_path)
    assert [p.split(":")[0] for p in problems] == ["bad.py"] * 3
    assert "no #no-such-part" in problems[0] and "outside" in problems[1] and "issue number" in problems[2]
