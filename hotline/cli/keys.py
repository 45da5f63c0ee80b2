"""``hotline key rotate`` and ``hotline key recover``: a city's key pair, replaced or recovered."""

from __future__ import annotations

import argparse

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from crypto.errors import WrongSecret
from hotline.cli.common import (
    CommandError,
    open_database,
    print_json,
    read_secret,
    recovery_key_from,
    settings_from_env,
)
from hotline.cli.serve import check_schema
from intake.accounts.restore import recover_city_admin
from intake.cities import find_city, recovery_key_refusal
from intake.keys.rotation import DEFAULT_BATCH, rotate_city_key, rotation_status


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("key", help="City key commands: rotate, recover, status.",
                                 description="City key commands.")
    sub = parser.add_subparsers(dest="key_command", required=True, metavar="COMMAND")
    rotate = sub.add_parser(
        "rotate", help="Replace a city's key pair and re-seal every data key to it (resumable).",
        description="Make a new key pair for the city and re-seal every item's data key to it; content is not "
                    "re-encrypted. Interrupted, run it again to carry on where it stopped. Reviewers keep access: "
                    "each takes the new key at their next sign-in. Needs the city's recovery key (from "
                    "--recovery-key-file, HOTLINE_RECOVERY_KEY or a prompt). A new recovery key guards the new key "
                    "and is printed once when the rotation finishes; the old one then opens nothing.")
    rotate.add_argument("--city", required=True, help="The city's slug.")
    rotate.add_argument("--recovery-key-file", help="A file holding the city's recovery key.")
    rotate.add_argument("--keep-recovery-key", action="store_true",
                        help="Keep the current recovery key instead of making a new one (only if it did not leak).")
    rotate.add_argument("--batch-size", type=int, default=DEFAULT_BATCH,
                        help=f"Items re-sealed per transaction (default {DEFAULT_BATCH}).")
    rotate.add_argument("--no-progress", action="store_true", help="Do not draw a progress bar.")
    rotate.add_argument("--json", action="store_true", help="Print the result as JSON for scripts.")
    rotate.set_defaults(run=run_rotate)
    recover = sub.add_parser(
        "recover", help="Give a city admin access again with the recovery key (every password lost).",
        description="Use the city's recovery key to make EMAIL an admin of the city with a new password and a "
                    "fresh copy of the city key. For an existing account the password is replaced, its copies of "
                    "other cities' keys are cleared (those cities recover the same way) and its sessions end.")
    recover.add_argument("--city", required=True, help="The city's slug.")
    recover.add_argument("--email", required=True, help="The admin's sign-in email (existing or new).")
    recover.add_argument("--name", default="", help="The admin's name, for a new account.")
    recover.add_argument("--password-stdin", action="store_true", help="Read the new password from standard input.")
    recover.add_argument("--recovery-key-file", help="A file holding the city's recovery key.")
    recover.add_argument("--json", action="store_true", help="Print the result as JSON for scripts.")
    recover.set_defaults(run=run_recover)
    status = sub.add_parser("status", help="Show a city's key version and any unfinished rotation.",
                            description="Show a city's key version and how far an unfinished rotation got.")
    status.add_argument("--city", required=True, help="The city's slug.")
    status.set_defaults(run=run_status)


def run_rotate(args: argparse.Namespace) -> int:
    if args.batch_size < 1:
        raise CommandError("--batch-size must be at least 1.")
    database = open_database(settings_from_env())
    check_schema(database)
    city = find_city(database, args.city)
    recovery_key = recovery_key_from(args)
    columns = (TextColumn(f"Re-sealing {city.slug}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, disable=args.no_progress or args.json, transient=False) as bar:
        task = bar.add_task("reseal", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            result = rotate_city_key(database, city.slug, recovery_key, keep_recovery_key=args.keep_recovery_key,
                                     batch_size=args.batch_size, progress=progress)
        except WrongSecret:
            raise CommandError(recovery_key_refusal(database, city, recovery_key, city_label=city.slug)) from None
    if args.json:
        print_json({"city": result.city_slug, "from_version": result.from_version, "to_version": result.to_version,
                    "items": result.items, "resumed": result.resumed, "reviewers_granted": result.reviewers_granted,
                    "reviewers_unreachable": list(result.reviewers_unreachable),
                    "changed_meanwhile": result.changed_meanwhile, "recovery_key": result.recovery_key})
        return 0
    print(f"{result.city_slug}: key version {result.from_version} -> {result.to_version}, {result.items} items "
          f"re-sealed{' (resumed)' if result.resumed else ''}. {result.reviewers_granted} reviewers take the new key "
          "at their next sign-in.")
    if result.recovery_key is not None:
        print(f"New recovery key (shown once; print it and keep it offline): {result.recovery_key}")
        print("The old recovery key opens nothing any more: destroy every copy of it.")
    else:
        print("The recovery key was kept: the one you used still guards the new key.")
    if result.reviewers_unreachable:
        print(f"{len(result.reviewers_unreachable)} reviewers (ids {', '.join(map(str, result.reviewers_unreachable))})"
              " had not signed in since personal keys were introduced and no longer hold the key: add them again "
              "with `hotline reviewer add`, or recover an admin with `hotline key recover`.")
    return 0


def run_recover(args: argparse.Namespace) -> int:
    settings = settings_from_env()
    database = open_database(settings)
    check_schema(database)
    city = find_city(database, args.city)
    recovery_key = recovery_key_from(args)
    password = read_secret("New password for the admin: ", from_stdin=args.password_stdin, confirm=True)
    recovered = recover_city_admin(database, settings.intake_config(), city_slug=city.slug,
                                   recovery_key=recovery_key, email=args.email, display_name=args.name,
                                   new_password=password)
    if args.json:
        print_json({"city": recovered.city_slug, "email": recovered.email, "reviewer_id": recovered.reviewer_id,
                    "new_account": recovered.new_account,
                    "cities_to_restore": list(recovered.cities_to_restore)})
        return 0
    print(f"{recovered.email} is admin of {recovered.city_slug} again and can sign in with the new password.")
    if recovered.cities_to_restore:
        print("This account no longer holds the key of: " + ", ".join(recovered.cities_to_restore)
              + " (recover or re-add it there).")
    return 0


def run_status(args: argparse.Namespace) -> int:
    database = open_database(settings_from_env())
    status = rotation_status(database, args.city)
    if status.running:
        print(f"{status.city_slug}: key version {status.key_version}; a rotation is unfinished "
              f"({status.items_resealed} of {status.items_total} items re-sealed): run `hotline key rotate` again.")
    else:
        print(f"{status.city_slug}: key version {status.key_version}; no rotation running.")
    return 0
