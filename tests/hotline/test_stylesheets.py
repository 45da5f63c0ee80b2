"""The stylesheets are built from the USWDS Sass (hotline/uswds) and committed; they must be exactly what a clean
build makes, and the reporter pages' stylesheet stays small (docs/design.md#threat-model-and-anonymity-rules,
rule 3: every reporter page, with its CSS, under 100 KB)."""

from __future__ import annotations

import filecmp
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import in_ci

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "hotline" / "uswds"
STATIC = ROOT / "hotline" / "static"
MAX_REPORTER_CSS = 60 * 1024


def test_the_reporter_stylesheet_is_under_60_kb():
    assert (STATIC / "hotline.css").stat().st_size < MAX_REPORTER_CSS


def test_the_stylesheets_load_nothing_from_another_origin_and_no_font():
    for name in ("hotline.css", "console.css"):
        css = (STATIC / name).read_text()
        assert "@import" not in css and "@font-face" not in css and "//" not in css.replace("://", "")
        for url in css.split("url(")[1:]:
            target = url.split(")")[0].strip("\"'")
            assert target == "" or target.startswith("/static/img/"), target
            assert target == "" or (STATIC / target.removeprefix("/static/")).is_file(), target


def test_the_committed_stylesheets_are_what_a_clean_build_makes(tmp_path):
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        message = "Node.js and npm are not installed, so the stylesheets cannot be rebuilt here"
        if in_ci():
            pytest.fail(message + " (CI=true: .ci/run installs them)")
        pytest.skip(message)
    source = tmp_path / "uswds"
    shutil.copytree(BUILD, source, ignore=shutil.ignore_patterns("node_modules"))
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=source, check=True,
                   capture_output=True, timeout=600)
    out = tmp_path / "out"
    subprocess.run([npm, "run", "--silent", "build", "--", str(out)], cwd=source, check=True, capture_output=True,
                   timeout=300)
    built = sorted(path.relative_to(out) for path in out.rglob("*") if path.is_file())
    # Scripts are written by hand, for console and demo pages only (reporter pages never load one).
    committed = sorted(path.relative_to(STATIC) for path in STATIC.rglob("*") if path.is_file()
                       and path.suffix != ".js")
    assert built == committed, "the static folder holds files the build does not make, or lacks some"
    different = [str(name) for name in built if not filecmp.cmp(out / name, STATIC / name, shallow=False)]
    assert different == [], f"rebuild differs from the committed files: {different}; run npm ci && npm run " \
                             "build in hotline/uswds and commit the result"
