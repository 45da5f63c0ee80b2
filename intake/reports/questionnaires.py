"""Questionnaires per city and category, as data, and the server-side check of every answer.

A questionnaire is a list of fields. Each has an ``id``, a ``type`` (text, long_text, single_choice,
multiple_choice, date, yes_no), a ``label`` and optional ``hint`` in each language (``en`` required), ``required``,
``choices`` for the choice types, ``max_chars`` for text, and ``show_if`` (``{"field": ..., "equals": ...}``) for a
conditional field, which is asked only when an earlier field has that answer. Answers are checked here against the
questionnaire, never trusted from the browser (GlobaLeaks trusts the client): an unknown field, a wrong type, a
missing required answer or a choice not offered is a problem named at its field, and nothing is stored.

Until a city loads its own (``hotline questionnaire load``), the packaged default set in
intake/data/default_questionnaires.json is asked.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import col, select

from intake import audit
from intake.audit.actions import AuditAction
from intake.categories import CATEGORY_SLUGS
from intake.cities import city_by_slug
from intake.clock import Clock, utc_now
from intake.db import Database, Statements, run_on_driver
from intake.errors import InvalidInput
from intake.messages import N_
from intake.models import Questionnaire
from intake.models.city import read_of_city
from intake.text import clean_text, text_problem

TEXT = "text"
LONG_TEXT = "long_text"
SINGLE_CHOICE = "single_choice"
MULTIPLE_CHOICE = "multiple_choice"
DATE = "date"
YES_NO = "yes_no"
FIELD_TYPES = (TEXT, LONG_TEXT, SINGLE_CHOICE, MULTIPLE_CHOICE, DATE, YES_NO)
CHOICE_TYPES = (SINGLE_CHOICE, MULTIPLE_CHOICE)
YES, NO = "yes", "no"

LANGUAGES = ("en", "es")
DEFAULT_MAX_CHARS = {TEXT: 500, LONG_TEXT: 10_000}
MAX_FIELDS = 60
MAX_CHOICES = 40
# Form inputs are named "q-<field id>" so they can never collide with the form's own fields.
INPUT_PREFIX = "q-"
DEFAULTS_FILE = Path(__file__).parent.parent / "data" / "default_questionnaires.json"

# How yes/no answers read back, in each language (the rest of the wording comes from the questionnaire).
_YES_NO_WORDS = {"en": {YES: "Yes", NO: "No"}, "es": {YES: "Sí", NO: "No"}}


@dataclass(frozen=True)
class Choice:
    value: str
    label: Mapping[str, str]


@dataclass(frozen=True)
class Condition:
    field: str
    equals: str


@dataclass(frozen=True)
class QuestionField:
    id: str
    type: str
    label: Mapping[str, str]
    hint: Mapping[str, str] | None
    required: bool
    choices: tuple[Choice, ...]
    max_chars: int
    show_if: Condition | None

    @property
    def input_name(self) -> str:
        return INPUT_PREFIX + self.id

    def choice(self, value: str) -> Choice | None:
        return next((choice for choice in self.choices if choice.value == value), None)


@dataclass(frozen=True)
class QuestionnaireDefinition:
    category: str
    fields: tuple[QuestionField, ...]
    version: int = 0  # 0: the packaged default

    def field(self, field_id: str) -> QuestionField | None:
        return next((field for field in self.fields if field.id == field_id), None)

    def to_json(self) -> str:
        return json.dumps(_definition_data(self), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def in_language(text: Mapping[str, str] | None, language: str) -> str:
    """The text in ``language``, or in English when the questionnaire has no translation."""
    if not text:
        return ""
    return text.get(language) or text.get("en", "")


# ---------------------------------------------------------------------------------------------------- parsing


def _localized(value: Any, where: str, problems: dict[str, str], *, required: bool) -> dict[str, str] | None:
    if value is None and not required:
        return None
    if isinstance(value, str):
        value = {"en": value}
    if not isinstance(value, dict) or not isinstance(value.get("en"), str) or not value["en"].strip():
        problems[where] = "Give the text as {\"en\": \"...\", \"es\": \"...\"} with at least English."
        return None
    unknown = set(value) - set(LANGUAGES)
    if unknown or not all(isinstance(text, str) and len(text) <= 1000 for text in value.values()):
        problems[where] = f"Only the languages {', '.join(LANGUAGES)} are known, each at most 1,000 characters."
        return None
    return {language: text.strip() for language, text in value.items()}


def _identifier(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 40 and value.replace("_", "").isalnum() and value.isascii()


def parse_definition(data: Any) -> QuestionnaireDefinition:
    """A checked questionnaire from its JSON form; :class:`InvalidInput` naming every problem otherwise."""
    problems: dict[str, str] = {}
    if not isinstance(data, dict):
        raise InvalidInput({"questionnaire": "A questionnaire is a JSON object with \"category\" and \"fields\"."})
    category = data.get("category")
    if category not in CATEGORY_SLUGS:
        problems["category"] = f"Use one of: {', '.join(sorted(CATEGORY_SLUGS))}."
    unknown_keys = set(data) - {"category", "fields"}
    if unknown_keys:
        problems["questionnaire"] = f"Unknown keys: {', '.join(sorted(unknown_keys))}."
    raw_fields = data.get("fields")
    if not isinstance(raw_fields, list) or len(raw_fields) > MAX_FIELDS:
        problems["fields"] = f"Give \"fields\" as a list of at most {MAX_FIELDS} fields."
        raise InvalidInput(problems)
    fields: list[QuestionField] = []
    seen: dict[str, QuestionField] = {}
    for index, raw in enumerate(raw_fields):
        where = f"fields[{index}]"
        parsed = _parse_field(raw, where, seen, problems)
        if parsed is not None:
            fields.append(parsed)
            seen[parsed.id] = parsed
    if problems:
        raise InvalidInput(problems)
    return QuestionnaireDefinition(category=str(category), fields=tuple(fields))


_FIELD_KEYS = {"id", "type", "label", "hint", "required", "choices", "max_chars", "show_if"}


def _parse_field(raw: Any, where: str, earlier: Mapping[str, QuestionField],
                 problems: dict[str, str]) -> QuestionField | None:
    if not isinstance(raw, dict):
        problems[where] = "Each field is a JSON object."
        return None
    before = len(problems)
    if set(raw) - _FIELD_KEYS:
        problems[where] = f"Unknown keys: {', '.join(sorted(set(raw) - _FIELD_KEYS))}."
    field_id, field_type = raw.get("id"), raw.get("type")
    if not _identifier(field_id):
        problems[f"{where}.id"] = "Use letters, digits and underscores (at most 40)."
    elif field_id in earlier:
        problems[f"{where}.id"] = f"The id {field_id!r} is used twice."
    if field_type not in FIELD_TYPES:
        problems[f"{where}.type"] = f"Use one of: {', '.join(FIELD_TYPES)}."
    label = _localized(raw.get("label"), f"{where}.label", problems, required=True)
    hint = _localized(raw.get("hint"), f"{where}.hint", problems, required=False)
    required = raw.get("required", False)
    if not isinstance(required, bool):
        problems[f"{where}.required"] = "Use true or false."
    choices: list[Choice] = []
    raw_choices = raw.get("choices")
    if field_type in CHOICE_TYPES:
        if not isinstance(raw_choices, list) or not 1 <= len(raw_choices) <= MAX_CHOICES:
            problems[f"{where}.choices"] = f"A choice field needs 1 to {MAX_CHOICES} choices."
        else:
            for number, choice in enumerate(raw_choices):
                value = choice.get("value") if isinstance(choice, dict) else None
                choice_label = _localized(choice.get("label") if isinstance(choice, dict) else None,
                                          f"{where}.choices[{number}].label", problems, required=True)
                if not _identifier(value) or any(c.value == value for c in choices):
                    problems[f"{where}.choices[{number}].value"] = "Give each choice its own value (letters, _)."
                elif choice_label is not None:
                    choices.append(Choice(str(value), choice_label))
    elif raw_choices is not None:
        problems[f"{where}.choices"] = "Only choice fields have choices."
    max_chars = raw.get("max_chars", DEFAULT_MAX_CHARS.get(str(field_type), 0))
    if field_type in DEFAULT_MAX_CHARS and (not isinstance(max_chars, int) or not 1 <= max_chars <= 50_000):
        problems[f"{where}.max_chars"] = "Give max_chars as a number from 1 to 50,000."
    condition = None
    if (show_if := raw.get("show_if")) is not None:
        condition = _parse_condition(show_if, f"{where}.show_if", earlier, problems)
    if len(problems) > before or label is None:
        return None
    return QuestionField(id=str(field_id), type=str(field_type), label=label, hint=hint, required=bool(required),
                         choices=tuple(choices), max_chars=int(max_chars or 0), show_if=condition)


def _parse_condition(raw: Any, where: str, earlier: Mapping[str, QuestionField],
                     problems: dict[str, str]) -> Condition | None:
    if not isinstance(raw, dict) or set(raw) != {"field", "equals"}:
        problems[where] = "Give show_if as {\"field\": \"<an earlier field>\", \"equals\": \"<an answer>\"}."
        return None
    parent = earlier.get(raw["field"]) if isinstance(raw["field"], str) else None
    if parent is None or parent.type not in (*CHOICE_TYPES, YES_NO):
        problems[where] = "show_if must name an earlier yes/no or choice field."
        return None
    allowed = {YES, NO} if parent.type == YES_NO else {choice.value for choice in parent.choices}
    if raw["equals"] not in allowed:
        problems[where] = f"show_if.equals must be one of: {', '.join(sorted(allowed))}."
        return None
    return Condition(parent.id, str(raw["equals"]))


def _definition_data(definition: QuestionnaireDefinition) -> dict[str, Any]:
    fields = []
    for field in definition.fields:
        entry: dict[str, Any] = {"id": field.id, "type": field.type, "label": dict(field.label),
                                 "required": field.required}
        if field.hint:
            entry["hint"] = dict(field.hint)
        if field.choices:
            entry["choices"] = [{"value": c.value, "label": dict(c.label)} for c in field.choices]
        if field.type in DEFAULT_MAX_CHARS:
            entry["max_chars"] = field.max_chars
        if field.show_if:
            entry["show_if"] = {"field": field.show_if.field, "equals": field.show_if.equals}
        fields.append(entry)
    return {"category": definition.category, "fields": fields}


def parse_file_data(data: Any) -> list[QuestionnaireDefinition]:
    """One questionnaire (an object with "category") or several (``{"questionnaires": [...]}``)."""
    if isinstance(data, dict) and "questionnaires" in data:
        items = data["questionnaires"]
        if not isinstance(items, list) or not items or set(data) != {"questionnaires"}:
            raise InvalidInput({"questionnaires": "Give a non-empty list of questionnaires."})
    else:
        items = [data]
    definitions, problems = [], {}
    for index, item in enumerate(items):
        try:
            definitions.append(parse_definition(item))
        except InvalidInput as invalid:
            problems.update({f"questionnaires[{index}].{key}": text for key, text in invalid.problems.items()})
    categories = [definition.category for definition in definitions]
    if len(set(categories)) != len(categories):
        problems["questionnaires"] = "Each category may appear only once in a file."
    if problems:
        raise InvalidInput(problems)
    return definitions


@cache
def default_questionnaires() -> dict[str, QuestionnaireDefinition]:
    data = json.loads(DEFAULTS_FILE.read_text(encoding="utf-8"))
    return {definition.category: definition for definition in parse_file_data(data)}


# ---------------------------------------------------------------------------------------------------- storage


def questionnaire_for(session: Statements, city_id: int, category: str) -> QuestionnaireDefinition:
    """The questionnaire a reporter of this city is asked for this category: the city's latest, else the default."""
    return questionnaire_from(run_on_driver(session, *questionnaire_read(city_id, category)).first(), category)


