"""The confidentiality scan's search: named secrets looked for in named places, in every form a careless
copy could take.

A secret can reach storage other than as its text: pg_dump's plain output shows a ``bytea`` column as hex, a
JSON or a cookie may hold it base64-encoded, and a logger may change its case. So each secret is looked for as
its text (ignoring case), as hex, and as base64 at each of the three alignments it could sit at.
"""

from __future__ import annotations

import base64
import ipaddress
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@dataclass(frozen=True)
class Finding:
    secret: str  # the secret's name, such as "narrative"
    place: str  # where, such as "database file hotline.sqlite3-wal"
    form: str  # "text", "hex" or "base64"
    context: str  # what surrounds it there, to see at a glance what kept it

    def __str__(self) -> str:
        return f"{self.secret} ({self.form}) in {self.place}: ...{self.context}..."


def _base64_forms(data: bytes) -> list[bytes]:
    """The part of ``data``'s base64 encoding that does not depend on what comes before or after it, for each
    of the three offsets (modulo 3) it can start at in the encoded whole."""
    forms = []
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + data)
        start = 4 if shift else 0  # the first quantum mixes in the unknown bytes before
        whole = (shift + len(data)) // 3 * 4  # quanta made of known bytes only (the last may mix in what follows)
        if whole - start >= 12:
            forms.append(encoded[start:whole])
    return forms


def forms_of(value: str | bytes) -> list[tuple[str, bytes, bool]]:
    """(form, needle, ignore case) for every way ``value`` is looked for: a text as text, hex and base64; raw bytes
    (a key, a PRF output) as themselves, hex, base64 and base64url."""
    if isinstance(value, bytes):
        found = [("raw", value, False), ("hex", value.hex().encode(), True)]
        found += [("base64", needle, False) for needle in _base64_forms(value)]
        found += [("base64url", needle.replace(b"+", b"-").replace(b"/", b"_"), False)
                  for needle in _base64_forms(value)]
        return found
    data = value.encode("utf-8")
    found = [("text", data.lower(), True), ("hex", data.hex().encode(), True)]
    found += [("base64", needle, False) for needle in _base64_forms(data)]
    return found


def address_forms(address: str) -> list[str]:
    """An IPv4 address as text, reversed (in-addr.arpa), as an integer and IPv4-mapped IPv6 in hex."""
    ip = ipaddress.IPv4Address(address)
    packed = ip.packed.hex()
    return [str(ip), ".".join(reversed(str(ip).split("."))), str(int(ip)), f"{packed[:4]}:{packed[4:]}"]


def scan(secrets: Mapping[str, str | bytes], places: Mapping[str, bytes]) -> list[Finding]:
    """Every place each secret is found in, in any of its forms."""
    findings = []
    for place, content in places.items():
        lowered = content.lower()
        for name, value in secrets.items():
            for form, needle, ignore_case in forms_of(value):
                haystack = lowered if ignore_case else content
                at = haystack.find(needle)
                if at >= 0:
                    around = content[max(0, at - 60): at + len(needle) + 60]
                    findings.append(Finding(name, place, form, around.decode("utf-8", "replace")))
                    break
    return findings


def report(findings: Iterable[Finding]) -> str:
    return "\n".join(str(finding) for finding in findings)


def files_under(directory: Path, label: str) -> dict[str, bytes]:
    """Every file below ``directory``, by ``label``/relative path."""
    if not directory.exists():
        return {}
    return {f"{label} {path.relative_to(directory)}": path.read_bytes()
            for path in sorted(directory.rglob("*")) if path.is_file()}


def sqlite_files(database_file: Path) -> dict[str, bytes]:
    """The database file and its write-ahead log and shared memory, byte for byte."""
    return {f"database file {path.name}": path.read_bytes()
            for path in sorted(database_file.parent.glob(database_file.name + "*")) if path.is_file()}


def libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def pg_dump_plain(url: str, schema: str | None = None) -> bytes:
    """pg_dump's plain SQL of the database (or of one schema), data included."""
    command = ["pg_dump", "--format=plain", "--no-owner", f"--dbname={libpq_url(url)}"]
    if schema:
        command.append(f"--schema={schema}")
    return subprocess.run(command, capture_output=True, check=True, timeout=120).stdout


def pg_restore_plain(backup: Path) -> bytes:
    """A custom-format pg_dump archive (compressed) as the plain SQL it holds."""
    return subprocess.run(["pg_restore", "--file=-", str(backup)], capture_output=True, check=True,
                          timeout=120).stdout


def table_rows(url: str, table: str) -> bytes:
    """Every row of ``table``, each value as Python shows it (bytes as bytes), one row a line."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text(f"SELECT * FROM {table}")).all()
    finally:
        engine.dispose()
    return "\n".join(repr(tuple(row)) for row in rows).encode()
