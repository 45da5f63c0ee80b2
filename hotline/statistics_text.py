"""Case statistics in words, English or Spanish: the labels of every breakdown and figure, and the findings that
open the statistics page, the annual report and its PDF (intake.casework.findings), all from the same
functions so the three say the same thing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from hotline.local_time import LOCALES
from intake.casework.findings import Findings, Largest, Share
from intake.casework.statistics import Breakdown, Cell, Statistics
from intake.categories import category_label
from intake.disclosure.suppression import Shown
from intake.messages import N_

Translate = Callable[[str], str]

CHANNEL_LABELS = {"web": N_("Web form"), "phone": N_("Phone"), "letter": N_("Letter"), "walk-in": N_("In person"),
                  "hr-call": N_("Call to HR")}
STAGE_LABELS = {
    "received": N_("Received, not yet assessed"), "assessing": N_("Being assessed"),
    "investigating": N_("Under investigation"), "concluded:substantiated": N_("Concluded: substantiated"),
    "concluded:unsubstantiated": N_("Concluded: not substantiated"), "concluded:referred": N_("Concluded: referred"),
    "concluded:not actionable": N_("Concluded: not actionable"),
}
DEADLINE_LABELS = {
    "acknowledgement": {"in_time": N_("Acknowledged within 7 days"), "late": N_("Acknowledged after 7 days"),
                        "not_yet": N_("Not acknowledged yet")},
    "feedback": {"in_time": N_("Feedback within 90 days"), "late": N_("Feedback after 90 days"),
                 "not_yet": N_("No feedback yet")},
    "overdue": {"overdue": N_("A deadline has passed"), "not_overdue": N_("No deadline has passed")},
}
TITLES = {
    "category": N_("Reports by category"), "channel": N_("Reports by channel"), "month": N_("Reports by month"),
    "stage": N_("Where the cases stand"), "acknowledgement": N_("Acknowledgement to the reporter"),
    "feedback": N_("Feedback to the reporter"), "overdue": N_("Cases still open past a deadline today"),
}
CHARTED = ("month", "category", "channel", "stage")


def number(value: int | float, language: str) -> str:
    return format_decimal(value, locale=LOCALES.get(language, "en_US"))


def percent(value: int, language: str) -> str:
    return format_percent(value / 100, locale=LOCALES.get(language, "en_US"))


def cell_text(cell: Cell, translate: Translate, language: str = "en") -> str:
    if cell.value is not None:
        return number(cell.value, language)
    _ = translate
    return _("fewer than 5") if cell.shown is Shown.SMALL else _("withheld")


def key_label(breakdown_id: str, key: str, translate: Translate, language: str = "en") -> str:
    if breakdown_id == "category":
        return translate(category_label(key))
    if breakdown_id == "channel":
        return translate(CHANNEL_LABELS.get(key, key))
    if breakdown_id == "month":
        year, month = key.split("-")
        return format_date(date(int(year), int(month), 1), "LLLL", locale=LOCALES.get(language, "en_US")).capitalize()
    if breakdown_id == "stage":
        return translate(STAGE_LABELS.get(key, key))
    return translate(DEADLINE_LABELS.get(breakdown_id, {}).get(key, key))


def title(breakdown: Breakdown | str, translate: Translate) -> str:
    name = breakdown if isinstance(breakdown, str) else breakdown.id
    return translate(TITLES[name])


def scope_text(stats: Statistics, translate: Translate) -> str:
    _ = translate
    return _("the region") if stats.regional else stats.scope


def period_text(stats: Statistics, translate: Translate) -> str:
    """"2025", or "2026 to date" for the year under way."""
    if stats.complete:
        return str(stats.year)
    _ = translate
    return _("%(year)s to date") % {"year": stats.year}


def _shares(largest: Largest, breakdown_id: str, translate: Translate, language: str) -> str:
    _ = translate
    return "; ".join(_("%(label)s, %(count)s (%(percent)s)") % {
        "label": key_label(breakdown_id, share.key, translate, language), "count": number(share.count, language),
        "percent": percent(share.percent, language)} for share in largest.shares)


def _share(share: Share, language: str) -> dict[str, str]:
    return {"count": number(share.count, language), "percent": percent(share.percent, language)}


def findings_text(stats: Statistics, found: Findings, translate: Translate, language: str = "en") -> list[str]:
    """The summary's sentences, in order. Each is built from visible figures only (intake.casework.findings)."""
    _ = translate
    period = period_text(stats, translate)
    if stats.regional and not stats.enough_cities:
        named = ", ".join(stats.cities) if stats.cities else _("none")
        return [_("Regional figures are shown only when at least 3 cities each had 5 or more reports in the year. "
                  "In %(period)s: %(cities)s.") % {"period": period, "cities": named}]
    if found.total is None:
        return [_("%(scope)s received fewer than 5 reports in %(period)s, so no breakdown is shown.")
                % {"scope": scope_text(stats, translate), "period": period}]
    sentences = []
    if stats.regional:
        sentences.append(_("The %(count)s cities below received %(total)s reports in %(period)s.") % {
            "count": number(len(stats.cities), language), "total": number(found.total, language), "period": period})
    else:
        sentences.append(_("%(scope)s received %(total)s reports in %(period)s.") % {
            "scope": stats.scope, "total": number(found.total, language), "period": period})
    if found.change is not None and found.previous_year_total is not None:
        values = {"change": number(abs(found.change), language), "year": stats.year - 1,
                  "previous": number(found.previous_year_total, language)}
        if found.change > 0:
            sentences.append(_("That is %(change)s more than in %(year)s (%(previous)s).") % values)
        elif found.change < 0:
            sentences.append(_("That is %(change)s fewer than in %(year)s (%(previous)s).") % values)
        else:
            sentences.append(_("That is as many as in %(year)s.") % values)
    for largest, breakdown_id in ((found.categories, "category"), (found.channels, "channel")):
        if not largest.shares:
            continue
        if largest.certain:
            line = (_("Largest shares by category: %(shares)s.") if breakdown_id == "category"
                    else _("Largest shares by channel: %(shares)s."))
        else:
            line = (_("Largest figures shown by category: %(shares)s.") if breakdown_id == "category"
                    else _("Largest figures shown by channel: %(shares)s."))
        sentences.append(line % {"shares": _shares(largest, breakdown_id, translate, language)})
    deadlines = []
    if found.acknowledged_in_time is not None:
        deadlines.append(_("%(count)s of them (%(percent)s) were acknowledged within 7 days")
                         % _share(found.acknowledged_in_time, language))
    if found.feedback_in_time is not None:
        deadlines.append(_("%(count)s (%(percent)s) had feedback within 90 days")
                         % _share(found.feedback_in_time, language))
    if deadlines:
        sentences.append(_("Deadlines met: %(deadlines)s.") % {"deadlines": "; ".join(deadlines)})
    if found.median_days_to_acknowledge is not None:
        sentences.append(_("Half were acknowledged within %(days)s days.")
                         % {"days": number(found.median_days_to_acknowledge, language)})
    if found.concluded is not None:
        if found.substantiated is not None:
            sentences.append(_("%(concluded)s were concluded, %(count)s of them (%(percent)s) substantiated.")
                             % {"concluded": number(found.concluded, language),
                                **_share(found.substantiated, language)})
        else:
            sentences.append(_("%(concluded)s were concluded.") % {"concluded": number(found.concluded, language)})
    if found.overdue is not None and found.overdue.count:
        sentences.append(_("%(count)s (%(percent)s) are still open past a deadline today.")
                         % _share(found.overdue, language))
    if found.hidden_breakdowns:
        names = ", ".join(title(name, translate) for name in found.hidden_breakdowns)
        sentences.append(_("Not shown, because every figure in them is under 5 or would give one away: "
                           "%(names)s.") % {"names": names})
    return sentences


def rules_text(stats: Statistics, translate: Translate) -> str:
    """How the figures are protected, said once under the summary."""
    _ = translate
    if stats.regional:
        return _("Any figure under 5 reads \"fewer than 5\", and some others are withheld, so that no one can be "
                 "recognised and no city's hidden figure can be worked out from the region's. Only cities with 5 "
                 "or more reports in the year are combined, and only when there are at least 3 of them.")
    return _("Any figure under 5 reads \"fewer than 5\", and some others are withheld so that it cannot be worked "
             "out from the rest, so that no one can be recognised from these figures.")
