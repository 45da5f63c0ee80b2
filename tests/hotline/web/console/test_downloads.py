"""Streamed downloads announce their true length and are cut short, never ended as if whole, when the stored
ciphertext fails part-way (docs/design.md#streaming). Served by uvicorn as deployed, read off a raw socket, so the
bytes counted are exactly the bytes a browser would get."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn
from sqlmodel import col, delete, func, select

from crypto.scratch import ScratchFile
from hotline.app import create_app
from hotline.settings import Settings
from intake.accounts.account import set_up_totp
from intake.accounts.reviewers import add_reviewer, sign_in
from intake.accounts.sessions import start_session
from intake.cities import create_city, find_city, open_city_key_with_recovery_key
from intake.db import Database
from intake.models import CaseItem, ItemChunk
from intake.reports.attachments import Upload
from intake.reports.submission import submit_report
from tests.e2e.servers import free_port

PASSWORD = "a long enough password"
FILE = bytes(range(256)) * 800  # 204,800 bytes, padded to 208,896: four chunks of 64 KiB, the last one short


@dataclass
class Served:
    base_port: int
    database: Database
    cookie: str
    case_id: str
    item_id: str


def upload(name: str, data: bytes) -> Upload:
    scratch = ScratchFile()
    scratch.write(data)
    return Upload(name, scratch.finish())


@pytest.fixture
def served(database: Database) -> Iterator[Served]:
    port = free_port()
    settings = Settings(database_url=database.url, pepper=b"p" * 40, session_key=b"s" * 40, insecure_test_kdf=True,
                        public_url=f"http://127.0.0.1:{port}", release_interval_seconds=0)
    config = settings.intake_config()
    created = create_city(database, "raytown", "Raytown")
    key = open_city_key_with_recovery_key(find_city(database, "raytown"), created.recovery_key)
    add_reviewer(database, config, city_slug="raytown", email="a@raytown.example", display_name="Ada Reviewer",
                 password=PASSWORD, role="reviewer", city_private_key=key)
    made = submit_report(database, config, city_slug="raytown", category="safety", narrative="with a file",
                         attachments=[upload("evidence.bin", FILE)])
    set_up_totp(database, config, "a@raytown.example", PASSWORD)  # no case is reachable without it
    signed_in = sign_in(database, config, "a@raytown.example", PASSWORD)
    cookie = start_session(database, signed_in, signed_in.memberships[0].city_id)
    with database.read() as session:
        item_id = session.exec(select(CaseItem.id).where(CaseItem.kind == "attachment")).one()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, database), host="127.0.0.1", port=port,
                                           log_config=None, access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield Served(port, database, cookie, made.case_id, item_id)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def fetch(served: Served, path: str) -> tuple[int, dict[str, str], bytes]:
    """GET ``path`` with the reviewer's cookie; the status, headers and every body byte before the server closed."""
    with socket.create_connection(("127.0.0.1", served.base_port), timeout=30) as connection:
        connection.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                           f"Cookie: __Host-hotline-session={served.cookie}\r\nConnection: close\r\n\r\n".encode())
        received = bytearray()
        while chunk := connection.recv(65536):
            received += chunk
    head, _, body = bytes(received).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:])}
    assert "chunked" not in headers.get("transfer-encoding", "")
    return int(lines[0].split()[1]), headers, body


def routes(served: Served) -> list[str]:
    case = f"/review/cases/{served.case_id}"
    return [f"{case}/files/{served.item_id}", f"{case}/items/{served.item_id}/content"]


def test_a_whole_file_is_sent_with_its_true_length(served):
    for path in routes(served):
        status, headers, body = fetch(served, path)
        assert status == 200 and int(headers["content-length"]) == len(FILE) and body == FILE, path
    status, headers, body = fetch(served, f"/review/cases/{served.case_id}/files.zip")
    assert status == 200 and int(headers["content-length"]) == len(body) and body.startswith(b"PK")


@pytest.mark.parametrize("damage", ["last chunk deleted", "third chunk altered"])
def test_a_stream_that_fails_part_way_gives_fewer_bytes_than_content_length(served, damage):
    with served.database.write() as session:
        chunks = session.exec(select(func.count()).select_from(ItemChunk)
                              .where(ItemChunk.item_id == served.item_id)).one()
        assert chunks == 4
        if damage == "last chunk deleted":
            session.exec(delete(ItemChunk).where(col(ItemChunk.item_id) == served.item_id, ItemChunk.index == 3))
        else:
            row = session.exec(select(ItemChunk).where(ItemChunk.item_id == served.item_id,
                                                       ItemChunk.index == 2)).one()
            row.ciphertext = bytes([row.ciphertext[0] ^ 1]) + row.ciphertext[1:]
            session.add(row)
    for path in routes(served):
        status, headers, body = fetch(served, path)
        # The headers promised the whole file; the connection closed after the chunks that authenticated.
        assert status == 200 and int(headers["content-length"]) == len(FILE), path
        assert len(body) < len(FILE) and body == FILE[:len(body)], path
        # Exactly the chunks before the damage, less the padded stream's 8-byte length in front.
        assert len(body) in (2 * 65536 - 8, 3 * 65536 - 8), path