def questionnaire_read(city: int | str, category: str) -> tuple[Any, dict[str, Any]]:
    """The statement and values :func:`questionnaire_for` reads (for intake.db.run_together), the city named by its
    id or by its slug (intake.models.city.read_of_city)."""
    return read_of_city(_latest_questionnaire(), city, category=category)


def questionnaire_from(row: tuple[Any, ...] | None, category: str) -> QuestionnaireDefinition:
    """The questionnaire from the row :func:`questionnaire_read` read."""
    if row is None:
        return default_questionnaires().get(category) or QuestionnaireDefinition(category, ())
    version, text = row
    definition = parse_definition(json.loads(text))
    return QuestionnaireDefinition(definition.category, definition.fields, version)


@cache
def _latest_questionnaire() -> Any:
    # Built once, its values as parameters: every web report runs it (intake.routing explains why).
    return (select(Questionnaire.version, Questionnaire.definition)
            .where(Questionnaire.city_id == bindparam("city_id"), Questionnaire.category == bindparam("category"))
            .order_by(col(Questionnaire.version).desc()).limit(1))


@dataclass(frozen=True)
class LoadedQuestionnaire:
    category: str
    version: int
    fields: int


def load_questionnaires(
    db: Database, city_slug: str, data: Any, *, clock: Clock = utc_now
) -> list[LoadedQuestionnaire]:
    """Store each questionnaire in ``data`` as the city's next version for its category (audited)."""
    definitions = parse_file_data(data)
    loaded = []
    with db.write() as session:
        city = city_by_slug(session, city_slug)
        assert city.id is not None
        city = audit.lock_city(session, city.id)
        assert city.id is not None
        for definition in definitions:
            latest = session.exec(select(Questionnaire.version).where(
                Questionnaire.city_id == city.id, Questionnaire.category == definition.category)
                .order_by(col(Questionnaire.version).desc())).first()
            version = (latest or 0) + 1
            session.add(Questionnaire(city_id=city.id, category=definition.category, version=version,
                                      definition=definition.to_json(), created_at=clock()))
            audit.append(session, city, actor=audit.SYSTEM, action=AuditAction.QUESTIONNAIRE_LOADED, when=clock(),
                         subject=definition.category, detail={"version": version, "fields": len(definition.fields)})
            loaded.append(LoadedQuestionnaire(definition.category, version, len(definition.fields)))
    return loaded


