"""A region's year of cases for the statistics, the annual report and the regional view: five cities of very
different sizes (Grandview with only 3 reports in 2025), a year before to compare with, replies in and out of
time, cases concluded with every outcome. Built through the real services with a moved clock."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from intake.casework import status_changes as case_status_changes
from intake.casework.cases import reply_to_reporter
from intake.reports.submission import submit_report
from tests.intake.casework.console_helpers import context_for, make_city

TODAY = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # the last complete year is 2025
CITIES = {  # slug: cases received in 2025 by category, and how many in 2024
    "raytown": ({"fraud-waste-abuse": 12, "ethics-conflict": 6, "harassment-discrimination": 5, "safety": 5,
                 "other": 2}, 24),
    "independence": ({"fraud-waste-abuse": 7, "ethics-conflict": 5, "harassment-discrimination": 3, "safety": 4,
                      "other": 1}, 14),
    "lees-summit": ({"fraud-waste-abuse": 4, "ethics-conflict": 2, "harassment-discrimination": 2, "safety": 3,
                     "other": 1}, 9),
    "blue-springs": ({"fraud-waste-abuse": 3, "safety": 2, "other": 2}, 6),
    "grandview": ({"safety": 2, "fraud-waste-abuse": 1}, 2),
}
OUTCOMES = ("substantiated", "unsubstantiated", "referred", "not actionable")


def region_year(database, config, cities=CITIES, year: int = 2025) -> dict[str, object]:
    """Every city with its cases in ``year`` and the year before; returns each city's reviewer context by slug."""
    chance = random.Random(2025)
    contexts = {}
    for slug, (by_category, last_year) in cities.items():
        make_city(database, config, slug, {"ethics": ("reviewer", None), "audit": ("auditor", None)})
        officer = context_for(database, config, f"ethics@{slug}.example")
        contexts[slug] = officer
        plan = [(category, year) for category, count in by_category.items() for _ in range(count)]
        plan += [("fraud-waste-abuse" if n % 2 else "safety", year - 1) for n in range(last_year)]
        for index, (category, when) in enumerate(plan):
            received = datetime(when, 1 + index % 12, 1 + (index * 7) % 27, 15, 0, tzinfo=UTC)
            made = submit_report(database, config, city_slug=slug, category=category,
                                 narrative=f"{slug} report {index}", clock=lambda r=received: r)
            step = index % 5
            if step == 4:
                continue  # never answered: overdue
            days = (2, 5, 9, 3)[step]
            reply_to_reporter(database, config, officer, made.case_id, "Thank you.",
                              feedback=step in (0, 2), clock=lambda r=received, d=days: r + timedelta(days=d))
            if step in (0, 1, 2):
                case_status_changes.change_status(
                    database, config, officer, made.case_id, "concluded", outcome=chance.choice(OUTCOMES),
                    clock=lambda r=received, d=days: r + timedelta(days=d + 30))
            else:
                case_status_changes.change_status(database, config, officer, made.case_id, "investigating",
                                                  clock=lambda r=received, d=days: r + timedelta(days=d + 1))
    return contexts
