"""What a quarter's exit interviews say first: how many answered and the change from the quarter before, the
main reasons most given, the recommend score and its change, the best and worst rated
(docs/design.md#publishing-statistics-safely).

Worked out from the *visible* figures of the quarters' releases (intake.exit.analytics) only: a share is a visible
count over the visible total, a mean or score is one the tables show, a change is between two visible figures. So
the summary can never tell more than the tables beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

from intake.disclosure.suppression import Shown
from intake.exit.analytics import KIND_RATING, KIND_RECOMMEND, CityAnalytics, Distribution, QuarterRelease

LARGEST = 3


@dataclass(frozen=True)
class ExitShare:
    label: str
    count: int
    percent: int


@dataclass(frozen=True)
class ExitFindings:
    quarter: str
    total: int | None  # None: fewer than the threshold
    previous_quarter: str | None
    previous_total: int | None
    main_reasons: tuple[ExitShare, ...]
    main_reasons_certain: bool  # nothing withheld, so no hidden reason can be larger
    recommend: float | None
    previous_recommend: float | None
    best_rated: tuple[str, float] | None
    worst_rated: tuple[str, float] | None
    hidden: tuple[str, ...]  # titles of distributions with no visible figure, named in one line
    hidden_mentions: tuple[str, ...] = ()  # other reasons whose "given as another reason" figures are all hidden


def _recommend(release: QuarterRelease) -> float | None:
    found = next((d for d in release.measures if d.measure.kind == KIND_RECOMMEND), None)
    return found.summary if found is not None else None


def fully_hidden(distribution: Distribution) -> bool:
    return all(shown is not Shown.VISIBLE for shown in distribution.vector.shown)


def exit_findings(analytics: CityAnalytics) -> ExitFindings | None:
    release = analytics.release
    if release is None:
        return None
    total = release.total if release.total_shown is Shown.VISIBLE else None
    index = analytics.quarters.index(release.quarter)
    previous = analytics.trend[index - 1] if index > 0 else None
    previous_total = (previous.total if previous is not None and previous.total_shown is Shown.VISIBLE else None)
    reasons: tuple[ExitShare, ...] = ()
    certain = False
    main = next((d for d in release.measures if d.id == "main_reason"), None)
    if main is not None and total:
        answered = range(len(main.measure.categories) - 1)  # the last is "not given"
        visible = sorted(((main.measure.categories[i][1], main.vector.values[i]) for i in answered
                          if main.vector.shown[i] is Shown.VISIBLE and main.vector.values[i] > 0),
                         key=lambda pair: -pair[1])
        reasons = tuple(ExitShare(label, count, round(100 * count / total)) for label, count in visible[:LARGEST])
        certain = all(main.vector.shown[i] is not Shown.WITHHELD for i in answered)
    rated = [(d.measure.title, d.summary) for d in release.measures
             if d.measure.kind == KIND_RATING and d.summary is not None]
    rated.sort(key=lambda pair: pair[1])
    return ExitFindings(
        quarter=release.quarter, total=total, previous_quarter=previous.quarter if previous else None,
        previous_total=previous_total, main_reasons=reasons, main_reasons_certain=certain,
        recommend=_recommend(release), previous_recommend=_recommend(previous) if previous else None,
        best_rated=(rated[-1][0], rated[-1][1]) if len(rated) >= 2 else None,
        worst_rated=(rated[0][0], rated[0][1]) if len(rated) >= 2 else None,
        hidden=tuple(d.measure.title for d in release.dimensions + release.measures if fully_hidden(d))
        if total else (),
        hidden_mentions=tuple(d.measure.title for d in release.mentions if fully_hidden(d)) if total else ())