# ---------------------------------------------------------------------------------------------------- answers


@dataclass(frozen=True)
class Answer:
    """One answer as sealed: the question and answer in every language, so later edits cannot change it."""

    field_id: str
    type: str
    value: str | list[str]
    question: Mapping[str, str]
    answer: Mapping[str, str]


def _answer_text(field: QuestionField, value: str | list[str], language: str) -> str:
    if field.type == YES_NO:
        return _YES_NO_WORDS.get(language, _YES_NO_WORDS["en"])[str(value)]
    if field.type in CHOICE_TYPES:
        values = value if isinstance(value, list) else [value]
        return "; ".join(in_language(choice.label, language) for v in values if (choice := field.choice(v)))
    return str(value)


def check_answers(definition: QuestionnaireDefinition, raw: Mapping[str, Sequence[str]]) -> tuple[Answer, ...]:
    """Answers checked against ``definition``. ``raw`` maps input names ("q-<id>") to the values posted.

    Raises :class:`InvalidInput` keyed by input name. A conditional field whose condition is not met is not
    asked, so whatever was typed into it is not kept.
    """
    problems: dict[str, str] = {}
    given: dict[str, str | list[str]] = {}
    known = {field.input_name for field in definition.fields}
    for name in raw:
        if name.startswith(INPUT_PREFIX) and name not in known:
            problems[name[:60]] = N_("This question is not part of this form.")
    for field in definition.fields:
        values = [clean_text(v) for v in raw.get(field.input_name, ())]
        values = [v for v in values if v]
        if field.show_if is not None:
            parent = given.get(field.show_if.field)
            parent_values = parent if isinstance(parent, list) else [parent]
            if field.show_if.equals not in parent_values:
                continue
        problem, value = _check_one(field, values)
        if problem is not None:
            problems[field.input_name] = problem
        elif value is not None:
            given[field.id] = value
    if problems:
        raise InvalidInput(problems)
    answers = []
    for field in definition.fields:
        if field.id in given:
            value = given[field.id]
            answers.append(Answer(field.id, field.type, value, dict(field.label),
                                  {language: _answer_text(field, value, language) for language in LANGUAGES}))
    return tuple(answers)


