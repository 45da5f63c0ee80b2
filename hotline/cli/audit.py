"""``hotline audit verify``: walk each city's audit chain (or an exported file) and name the first bad entry;
``hotline audit export``: write a city's chain with an Ed25519-signed head; ``hotline audit public-key``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from crypto.audit_chain import signing_public_key
from hotline.cli.common import CommandError, open_database, settings_from_env
from intake.audit import verify_city
from intake.audit.export import dumps, export_chain, verify_export
from intake.cities import find_city, list_cities


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("audit", help="Audit log commands.", description="Audit log commands.")
    sub = parser.add_subparsers(dest="audit_command", required=True, metavar="COMMAND")
    verify = sub.add_parser("verify", help="Check every city's audit chain (exit status 1 if one is broken).",
                            description="Check that no audit entry was changed, removed or reordered.")
    verify.add_argument("--city", help="Check only this city (its slug).")
    verify.add_argument("--file", help="Check an exported chain (from `hotline audit export`) instead of the "
                                       "database; needs no settings.")
    verify.add_argument("--public-key", help="With --file: the city's published signing key (64 hexadecimal "
                                             "digits) the head must be signed with.")
    verify.set_defaults(run=run_verify)
    export = sub.add_parser("export", help="Write a city's audit chain with a signed head (JSON).",
                            description="Verify a city's audit chain and write it, with its head signed with "
                                        "HOTLINE_AUDIT_SIGNING_KEY (Ed25519), as JSON that anyone can check with "
                                        "`hotline audit verify --file`.")
    export.add_argument("--city", required=True, help="The city's slug.")
    export.add_argument("--out", help="File to write (default: standard output).")
    export.set_defaults(run=run_export)
    public = sub.add_parser("public-key", help="Print the public key that checks exported chain heads.",
                            description="Print the Ed25519 public key of HOTLINE_AUDIT_SIGNING_KEY, to publish so "
                                        "anyone can check an export with --public-key.")
    public.set_defaults(run=run_public_key)


def run_export(args: argparse.Namespace) -> int:
    settings = settings_from_env()
    seed = settings.audit_signing_seed()
    database = open_database(settings)
    data = export_chain(database, find_city(database, args.city), seed)
    if args.out:
        Path(args.out).write_text(dumps(data), encoding="utf-8")
        print(f"{args.city}: {len(data['entries'])} entries written to {args.out}, head signed.", file=sys.stderr)
    else:
        sys.stdout.write(dumps(data))
    return 0


def run_public_key(args: argparse.Namespace) -> int:
    print(signing_public_key(settings_from_env().audit_signing_seed()).hex())
    return 0


def _verify_file(args: argparse.Namespace) -> int:
    try:
        data = json.loads(Path(args.file).read_text(encoding="utf-8"))
    except OSError as error:
        raise CommandError(f"Cannot read {args.file}: {error.strerror}.") from None
    except ValueError:
        raise CommandError(f"{args.file} is not JSON: not a hotline audit export.") from None
    expected = None
    if args.public_key:
        try:
            expected = bytes.fromhex(args.public_key)
        except ValueError:
            raise CommandError("--public-key must be 64 hexadecimal digits.") from None
    verdict = verify_export(data if isinstance(data, dict) else {}, expected)
    if verdict.ok:
        how = "the key given" if expected is not None else f"the key in the file ({data['public_key']})"
        print(f"{verdict.city}: {verdict.entries} entries, chain intact, head signature valid under {how}")
        return 0
    where = f" at entry {verdict.first_bad_sequence}" if verdict.first_bad_sequence else ""
    print(f"{verdict.city}: export BROKEN{where}: {verdict.problem}")
    return 1


def run_verify(args: argparse.Namespace) -> int:
    if args.file:
        return _verify_file(args)
    database = open_database(settings_from_env())
    cities = [find_city(database, args.city)] if args.city else list_cities(database)
    broken = 0
    with database.read() as session:
        for city in cities:
            verdict = verify_city(session, city)
            if verdict.ok:
                print(f"{city.slug}: {verdict.entries} entries, chain intact")
            else:
                broken += 1
                print(f"{city.slug}: chain BROKEN at entry {verdict.first_bad_sequence}: {verdict.problem}")
    return 1 if broken else 0
