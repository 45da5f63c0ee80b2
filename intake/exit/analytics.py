"""Exit-interview statistics for a city's HR, suppressed so that no figure points to a person
(docs/design.md#exit-interviews).

The unit of release is a closed calendar quarter. A quarter's responses never change once it has ended (a
response is filed under the month it was sent), so its figures are computed the same way every time they are
shown, exported or published: HR cannot difference two views of a quarter, and the regional publication of a
quarter is the very same figures. The current quarter is not shown until it ends: day-by-day totals would show
whose answers just arrived.

Within a quarter every distribution (each rating, the recommend score, come back, main reason, each other
reason, and the three splitting questions) shares the quarter's total, which is shown unless it is small. Each
split (a measure by department, tenure band or separation type) is a two-way table whose margins are exactly
those distributions, locked, so a department of 4 is "fewer than 5" in every table it borders and its hidden
figure is protected in each (intake.disclosure.suppression). The trend is the quarters' distributions side by side;
no sum over quarters is published. Comments are shown only for a quarter with at least 10 responses, sorted, so
their order says nothing about when they came; never per department (the quarter's comments minus a large
department's would be a small department's).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import col, select

from crypto import hpke_keys
from intake import audit
from intake.audit.actions import AuditAction
from intake.clock import Clock, utc_now
from intake.db import Database
from intake.disclosure.suppression import Shown, Table, Vector, suppress_distributions, suppress_table
from intake.exit.hr import HrAccess, settings_of
from intake.exit.questionnaire import DIMENSIONS, MULTI, RATING, Questionnaire, from_row
from intake.exit.survey import open_sealed_answers
from intake.models import ExitPublication, ExitQuestionnaire, ExitResponse

COMMENTS_MINIMUM = 10  # comments only for groups of 10 or more
SKIPPED = "_skipped"
MENTIONED, NOT_MENTIONED = "mentioned", "not_mentioned"
RECOMMEND_CATEGORIES = (("detractor", "0 to 6"), ("passive", "7 or 8"), ("promoter", "9 or 10"))
KIND_DIMENSION, KIND_RATING, KIND_RECOMMEND, KIND_CHOICE, KIND_MENTION = (
    "dimension", "rating", "recommend", "choice", "mention")


def quarter_of(period: str) -> str:
    year, month = period.split("-")
    return f"{year}-Q{(int(month) - 1) // 3 + 1}"


def quarter_of_day(day: date) -> str:
    return quarter_of(day.strftime("%Y-%m"))


@dataclass(frozen=True)
class Decoded:
    """One response, opened: its month and answers. Lives only in memory, in an HR session."""

    period: str
    answers: dict[str, Any]


@dataclass(frozen=True)
class Measure:
    """What is counted for one question: its categories, in order, with labels."""

    id: str
    title: str
    kind: str
    categories: tuple[tuple[str, str], ...]  # (value, label)
    question_id: str
    option: str | None = None  # for a mention: which reason

    def coder(self) -> Callable[[dict[str, Any]], int]:
        """The index of the category a response falls in (the last is "not given"), as a small closure with
        everything looked up once, for counting many responses."""
        qid, last = self.question_id, len(self.categories) - 1
        if self.kind == KIND_MENTION:
            option = self.option

            # Only the "other reasons" answer: were the main reason counted too, "mentioned" could never be
            # below "main reason", a tie between two distributions that their separate checks do not see.
            def mention(answers: dict[str, Any]) -> int:
                chosen = answers.get(qid)
                return 0 if isinstance(chosen, list) and option in chosen else 1
            return mention
        if self.kind == KIND_RECOMMEND:
            def recommend(answers: dict[str, Any]) -> int:
                value = answers.get(qid)
                if not isinstance(value, int):
                    return last
                return 0 if value <= 6 else 1 if value <= 8 else 2
            return recommend
        index: dict[object, int] = {}
        for i, (value, _label) in enumerate(self.categories[:-1]):
            index[value] = i
            if value.isdigit():
                index[int(value)] = i  # ratings are stored as numbers

        def choice(answers: dict[str, Any]) -> int:
            value = answers.get(qid)
            # Not given, or an option no version offers any more: the last category.
            return index.get(value, last) if isinstance(value, str | int) else last
        return choice


@dataclass(frozen=True)
class Catalog:
    """The measures of a city, from every questionnaire version that has responses (newest first)."""

    dimensions: tuple[Measure, ...]
    measures: tuple[Measure, ...]
    mentions: tuple[Measure, ...]


def _options_union(questionnaires: Sequence[Questionnaire], question_id: str) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for questionnaire in questionnaires:
        question = questionnaire.question(question_id)
        if question is not None:
            for option in question.options:
                seen.setdefault(option.value, option.label["en"])
    return list(seen.items())


def _title(questionnaires: Sequence[Questionnaire], question_id: str) -> str:
    for questionnaire in questionnaires:
        question = questionnaire.question(question_id)
        if question is not None:
            return question.label["en"]
    return question_id


def catalog_of(questionnaires: Sequence[Questionnaire]) -> Catalog:
    ordered = sorted(questionnaires, key=lambda q: -q.version)
    not_given = (SKIPPED, "Not given")
    dimensions = tuple(
        Measure(qid, _title(ordered, qid), KIND_DIMENSION, (*_options_union(ordered, qid), not_given), qid)
        for qid in DIMENSIONS
    )
    measures: list[Measure] = []
    rating_ids: list[str] = []
    for questionnaire in ordered:
        rating_ids += [q.id for q in questionnaire.questions if q.type == RATING and q.id not in rating_ids]
    for qid in rating_ids:
        measures.append(Measure(qid, _title(ordered, qid), KIND_RATING,
                                (*((str(v), str(v)) for v in range(1, 6)), not_given), qid))
    if any(q.question("recommend") for q in ordered):
        measures.append(Measure("recommend", _title(ordered, "recommend"), KIND_RECOMMEND,
                                (*RECOMMEND_CATEGORIES, not_given), "recommend"))
    for qid in ("come_back", "main_reason"):
        if any(q.question(qid) for q in ordered):
            measures.append(Measure(qid, _title(ordered, qid), KIND_CHOICE,
                                    (*_options_union(ordered, qid), not_given), qid))
    mentions = []
    if any(q.question("other_reasons") and q.question("other_reasons").type == MULTI  # type: ignore[union-attr]
           for q in ordered):
        for value, label in _options_union(ordered, "other_reasons"):
            mentions.append(Measure(f"mention_{value}", label, KIND_MENTION,
                                    ((MENTIONED, "Given as another reason"),
                                     (NOT_MENTIONED, "Not given as another reason")),
                                    "other_reasons", value))
    return Catalog(dimensions, tuple(measures), tuple(mentions))


@dataclass(frozen=True)
class Distribution:
    measure: Measure
    vector: Vector
    summary: float | None  # a rating's mean or the recommend score, only when every figure it uses is visible

    @property
    def id(self) -> str:
        return self.measure.id


@dataclass(frozen=True)
class Split:
    dimension: Distribution
    measure: Distribution
    table: Table
    row_summaries: tuple[float | None, ...]


@dataclass(frozen=True)
class QuarterRelease:
    quarter: str
    threshold: int
    total: int
    total_shown: Shown
    dimensions: tuple[Distribution, ...]
    measures: tuple[Distribution, ...]
    mentions: tuple[Distribution, ...]
    splits: dict[str, tuple[Split, ...]] = field(default_factory=dict)
    comments: tuple[str, ...] | None = None

    def distributions(self) -> tuple[Distribution, ...]:
        return self.dimensions + self.measures + self.mentions


def summary_of(measure: Measure, counts: Sequence[int], shown: Sequence[Shown]) -> float | None:
    """The mean rating or the recommend score (percent promoters minus percent detractors), from visible figures
    only: a mean over hidden cells, beside their visible total, would be one more equation to solve them."""
    if measure.kind not in (KIND_RATING, KIND_RECOMMEND):
        return None
    answered = range(len(measure.categories) - 1)
    if any(shown[i] is not Shown.VISIBLE for i in answered):
        return None
    n = sum(counts[i] for i in answered)
    if n == 0:
        return None
    if measure.kind == KIND_RATING:
        return round(sum((i + 1) * counts[i] for i in answered) / n, 2)
    return round(100 * (counts[2] - counts[0]) / n)


def build_quarter(quarter: str, responses: Sequence[Decoded], catalog: Catalog, threshold: int, *,
                  splits: bool = True, comments: bool = True) -> QuarterRelease:
    """The suppressed figures of one quarter. Pure: the same responses always give the same figures."""
    all_measures = catalog.dimensions + catalog.measures + catalog.mentions
    # Each response's category in every measure, worked out once: counting and splitting then use indexes only.
    answers = [r.answers for r in responses]
    codes = [list(map(m.coder(), answers)) for m in all_measures]
    counts = []
    for counted, column_codes in zip(all_measures, codes, strict=True):
        tally = [0] * len(counted.categories)
        for code in column_codes:
            tally[code] += 1
        counts.append(tally)
    total_shown, vectors = suppress_distributions(counts, threshold)
    distributions = [Distribution(m, v, summary_of(m, v.values, v.shown))
                     for m, v in zip(all_measures, vectors, strict=True)]
    n_dim, n_measure = len(catalog.dimensions), len(catalog.measures)
    dimensions = tuple(distributions[:n_dim])
    measures = tuple(distributions[n_dim:n_dim + n_measure])
    mentions = tuple(distributions[n_dim + n_measure:])
    split_tables: dict[str, tuple[Split, ...]] = {}
    if splits:
        for d_index, dimension in enumerate(dimensions):
            tables = []
            for m_index, measure in enumerate(measures, start=n_dim):
                width = len(measure.measure.categories)
                flat = [0] * (len(dimension.measure.categories) * width)
                for row, column in zip(codes[d_index], codes[m_index], strict=True):
                    flat[row * width + column] += 1
                cells = [flat[i:i + width] for i in range(0, len(flat), width)]
                table = suppress_table(cells, threshold, dimension.vector, measure.vector)
                summaries = tuple(summary_of(measure.measure, table.values[i], table.shown[i])
                                  for i in range(len(cells)))
                tables.append(Split(dimension, measure, table, summaries))
            split_tables[dimension.id] = tuple(tables)
    shown_comments = None
    if comments and len(responses) >= max(COMMENTS_MINIMUM, threshold):
        shown_comments = tuple(sorted(str(r.answers["comments"]) for r in responses if r.answers.get("comments")))
    return QuarterRelease(quarter, threshold, len(responses), total_shown, dimensions, measures, mentions,
                          split_tables, shown_comments)


@dataclass(frozen=True)
class CityAnalytics:
    city_name: str
    city_slug: str
    mode: str
    threshold: int
    quarters: tuple[str, ...]  # closed quarters with responses, oldest first
    release: QuarterRelease | None  # the chosen quarter
    trend: tuple[QuarterRelease, ...]  # every closed quarter, distributions only
    published: frozenset[str]
    open_quarter: str
    open_quarter_responses: bool


def _decoded(db: Database, hr: HrAccess) -> tuple[list[Decoded], list[Questionnaire]]:
    with db.read() as session:
        # Plain tuples of the columns needed, not ORM objects: ten thousand rows are read on every view.
        rows = session.execute(sa_select(col(ExitResponse.id), col(ExitResponse.questionnaire_id),
                                         col(ExitResponse.period), col(ExitResponse.ciphertext),
                                         col(ExitResponse.key_for_city))
                               .where(col(ExitResponse.city_id) == hr.city_id)).all()
        versions = session.exec(select(ExitQuestionnaire).where(ExitQuestionnaire.city_id == hr.city_id)
                                .order_by(col(ExitQuestionnaire.version))).all()
    key = hpke_keys.load_private_key(hr.private_key)  # once, not once per response
    decoded = [Decoded(period, open_sealed_answers(hr.city_id, response_id, questionnaire_id, ciphertext,
                                                   key_for_city, key))
               for response_id, questionnaire_id, period, ciphertext, key_for_city in rows]
    return decoded, [from_row(v) for v in versions]


def city_analytics(db: Database, hr: HrAccess, quarter: str | None = None, *, clock: Clock = utc_now,
                   record: bool = True) -> CityAnalytics:
    """Everything the analytics page, its charts and its CSV show. Opening the responses is audited."""
    today = clock().date()
    with db.read() as session:
        settings = settings_of(session, hr.city_id)
        published = frozenset(session.exec(select(ExitPublication.quarter)
                                           .where(ExitPublication.city_id == hr.city_id)).all())
    decoded, questionnaires = _decoded(db, hr)
    current = quarter_of_day(today)
    by_quarter: dict[str, list[Decoded]] = {}
    for response in decoded:
        by_quarter.setdefault(quarter_of(response.period), []).append(response)
    closed = tuple(sorted(q for q in by_quarter if q < current))
    catalog = catalog_of(questionnaires)
    chosen = quarter if quarter in closed else (closed[-1] if closed else None)
    release = (build_quarter(chosen, by_quarter[chosen], catalog, settings.threshold) if chosen is not None
               else None)
    trend = tuple(release if release is not None and q == chosen else
                  build_quarter(q, by_quarter[q], catalog, settings.threshold, splits=False, comments=False)
                  for q in closed)
    if record:
        with db.write() as session:
            city = audit.lock_city(session, hr.city_id)
            audit.append(session, city, actor=hr.context.actor, action=AuditAction.EXIT_ANALYTICS_READ, when=clock(),
                         detail={"quarter": chosen or "-"})
    return CityAnalytics(hr.city_name, hr.city_slug, settings.mode, settings.threshold, closed, release, trend,
                         published, current, current in by_quarter)


def figures_of(release: QuarterRelease) -> dict[str, Any]:
    """A quarter's distributions as published to the partnership: hidden figures carry no number at all."""
    return {
        "quarter": release.quarter,
        "threshold": release.threshold,
        "total": release.total if release.total_shown is Shown.VISIBLE else None,
        "total_shown": release.total_shown.value,
        "distributions": [
            {"id": d.id, "title": d.measure.title, "kind": d.measure.kind,
             "categories": [list(c) for c in d.measure.categories],
             "values": [d.vector.visible(i) for i in range(len(d.vector.values))],
             "shown": [s.value for s in d.vector.shown],
             "summary": d.summary}
            for d in release.distributions()
        ],
    }
