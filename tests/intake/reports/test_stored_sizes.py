"""Sizes give nothing away (docs/design.md#sealing-content): two reports whose narratives are 300 and 900
characters, to the same city and category with the same answers, add stored binary values (BLOB, bytea) of exactly
the same sizes, and so do two reports with files of 14,000 and 14,300 bytes; reviewers still see true sizes."""

from __future__ import annotations

import os

from sqlalchemy import LargeBinary, MetaData, select

from crypto.scratch import ScratchFile
from intake.casework import cases as casework
from intake.reports.attachments import Upload
from intake.reports.submission import submit_report
from tests.intake.casework.console_helpers import context_for, make_city

ANSWERS = {"q-where": ["the north depot"], "q-how_known": ["saw"], "q-ongoing": ["yes"]}


def binary_values(database) -> dict[tuple[str, tuple, str], bytes]:
    """(table, primary key, column) -> every binary value stored."""
    metadata = MetaData()
    values = {}
    with database.engine.connect() as connection:
        metadata.reflect(connection)
        for table in metadata.sorted_tables:
            columns = [column for column in table.columns if isinstance(column.type, LargeBinary)]
            if not columns:
                continue
            keys = list(table.primary_key.columns)
            for row in connection.execute(select(*keys, *columns)):
                key = tuple(row[: len(keys)])
                for offset, column in enumerate(columns):
                    value = row[len(keys) + offset]
                    if value is not None:
                        values[(table.name, key, column.name)] = bytes(value)
    return values


def added_sizes(database, submit) -> list[tuple[str, str, int]]:
    """What one submission added or changed, as (table, column, size), sorted."""
    before = binary_values(database)
    submit()
    after = binary_values(database)
    return sorted((table, column, len(value)) for (table, key, column), value in after.items()
                  if before.get((table, key, column)) != value)


def upload(name: str, data: bytes) -> Upload:
    scratch = ScratchFile()
    scratch.write(data)
    return Upload(name, scratch.finish())


def test_narratives_of_300_and_900_characters_store_the_same_sizes(database, config):
    make_city(database, config, "raytown", {"ana": ("reviewer", None)})

    def report(length: int):
        return lambda: submit_report(database, config, city_slug="raytown", category="safety",
                                     narrative=("The crane was not inspected. " * 40)[:length], answers=ANSWERS)

    report(600)()  # the city's first report also makes its sealed routing set; compare two that follow
    short, long = added_sizes(database, report(300)), added_sizes(database, report(900))
    assert short == long and ("case_item", "ciphertext", 12 + 1024 + 16) in short


def test_files_of_14000_and_14300_bytes_store_the_same_sizes_and_reviewers_see_the_true_ones(database, config):
    make_city(database, config, "raytown", {"ana": ("reviewer", None)})
    made = {}

    def report(size: int):
        def submit():
            made[size] = submit_report(database, config, city_slug="raytown", category="safety",
                                       narrative="A file is attached.",
                                       attachments=[upload("evidence.bin", os.urandom(size))]).case_id
        return submit

    report(1)()
    small, large = added_sizes(database, report(14_000)), added_sizes(database, report(14_300))
    assert small == large and ("item_chunk", "ciphertext", 14_336 + 16) in small
    ana = context_for(database, config, "ana@raytown.example")
    for size, case_id in made.items():
        if size == 1:
            continue
        assert [f.size for f in casework.read_case(database, ana, case_id).files.attachments] == [size]
