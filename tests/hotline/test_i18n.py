"""Every message of the project has a Spanish translation with the same placeholders, compiled from the
committed .po at start-up (no .mo is committed)."""

import re
from pathlib import Path

from hotline.i18n import extract_messages, load_translations, read_catalog, translator
from intake.messages import Message
from intake.text import text_problem

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def test_every_extracted_message_has_a_spanish_translation_with_the_same_placeholders():
    spanish = {message.id: message.string for message in read_catalog("es") if message.id}
    missing, mismatched = [], []
    for message in extract_messages():
        if not message.id:
            continue
        translation = spanish.get(message.id)
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = translation if isinstance(translation, tuple) else (translation,)
        if not translation or not all(strings):
            missing.append(ids[0])
            continue
        if set(PLACEHOLDER.findall(ids[-1])) != set(PLACEHOLDER.findall(strings[-1])):
            mismatched.append(ids[0])
    assert missing == [] and mismatched == []


def test_no_compiled_catalog_is_committed():
    assert not list((Path(__file__).resolve().parents[2] / "hotline").rglob("*.mo"))


def test_domain_messages_with_values_are_translated_then_filled_in():
    translate = translator(load_translations("es"), "es")
    problem = text_problem("x" * 50_001, max_chars=50_000)
    assert isinstance(problem, Message) and problem == "This is too long: at most 50,000 characters."
    assert translate(problem) == "Esto es demasiado largo: como máximo 50.000 caracteres."
    assert translate("This cannot be empty.") == "Esto no puede quedar vacío."
