"""Reading a PDF's text positions (pdfplumber) to find what a person would see as broken layout: two pieces of
text drawn over each other, or text past the page's margins. Used on every PDF the suite makes (the autouse
fixture in tests/conftest.py) and by tests/hotline/exports/test_pdf_layout.py."""

from __future__ import annotations

import io

import pdfplumber

from hotline.exports.pdf import MARGIN

POINTS_PER_MM = 72 / 25.4
TOLERANCE = 0.75  # points: rounding in the PDF's coordinates, never a visible overlap
EDGE = 6 * POINTS_PER_MM  # header and footer lines sit between the edge of the page and the body's margin


def _overlap(a: dict, b: dict) -> bool:
    width = min(a["x1"], b["x1"]) - max(a["x0"], b["x0"])
    height = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
    shortest = min(a["bottom"] - a["top"], b["bottom"] - b["top"])
    return width > TOLERANCE and height > max(TOLERANCE, 0.25 * shortest)


def layout_problems(pdf: bytes, label: str = "PDF") -> list[str]:
    """Every overlap of two words and every word past the margins, page by page, as sentences."""
    problems = []
    margin = MARGIN * POINTS_PER_MM
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        for number, page in enumerate(document.pages, start=1):
            words = page.extract_words(x_tolerance=1, y_tolerance=1, keep_blank_chars=False, use_text_flow=True)
            for word in words:
                if word["x0"] < margin - TOLERANCE or word["x1"] > page.width - margin + TOLERANCE:
                    problems.append(f"{label} page {number}: {word['text']!r} runs past the side margin "
                                    f"(x {word['x0']:.1f} to {word['x1']:.1f} of {page.width:.0f})")
                if word["top"] < EDGE or word["bottom"] > page.height - EDGE:
                    problems.append(f"{label} page {number}: {word['text']!r} is off the top or bottom of the page")
            ordered = sorted(words, key=lambda w: w["top"])
            for index, word in enumerate(ordered):
                for other in ordered[index + 1:]:
                    if other["top"] >= word["bottom"]:
                        break
                    if _overlap(word, other):
                        problems.append(f"{label} page {number}: {word['text']!r} overlaps {other['text']!r}")
    return problems


def page_texts(pdf: bytes) -> list[str]:
    """Each page's text, with runs of white space made one space (words wrapped across lines still match)."""
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return [" ".join((page.extract_text() or "").split()) for page in document.pages]
