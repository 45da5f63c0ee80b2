"""Every PDF is laid out so a person can read it: no two pieces of text drawn over each other, nothing past the
margins, in English and Spanish, for the case export and for the annual reports of a city, a small city and the
region, with long names, long words and long labels. The checker itself is shown to catch both faults."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from fpdf import FPDF

from hotline.exports.case_pdf import case_pdf
from hotline.exports.report_pdf import report_pdf
from hotline.i18n import load_translations, translator
from intake.casework.export import export_case
from intake.casework.statistics import city_statistics, region_statistics
from tests.hotline.exports.case_scene import rich_case
from tests.hotline.exports.pdf_layout import layout_problems, page_texts
from tests.hotline.exports.stats_scene import CITIES, TODAY, region_year
from tests.intake.casework.console_helpers import coordinator_context


def test_the_checker_finds_overlapping_text_and_text_past_the_margin():
    pdf = FPDF(format="Letter")
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    pdf.set_xy(30, 40)
    pdf.cell(60, 6, "Median days to acknowledge")  # the old report's label ...
    pdf.set_xy(70, 40)
    pdf.cell(20, 6, "12")  # ... with its value drawn over its end
    pdf.set_xy(120, 80)
    pdf.cell(0, 6, "A line that runs well past the right-hand margin of the page")
    problems = layout_problems(bytes(pdf.output()))
    assert any("overlaps" in problem for problem in problems)
    assert any("past the side margin" in problem for problem in problems)


@pytest.mark.parametrize("language", ["en", "es"])
def test_case_and_report_pdfs_lay_out_cleanly(database, config, language, every_pdf_is_laid_out_cleanly):
    translate = translator(load_translations(language), language)
    scene = rich_case(database, config)
    exported = export_case(database, scene.ana, scene.case_id, export_format="pdf", language=language)
    case = case_pdf(exported, translate=translate, language=language, zone=ZoneInfo("America/Chicago"))
    contexts = region_year(database, config, {slug: plan for slug, plan in CITIES.items() if slug != "raytown"})
    contexts["raytown"] = scene.ana
    reports = [report_pdf(city_statistics(database, contexts[slug], clock=lambda: TODAY), translate, language)
               for slug in ("raytown", "grandview", "independence")]
    reports.append(report_pdf(region_statistics(database, coordinator_context(database, config),
                                                clock=lambda: TODAY), translate, language))
    for body in [case, *reports]:
        assert layout_problems(body) == []
        assert len(page_texts(body)) >= 1
    for body in reports:  # the year on every page, and in the title
        pages = page_texts(body)
        assert all("2025" in page for page in pages)
        if language == "es":  # and nothing left in English
            text = " ".join(pages)
            assert "fewer than" not in text and "withheld" not in text and "the region" not in text
            assert "menos de 5" in text
    assert len(every_pdf_is_laid_out_cleanly) == 5  # and the suite-wide check saw them all
