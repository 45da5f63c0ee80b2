"""What every console page must hold in the browser (docs/design.md#the-reviewer-console): no WCAG 2.2 A/AA
violation and no two landmarks of one kind without names that tell them apart (axe-core's `landmark-unique`), in
English and in Spanish; nothing scrolls sideways at 1024 px (a tablet held sideways) or 768 px (upright); a
full-page screenshot at 1280 px for a person to look at (tests/e2e/screenshots.py)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.e2e.screenshots import screenshot

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
DESKTOP = {"width": 1280, "height": 900}
# A tablet held sideways (the 1024 px) and upright.
TABLETS = ({"width": 1024, "height": 768}, {"width": 768, "height": 1024})

# Each element's text lines, counted from the boxes its text lays out in (a wrapped date has two tops).
LINES_OF_TEXT = """elements => elements.map(element => {
  const range = document.createRange();
  range.selectNodeContents(element);
  const tops = new Set([...range.getClientRects()].filter(box => box.width > 0).map(box => Math.round(box.top)));
  return [element.textContent.trim(), tops.size];
})"""


def accessibility_problems(page, axe, label: str) -> list[str]:
    problems = []
    for options in ({"runOnly": {"type": "tag", "values": WCAG_TAGS}},
                    {"runOnly": {"type": "rule", "values": ["landmark-unique"]}}):
        results = axe.run(page, options=options)
        response = results.response
        assert response["testEngine"]["name"] == "axe-core", label
        assert response["passes"] or response["inapplicable"], label  # it ran
        for violation in response["violations"]:
            targets = [node["target"] for node in violation["nodes"]][:3]
            problems.append(f"{label}: {violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    return problems


def scrolls_sideways(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")


def wrapped_dates(page, selector: str = ".date") -> list[str]:
    """The dates under ``selector`` that take more than one line."""
    return [text for text, lines in page.locator(selector).evaluate_all(LINES_OF_TEXT) if lines > 1]


def spanish(path: str) -> str:
    return path + ("&" if "?" in path else "?") + "lang=es"


def check_current_page(page, axe, label: str, directory: Path, problems: list[str], *, shot: str | None = None) -> None:
    """The page the browser shows now (after a post, say), as it is: 1280 px, then each tablet, back to 1280 px."""
    page.set_viewport_size(DESKTOP)
    problems.extend(accessibility_problems(page, axe, label))
    screenshot(page, directory, shot or label)
    for tablet in TABLETS:
        page.set_viewport_size(tablet)
        if scrolls_sideways(page):
            problems.append(f"{label}: scrolls sideways at {tablet['width']} px")
    page.set_viewport_size(DESKTOP)


def check_console_page(page, axe, base: str, path: str, directory: Path, problems: list[str], *,
                       who: str = "") -> str:
    """``path`` in English and in Spanish: every check above, and a screenshot of each, named after ``who``
    (the role) and the path, a case's id shown as "case". Returns the English page's HTML."""
    shot = f"{who} {re.sub(r'[0-9a-f]{32}', 'case', path)}"
    page.goto(base + path)
    check_current_page(page, axe, f"{who} {path}".strip(), directory, problems, shot=shot)
    html = page.content()
    page.goto(base + spanish(path))
    check_current_page(page, axe, f"{who} {spanish(path)}".strip(), directory, problems, shot=spanish(shot))
    return html
