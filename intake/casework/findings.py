"""What a year's statistics say first: the count, the change from the year before, the largest shares, the
deadlines met (docs/design.md#publishing-statistics-safely).

Every finding is worked out from the *visible* figures of :class:`intake.casework.statistics.Statistics` alone
(which hold no hidden count), so the summary can never tell more than the tables beside it: a share is a visible
count over the visible total, a sum is given only when each of its parts is visible (or when it is the visible
total less visible parts), a change only between two visible totals of the same cities.
"""

from __future__ import annotations

from dataclasses import dataclass

from intake.case_status import CONCLUDED
from intake.casework.statistics import (
    IN_TIME,
    OVERDUE,
    Breakdown,
    Statistics,
)
from intake.disclosure.suppression import Shown

LARGEST = 2  # how many of the largest shares a summary names


@dataclass(frozen=True)
class Share:
    key: str
    count: int
    percent: int  # of the year's total, rounded


@dataclass(frozen=True)
class Largest:
    """The largest visible figures of a breakdown; ``certain`` when nothing is withheld, so that no hidden figure
    can be larger (a "fewer than 5" one never is)."""

    shares: tuple[Share, ...]
    certain: bool


@dataclass(frozen=True)
class Findings:
    year: int
    complete: bool
    total: int | None  # None: hidden
    total_small: bool  # fewer than 5 in all
    previous_year_total: int | None  # None: hidden, or not the same cities
    change: int | None
    categories: Largest
    channels: Largest
    acknowledged_in_time: Share | None
    feedback_in_time: Share | None
    overdue: Share | None
    concluded: int | None
    substantiated: Share | None  # of the concluded cases (percent of those)
    median_days_to_acknowledge: float | None
    hidden_breakdowns: tuple[str, ...]  # breakdowns with nothing visible, named in one line
    some_hidden: bool  # some figure anywhere is hidden


def _percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def _share(breakdown: Breakdown, key: str, total: int | None) -> Share | None:
    cell = breakdown.cell(key)
    if cell.value is None or total is None:
        return None
    return Share(key, cell.value, _percent(cell.value, total))


def _largest(breakdown: Breakdown, total: int | None) -> Largest:
    if total is None:
        return Largest((), False)
    visible = sorted(((key, cell.value) for key, cell in breakdown.rows if cell.value), key=lambda kv: -kv[1])
    shares = tuple(Share(key, value, _percent(value, total)) for key, value in visible[:LARGEST])
    certain = all(cell.shown is not Shown.WITHHELD for _key, cell in breakdown.rows)
    return Largest(shares, certain)


def _concluded(stats: Statistics) -> int | None:
    cells = stats.by_stage.rows
    closed = [cell.value for key, cell in cells if key.startswith(f"{CONCLUDED}:")]
    if all(value is not None for value in closed):
        return sum(value for value in closed if value is not None)
    still_open = [cell.value for key, cell in cells if not key.startswith(f"{CONCLUDED}:")]
    if stats.total.value is not None and all(value is not None for value in still_open):
        return stats.total.value - sum(value for value in still_open if value is not None)
    return None


def findings(stats: Statistics) -> Findings:
    total = stats.total.value
    comparable = not stats.regional or stats.previous_cities == stats.cities
    previous = stats.previous_total.value if comparable else None
    concluded = _concluded(stats)
    substantiated_cell = stats.by_stage.cell(f"{CONCLUDED}:substantiated")
    substantiated = (Share("substantiated", substantiated_cell.value, _percent(substantiated_cell.value, concluded))
                     if concluded and substantiated_cell.value is not None else None)
    return Findings(
        year=stats.year, complete=stats.complete, total=total, total_small=stats.total.small,
        previous_year_total=previous,
        change=total - previous if total is not None and previous is not None else None,
        categories=_largest(stats.by_category, total), channels=_largest(stats.by_channel, total),
        acknowledged_in_time=_share(stats.acknowledgement, IN_TIME, total),
        feedback_in_time=_share(stats.feedback, IN_TIME, total),
        overdue=_share(stats.overdue, OVERDUE, total),
        concluded=concluded, substantiated=substantiated,
        median_days_to_acknowledge=stats.days_to_acknowledge.days,
        hidden_breakdowns=tuple(b.id for b in stats.breakdowns if b.hidden) if total is not None else (),
        some_hidden=total is None or any(cell.suppressed for b in stats.breakdowns for _k, cell in b.rows),
    )
