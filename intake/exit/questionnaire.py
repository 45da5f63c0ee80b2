"""A city's exit questionnaire: its definition, its versions, and checking a set of answers against it.

A definition is JSON (``hotline exit questionnaire load FILE``). Loading one makes a new version; older versions
that some response was given to stay, so a change never breaks an old response, and those without responses
are removed: a form still open on one of them gets "this version no longer exists" and the form again.

Questions the analytics know by their ``id``: ``department``, ``tenure_band`` and ``separation_type`` (the three
splits, single choices), ``main_reason`` (single choice) and ``other_reasons`` (several choices), ``recommend``
(0-10), ``come_back`` (single choice) and ``comments`` (free text). Every ``rating`` question (1-5) is analysed
too. Every question may be skipped. Every label is given in English and Spanish.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from intake import audit
from intake.audit.actions import AuditAction
from intake.cities import city_by_slug
from intake.clock import Clock, utc_now
from intake.db import Database
from intake.errors import InvalidInput, NotFound
from intake.models import ExitQuestionnaire, ExitResponse
from intake.text import clean_text, text_problem

LANGUAGES = ("en", "es")
CHOICE, MULTI, RATING, SCALE, TEXT = "choice", "multi", "rating", "scale", "text"
TYPES = (CHOICE, MULTI, RATING, SCALE, TEXT)
RATING_RANGE = (1, 5)
SCALE_RANGE = (0, 10)
DIMENSIONS = ("department", "separation_type", "tenure_band")
REQUIRED = {"department": CHOICE, "separation_type": CHOICE, "tenure_band": CHOICE}
KNOWN_TYPES = {"main_reason": CHOICE, "other_reasons": MULTI, "recommend": SCALE, "come_back": CHOICE,
               "comments": TEXT, **REQUIRED}
MAX_QUESTIONS = 60
MAX_OPTIONS = 40
MAX_TEXT_CHARS = 5000
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
VALUE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_]{0,39}$")
FIELD_PREFIX = "q_"


@dataclass(frozen=True)
class Option:
    value: str
    label: Mapping[str, str]


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    label: Mapping[str, str]
    hint: Mapping[str, str] | None
    options: tuple[Option, ...]

    @property
    def field(self) -> str:
        return FIELD_PREFIX + self.id

    def option_values(self) -> tuple[str, ...]:
        return tuple(option.value for option in self.options)


@dataclass(frozen=True)
class Questionnaire:
    id: int
    version: int
    questions: tuple[Question, ...]

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)


def _t(en: str, es: str) -> dict[str, str]:
    return {"en": en, "es": es}


def _options(*pairs: tuple[str, str, str]) -> list[dict[str, Any]]:
    return [{"value": value, "label": _t(en, es)} for value, en, es in pairs]


_REASONS = _options(
    ("pay", "Pay", "Salario"),
    ("benefits", "Benefits", "Prestaciones"),
    ("supervisor", "My supervisor", "Mi supervisor"),
    ("workload", "Workload or hours", "Carga de trabajo u horario"),
    ("advancement", "Few chances to advance", "Pocas oportunidades de ascenso"),
    ("culture", "Workplace culture", "Ambiente de trabajo"),
    ("safety", "Safety concerns", "Preocupaciones de seguridad"),
    ("another_job", "A better job elsewhere", "Un mejor empleo en otro lugar"),
    ("personal", "Personal or family reasons", "Motivos personales o familiares"),
    ("relocation", "Moving away", "Mudanza"),
    ("retirement", "Retirement", "Jubilación"),
    ("other", "Something else", "Otro motivo"),
)
_RATINGS = (
    ("supervisor", "Your supervisor", "Su supervisor"),
    ("pay", "Pay", "Salario"),
    ("benefits", "Benefits", "Prestaciones"),
    ("workload", "Workload", "Carga de trabajo"),
    ("training", "Training", "Capacitación"),
    ("advancement", "Chances to advance", "Oportunidades de ascenso"),
    ("culture", "Workplace culture", "Ambiente de trabajo"),
    ("safety", "Safety at work", "Seguridad en el trabajo"),
    ("equipment", "Tools and equipment", "Herramientas y equipo"),
)

DEFAULT_DEFINITION: dict[str, Any] = {"questions": [
    {"id": "separation_type", "type": CHOICE, "label": _t("How are you leaving?", "¿Cómo deja su puesto?"),
     "options": _options(("voluntary", "I chose to leave", "Decidí irme"), ("retirement", "Retirement", "Jubilación"),
                         ("involuntary", "The city ended my employment", "La ciudad terminó mi empleo"),
                         ("end_of_term", "My term or season ended", "Terminó mi plazo o temporada"))},
    {"id": "department", "type": CHOICE, "label": _t("Which part of the city did you work in?",
                                                     "¿En qué área de la ciudad trabajaba?"),
     "hint": _t("Broad groups only, so that no answer points to a person.",
                "Solo grupos amplios, para que ninguna respuesta señale a una persona."),
     "options": _options(("public_safety", "Police, fire and emergency services",
                          "Policía, bomberos y servicios de emergencia"),
                         ("public_works", "Public works and utilities", "Obras públicas y servicios"),
                         ("parks", "Parks and recreation", "Parques y recreación"),
                         ("administration", "Administration, finance and HR",
                          "Administración, finanzas y recursos humanos"),
                         ("development", "Community development", "Desarrollo comunitario"),
                         ("other", "Another department", "Otro departamento"))},
    {"id": "tenure_band", "type": CHOICE, "label": _t("How long did you work for the city?",
                                                      "¿Cuánto tiempo trabajó para la ciudad?"),
     "options": _options(("under_1", "Less than a year", "Menos de un año"),
                         ("1_to_5", "1 to 5 years", "De 1 a 5 años"),
                         ("5_to_10", "5 to 10 years", "De 5 a 10 años"),
                         ("over_10", "More than 10 years", "Más de 10 años"))},
    {"id": "main_reason", "type": CHOICE, "label": _t("What is the main reason you are leaving?",
                                                      "¿Cuál es el motivo principal por el que se va?"),
     "options": _REASONS},
    {"id": "other_reasons", "type": MULTI, "label": _t("Any other reasons?", "¿Algún otro motivo?"),
     "hint": _t("Choose all that apply.", "Elija todos los que correspondan."), "options": _REASONS},
    *[{"id": f"rating_{key}", "type": RATING,
       "label": _t(f"{en}: how would you rate it?", f"{es}: ¿cómo lo calificaría?")}
      for key, en, es in _RATINGS],
    {"id": "recommend", "type": SCALE,
     "label": _t("How likely are you to recommend working for the city to a friend?",
                 "¿Qué tan probable es que recomiende trabajar para la ciudad a un amigo?"),
     "hint": _t("0 means not at all likely, 10 extremely likely.", "0 significa nada probable y 10 muy probable.")},
    {"id": "come_back", "type": CHOICE, "label": _t("Would you come back to work for the city?",
                                                    "¿Volvería a trabajar para la ciudad?"),
     "options": _options(("yes", "Yes", "Sí"), ("maybe", "Maybe", "Tal vez"), ("no", "No", "No"))},
    {"id": "comments", "type": TEXT, "label": _t("Anything else you want the city to know?",
                                                 "¿Algo más que quiera que la ciudad sepa?"),
     "hint": _t("Please do not write names. Comments are shown to HR only when at least 10 people answered.",
                "Por favor no escriba nombres. Los comentarios se muestran a Recursos Humanos solo cuando "
                "al menos 10 personas respondieron.")},
]}


def _label(value: object, where: str, problems: dict[str, str]) -> dict[str, str]:
    if not isinstance(value, dict) or set(value) != set(LANGUAGES) or not all(
            isinstance(value[lang], str) and value[lang].strip() and len(value[lang]) <= 500 for lang in LANGUAGES):
        problems[where] = "Give the text in English and Spanish, as {\"en\": \"...\", \"es\": \"...\"}."
        return {lang: "" for lang in LANGUAGES}
    return {lang: clean_text(value[lang]) for lang in LANGUAGES}


def parse_definition(data: object, *, questionnaire_id: int = 0, version: int = 0) -> Questionnaire:
    """Check a definition and return it; :class:`InvalidInput` names every problem found."""
    problems: dict[str, str] = {}
    raw = data.get("questions") if isinstance(data, dict) else None
    if not isinstance(raw, list) or not raw or len(raw) > MAX_QUESTIONS:
        raise InvalidInput({"questions": f"Give a list of 1 to {MAX_QUESTIONS} questions under \"questions\"."})
    questions = []
    seen = set()
    for index, item in enumerate(raw):
        where = f"question {index + 1}"
        if not isinstance(item, dict):
            problems[where] = "Each question is an object with an id, a type and a label."
            continue
        qid, qtype = item.get("id"), item.get("type")
        if not isinstance(qid, str) or not ID_PATTERN.match(qid) or qid in seen:
            problems[where] = "Give each question a unique id of lower-case letters, digits and underscores."
            continue
        seen.add(qid)
        where = f"question {qid}"
        if qtype not in TYPES:
            problems[where] = "The type must be one of: " + ", ".join(TYPES) + "."
            continue
        if qid in KNOWN_TYPES and qtype != KNOWN_TYPES[qid]:
            problems[where] = f"The question {qid} must be of type {KNOWN_TYPES[qid]}."
            continue
        label = _label(item.get("label"), where, problems)
        hint = _label(item["hint"], where + " hint", problems) if item.get("hint") is not None else None
        options: list[Option] = []
        if qtype in (CHOICE, MULTI):
            raw_options = item.get("options")
            if not isinstance(raw_options, list) or not 2 <= len(raw_options) <= MAX_OPTIONS:
                problems[where] = f"A {qtype} question needs 2 to {MAX_OPTIONS} options."
                continue
            values = set()
            for option in raw_options:
                value = option.get("value") if isinstance(option, dict) else None
                if not isinstance(value, str) or not VALUE_PATTERN.match(value) or value in values:
                    problems[where] = "Give each option a unique value of lower-case letters, digits and underscores."
                    break
                values.add(value)
                options.append(Option(value, _label(option.get("label"), f"{where} option {value}", problems)))
        elif "options" in item:
            problems[where] = f"A {qtype} question has no options."
        questions.append(Question(qid, qtype, label, hint, tuple(options)))
    for qid in REQUIRED:
        if qid not in seen:
            problems[f"question {qid}"] = f"The questionnaire must ask {qid} (the analytics split by it)."
    if problems:
        raise InvalidInput(problems)
    return Questionnaire(questionnaire_id, version, tuple(questions))


def canonical(data: object) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def from_row(row: ExitQuestionnaire) -> Questionnaire:
    assert row.id is not None
    return parse_definition(json.loads(row.definition), questionnaire_id=row.id, version=row.version)


def current_row(session: Session, city_id: int, today: date) -> ExitQuestionnaire:
    """The city's newest version; the default questionnaire becomes version 1 the first time one is needed."""
    row = session.exec(select(ExitQuestionnaire).where(ExitQuestionnaire.city_id == city_id)
                       .order_by(col(ExitQuestionnaire.version).desc())).first()
    if row is None:
        row = ExitQuestionnaire(city_id=city_id, version=1, definition=canonical(DEFAULT_DEFINITION),
                                created_on=today)
        session.add(row)
        session.flush()
    return row