def _check_one(field: QuestionField, values: list[str]) -> tuple[str | None, str | list[str] | None]:
    if not values:
        return (N_("Please answer this question.") if field.required else None), None
    if field.type != MULTIPLE_CHOICE and len(values) > 1:
        return N_("Give one answer only."), None
    if field.type in (TEXT, LONG_TEXT):
        return text_problem(values[0], max_chars=field.max_chars), values[0]
    if field.type == YES_NO:
        return (None, values[0]) if values[0] in (YES, NO) else (N_("Answer yes or no."), None)
    if field.type in CHOICE_TYPES:
        if any(field.choice(v) is None for v in values):
            return N_("Choose from the options offered."), None
        if len(set(values)) != len(values):
            return N_("Each option can be chosen once."), None
        return None, (values if field.type == MULTIPLE_CHOICE else values[0])
    if field.type == DATE:
        try:
            when = date.fromisoformat(values[0])
        except ValueError:
            return N_("Give a date as year-month-day, for example 2025-03-31."), None
        if len(values[0]) != 10 or not 1900 <= when.year <= 2999:
            return N_("Give a date as year-month-day, for example 2025-03-31."), None
        return None, when.isoformat()
    return N_("This question cannot be answered here."), None


def answers_json(definition: QuestionnaireDefinition, answers: Sequence[Answer]) -> str:
    """What is sealed as the case's answers item."""
    return json.dumps({"category": definition.category, "version": definition.version,
                       "answers": [{"id": a.field_id, "type": a.type, "value": a.value, "question": dict(a.question),
                                    "answer": dict(a.answer)} for a in answers]},
                      ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class ReadAnswer:
    question: str
    answer: str


def read_answers(sealed_json: str, language: str = "en") -> tuple[ReadAnswer, ...]:
    data = json.loads(sealed_json)
    return tuple(ReadAnswer(in_language(entry["question"], language), in_language(entry["answer"], language))
                 for entry in data.get("answers", []))


def answer_texts(answers: Sequence[Answer]) -> list[str]:
    """Free text the reporter typed in answers (checked for reviewers' names,
    docs/design.md#routing-and-conflict-of-interest)."""
    return [str(a.value) for a in answers if a.type in (TEXT, LONG_TEXT)]
