"""``hotline bench exit``: the exit-interview analytics page over N encrypted responses, beside the floor.

The floor is measured in the same run on the same rows: opening every response with the city key (HPKE
ML-KEM-768 + X25519, then AES-256-GCM) and nothing else. The page is a real HTTP request to the app in process,
signed in as the city's HR: reading the rows, opening them, counting, suppressing (primary and complementary,
every table of the quarter), drawing the SVG charts and rendering the HTML. The target: within 1.5 times
the floor.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import time
from datetime import UTC, datetime

from hotline.bench.databases import add_common_arguments, bench_database
from hotline.bench.report import BenchSection, write_section

TARGET_RATIO = 1.5
PASSWORD = "benchmark password, not secret"  # noqa: S105  (a throwaway database)


def register(parts: argparse._SubParsersAction) -> None:
    parser = parts.add_parser("exit", help="Exit-interview analytics over encrypted responses vs. the floor.",
                              description="Time the exit-interview analytics page over encrypted responses beside "
                                          "the floor (decrypting the same responses, nothing else), in one run.")
    parser.add_argument("--responses", type=int, default=10_000, help="How many responses (default 10000).")
    parser.add_argument("--repeat", type=int, default=5, help="Timed runs of each (default 5; the median counts).")
    add_common_arguments(parser)
    parser.set_defaults(run=run)


def _answers(rng: random.Random, questionnaire: object) -> dict[str, object]:
    from intake.exit.questionnaire import CHOICE, MULTI, RATING, SCALE, TEXT, Questionnaire

    assert isinstance(questionnaire, Questionnaire)
    answers: dict[str, object] = {}
    for question in questionnaire.questions:
        if rng.random() < 0.08:
            continue  # skipped
        if question.type == CHOICE:
            answers[question.id] = rng.choice(question.option_values())
        elif question.type == MULTI:
            answers[question.id] = sorted(rng.sample(question.option_values(), rng.randint(0, 3)),
                                          key=question.option_values().index)
        elif question.type == RATING:
            answers[question.id] = rng.randint(1, 5)
        elif question.type == SCALE:
            answers[question.id] = rng.randint(0, 10)
        elif question.type == TEXT and rng.random() < 0.3:
            answers[question.id] = "A comment of the kind people leave, about workload and pay. " * 2
    return answers


def current_code(secret_text: str) -> str:
    """The TOTP code of this moment for the benchmark's HR reviewer (RFC 6238), as their phone would show."""
    import base64

    from intake.accounts import totp
    from intake.clock import utc_now

    secret = base64.b32decode(secret_text + "=" * (-len(secret_text) % 8))
    return totp.code_for_step(secret, totp.step_at(utc_now()))


def run(args: argparse.Namespace) -> int:
    from starlette.testclient import TestClient

    from crypto import hpke_keys
    from crypto.sealing import seal_to_city
    from hotline.app import create_app
    from hotline.settings import Settings
    from intake.accounts.account import set_up_totp
    from intake.accounts.reviewers import add_reviewer
    from intake.cities import create_city, find_city, open_city_key_with_recovery_key
    from intake.db import Database
    from intake.exit.questionnaire import current_row, from_row
    from intake.exit.survey import open_answers
    from intake.items import exit_answers_context, new_id
    from intake.models import ExitResponse
    from intake.operations.migrate import upgrade

    count = max(1, args.responses)
    with bench_database(args.database_url) as (url, kind):
        database = Database(url)
        upgrade(database)
        settings = Settings(database_url=database.url, pepper=b"p" * 40, session_key=b"s" * 40,
                            insecure_test_kdf=True)
        created = create_city(database, "raytown", "Raytown")
        key = open_city_key_with_recovery_key(find_city(database, "raytown"), created.recovery_key)
        add_reviewer(database, settings.intake_config(), city_slug="raytown", email="hr@raytown.example",
                     display_name="HR", password=PASSWORD, role="reviewer", city_private_key=key, groups=["hr"])
        totp_secret = set_up_totp(database, settings.intake_config(), "hr@raytown.example", PASSWORD)
        city = find_city(database, "raytown")
        assert city.id is not None
        with database.write() as session:
            questionnaire = from_row(current_row(session, city.id, datetime.now(UTC).date()))
        assert questionnaire.id is not None
        rng = random.Random(6)
        year = datetime.now(UTC).year - 1
        months = [f"{year}-{month:02d}" for month in range(1, 13)]
        rows = []
        for _ in range(count):
            response_id = new_id()
            plaintext = json.dumps({"answers": _answers(rng, questionnaire)}, sort_keys=True,
                                   separators=(",", ":")).encode()
            sealed = seal_to_city(plaintext, exit_answers_context(city.id, response_id, questionnaire.id),
                                  city.public_key)
            rows.append(ExitResponse(id=response_id, city_id=city.id, questionnaire_id=questionnaire.id,
                                     mode="anonymous", period=rng.choice(months), ciphertext=sealed.ciphertext,
                                     key_for_city=sealed.key_for_city))
        with database.write() as session:
            session.add_all(rows)
        rows = [ExitResponse(**row.model_dump()) for row in rows]

        def floor_once() -> float:
            started = time.perf_counter()
            loaded = hpke_keys.load_private_key(key)
            for row in rows:
                open_answers(row, loaded)
            return time.perf_counter() - started

        floor_samples, page_samples = [], []
        with TestClient(create_app(settings, database), base_url="https://testserver") as client:
            form = client.get("/review/sign-in").text
            token = re.search(r'name="form_token" value="([^"]*)"', form)
            assert token is not None
            signed_in = client.post("/review/sign-in", data={"form_token": token.group(1),
                                                             "email": "hr@raytown.example", "password": PASSWORD,
                                                             "code": current_code(totp_secret)})
            assert signed_in.status_code == 200, "could not sign in"
            client.get("/review/exit/raytown/analytics")  # warm-up: templates compiled, connections opened
            floor_once()
            # Interleaved, so that a busy moment on a shared machine falls on both alike.
            for _ in range(args.repeat):
                floor_samples.append(floor_once())
                started = time.perf_counter()
                page = client.get("/review/exit/raytown/analytics")
                page_samples.append(time.perf_counter() - started)
                assert page.status_code == 200 and "Exit interview analytics" in page.text
        database.dispose()

    floor, page_time = statistics.median(floor_samples), statistics.median(page_samples)
    ratio = page_time / floor
    verdict = "meets" if ratio <= TARGET_RATIO else "misses"
    markdown = (
        f"{count:,} encrypted exit responses over four quarters, {kind}, one city; median of {args.repeat} runs.\n\n"
        "| what | median | per response |\n|---|---|---|\n"
        f"| floor: open every response with the city key (HPKE ML-KEM-768+X25519, AES-256-GCM), nothing else "
        f"| {floor * 1000:.0f} ms | {floor / count * 1e6:.0f} µs |\n"
        f"| the analytics page: HTTP request, read, open, count, suppress every table, SVG charts, HTML "
        f"| {page_time * 1000:.0f} ms | {page_time / count * 1e6:.0f} µs |\n\n"
        f"Page / floor: **{ratio:.2f}x** (target: within {TARGET_RATIO}x; this run {verdict} it).\n"
    )
    print(markdown)
    if args.write:
        command = ("hotline bench exit" + (" --database-url URL" if args.database_url else "")
                   + (f" --responses {count}" if count != 10_000 else "") + " --write")
        write_section(BenchSection(f"exit-{kind.lower()}", f"Exit-interview analytics ({kind})", command, markdown),
                      args.report)
        print(f"Recorded in {args.report}.")
    return 0 if ratio <= TARGET_RATIO else 1