def version_row(session: Session, city_id: int, questionnaire_id: int) -> ExitQuestionnaire:
    row = session.get(ExitQuestionnaire, questionnaire_id)
    if row is None or row.city_id != city_id:
        raise NotFound("that questionnaire version no longer exists")
    return row


def add_version(session: Session, city_id: int, data: object, today: date) -> ExitQuestionnaire:
    """Make ``data`` the city's newest version and remove the versions nobody answered."""
    parse_definition(data)
    newest = current_row(session, city_id, today)
    row = ExitQuestionnaire(city_id=city_id, version=newest.version + 1, definition=canonical(data),
                            created_on=today)
    session.add(row)
    session.flush()
    answered = set(session.exec(select(ExitResponse.questionnaire_id).where(ExitResponse.city_id == city_id)
                                .distinct()).all())
    for old in session.exec(select(ExitQuestionnaire).where(ExitQuestionnaire.city_id == city_id,
                                                            ExitQuestionnaire.id != row.id)).all():
        if old.id not in answered:
            session.delete(old)
    return row


def check_answers(questionnaire: Questionnaire, fields: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """The answers in ``fields`` (form field name -> values), checked against ``questionnaire``.

    Skipped questions are left out. :class:`InvalidInput` names each answer out of range and each field that is
    no question of this version; nothing is kept from a form with a problem.
    """
    problems: dict[str, str] = {}
    known = {q.field for q in questionnaire.questions}
    unknown = sorted(name for name in fields if name.startswith(FIELD_PREFIX) and name not in known)
    if unknown:  # a fixed sentence, so it can be translated; what was sent is not repeated back
        problems["form"] = "The form held answers to questions this questionnaire does not ask."
    answers: dict[str, Any] = {}
    for question in questionnaire.questions:
        values = [v.strip() for v in fields.get(question.field, ()) if v.strip()]
        if not values:
            continue
        if question.type != MULTI and len(values) > 1:
            problems[question.field] = "Give one answer to this question."
            continue
        if question.type in (RATING, SCALE):
            low, high = RATING_RANGE if question.type == RATING else SCALE_RANGE
            value = values[0]
            if not (value.isascii() and value.isdigit() and low <= int(value) <= high):
                problems[question.field] = f"Choose a number from {low} to {high}, or leave it out."
                continue
            answers[question.id] = int(value)
        elif question.type == CHOICE:
            if values[0] not in question.option_values():
                problems[question.field] = "Choose one of the answers listed, or leave it out."
                continue
            answers[question.id] = values[0]
        elif question.type == MULTI:
            if not set(values) <= set(question.option_values()) or len(set(values)) != len(values):
                problems[question.field] = "Choose among the answers listed."
                continue
            answers[question.id] = sorted(values, key=question.option_values().index)
        else:
            text = clean_text(values[0])
            problem = text_problem(text, max_chars=MAX_TEXT_CHARS, required=False)
            if problem is not None:
                problems[question.field] = problem
                continue
            if text:
                answers[question.id] = text
    if problems:
        raise InvalidInput(problems)
    return answers


def answers_json(answers: Mapping[str, Any]) -> bytes:
    """What is sealed for a response: the answers as compact JSON with sorted keys."""
    return json.dumps({"answers": answers}, sort_keys=True, separators=(",", ":")).encode()


def widest_answers_length(questionnaire: Questionnaire, answers: Mapping[str, Any]) -> int:
    """The length of the answers JSON had every question been answered with its widest value (every option of a
    several-choice question, the longest option, the largest number), free text as given: what a response is
    padded to, so its sealed size says nothing of what was chosen or skipped (docs/design.md#sealing-content)."""
    widest: dict[str, Any] = {}
    for question in questionnaire.questions:
        if question.type == TEXT:
            if question.id in answers:
                widest[question.id] = answers[question.id]
        elif question.type == MULTI:
            widest[question.id] = list(question.option_values())
        elif question.type == CHOICE:
            widest[question.id] = max(question.option_values(), key=len, default="")
        else:
            widest[question.id] = (RATING_RANGE if question.type == RATING else SCALE_RANGE)[1]
    return len(answers_json(widest))


def load_questionnaire(db: Database, city_slug: str, data: object, *, clock: Clock = utc_now) -> int:
    """``hotline exit questionnaire load``: make ``data`` the city's newest version; return its number."""
    now = clock()
    parse_definition(data)
    with db.write() as session:
        city = city_by_slug(session, city_slug)
        assert city.id is not None
        locked = audit.lock_city(session, city.id)
        row = add_version(session, city.id, data, now.date())
        audit.append(session, locked, actor=audit.SYSTEM, action=AuditAction.EXIT_QUESTIONNAIRE_LOADED, when=now,
                     detail={"version": row.version})
        return row.version


def current_definition(db: Database, city_slug: str, *, clock: Clock = utc_now) -> dict[str, Any]:
    """The city's newest questionnaire as JSON data, to edit and load again."""
    with db.write() as session:
        city = city_by_slug(session, city_slug)
        assert city.id is not None
        row = current_row(session, city.id, clock().date())
        data: dict[str, Any] = json.loads(row.definition)
        return {"version": row.version, **data}
