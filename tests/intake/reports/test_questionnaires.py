"""Questionnaires as data: the default set is valid, definitions are checked, answers are checked on the server."""

import pytest

from intake.categories import CATEGORY_SLUGS
from intake.errors import InvalidInput
from intake.reports.questionnaires import (
    FIELD_TYPES,
    answers_json,
    check_answers,
    default_questionnaires,
    parse_definition,
    read_answers,
)


def test_the_default_set_covers_every_category_and_every_field_type():
    defaults = default_questionnaires()
    assert set(defaults) == set(CATEGORY_SLUGS)
    types = {field.type for definition in defaults.values() for field in definition.fields}
    assert types == set(FIELD_TYPES)
    assert any(field.show_if for field in defaults["safety"].fields)
    for definition in defaults.values():
        assert all(field.label.get("es") for field in definition.fields)  # asked in Spanish too


@pytest.mark.parametrize(("definition", "where"), [
    ({"category": "nope", "fields": []}, "category"),
    ({"category": "safety", "fields": [{"id": "a b", "type": "text", "label": "x"}]}, "fields[0].id"),
    ({"category": "safety", "fields": [{"id": "a", "type": "text"}]}, "fields[0].label"),
    ({"category": "safety", "fields": [{"id": "a", "type": "single_choice", "label": "x"}]}, "fields[0].choices"),
    ({"category": "safety", "fields": [{"id": "a", "type": "text", "label": "x", "colour": 1}]}, "fields[0]"),
    ({"category": "safety", "fields": [{"id": "a", "type": "text", "label": "x"},
                                       {"id": "a", "type": "text", "label": "y"}]}, "fields[1].id"),
    ({"category": "safety", "fields": [{"id": "a", "type": "yes_no", "label": "x"},
                                       {"id": "b", "type": "text", "label": "y",
                                        "show_if": {"field": "a", "equals": "maybe"}}]}, "fields[1].show_if"),
])
def test_bad_definitions_name_the_problem(definition, where):
    with pytest.raises(InvalidInput) as raised:
        parse_definition(definition)
    assert where in raised.value.problems


def test_answers_are_checked_and_sealed_with_their_questions_in_both_languages():
    definition = parse_definition({"category": "safety", "fields": [
        {"id": "hurt", "type": "yes_no", "label": {"en": "Anyone hurt?", "es": "¿Alguien herido?"}},
        {"id": "how", "type": "multiple_choice", "label": "How?", "required": True,
         "choices": [{"value": "fall", "label": {"en": "A fall", "es": "Una caída"}},
                     {"value": "cut", "label": "A cut"}],
         "show_if": {"field": "hurt", "equals": "yes"}},
    ]})
    assert check_answers(definition, {"q-hurt": ["no"], "q-how": ["fall"]})[0].value == "no"
    with pytest.raises(InvalidInput) as raised:
        check_answers(definition, {"q-hurt": ["yes"]})
    assert raised.value.problems == {"q-how": "Please answer this question."}
    answers = check_answers(definition, {"q-hurt": ["yes"], "q-how": ["fall", "cut"]})
    sealed = answers_json(definition, answers)
    assert [(a.question, a.answer) for a in read_answers(sealed, "es")] == [
        ("¿Alguien herido?", "Sí"), ("How?", "Una caída; A cut")]
