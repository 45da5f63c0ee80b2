"""The bench's client reads each answer by its Content-Length, keeps the connection, and reconnects after a close."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from hotline.bench.keep_alive import AnswerUnreadable, KeepAliveConnection, prepared_post

REQUEST = prepared_post("127.0.0.1", 80, "/report/x", b"a=1&b=2", "application/x-www-form-urlencoded")


def _read_request(connection: socket.socket, buffer: bytearray) -> bytes | None:
    while REQUEST not in buffer:
        chunk = connection.recv(65536)
        if not chunk:
            return None
        buffer += chunk
    start = buffer.index(REQUEST)
    del buffer[:start + len(REQUEST)]
    return REQUEST


@contextmanager
def server(answer: Callable[[socket.socket, int], bool]) -> Iterator[tuple[int, list[int]]]:
    """A server that calls ``answer(connection, n)`` for the n-th request it reads (counted over all connections);
    ``answer`` returns False to close the connection. Yields the port and the count of connections accepted."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted = [0]
    served = [0]

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            accepted[0] += 1
            buffer = bytearray()
            with connection:
                while _read_request(connection, buffer) is not None:
                    served[0] += 1
                    if not answer(connection, served[0]):
                        break

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], accepted
    finally:
        listener.close()


def test_answers_on_one_connection_are_read_by_their_length_even_in_pieces():
    def answer(connection: socket.socket, n: int) -> bool:
        body = b"x" * (70_000 if n == 2 else 10)
        head = f"HTTP/1.1 {200 if n != 3 else 400} OK\r\ncontent-length: {len(body)}\r\n\r\n".encode()
        for start in range(0, len(head + body), 1000):  # in small pieces, as TCP may deliver them
            connection.sendall((head + body)[start:start + 1000])
        return True

    with server(answer) as (port, accepted):
        client = KeepAliveConnection("127.0.0.1", port)
        assert [client.exchange(REQUEST) for _ in range(4)] == [200, 200, 400, 200]
        client.close()
    assert accepted == [1]


def test_a_connection_the_server_closes_is_opened_again_for_the_next_request():
    def answer(connection: socket.socket, n: int) -> bool:
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        return False

    with server(answer) as (port, accepted):
        client = KeepAliveConnection("127.0.0.1", port)
        assert [client.exchange(REQUEST) for _ in range(3)] == [200, 200, 200]
        client.close()
    assert accepted == [3]


@pytest.mark.parametrize("answer_bytes", [
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",  # no length: not guessed at
    b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort",  # closed before the body ends
    b"garbage\r\n\r\n",
])
def test_an_answer_that_cannot_be_delimited_fails_and_the_next_request_reconnects(answer_bytes):
    def answer(connection: socket.socket, n: int) -> bool:
        if n == 1:
            connection.sendall(answer_bytes)
            return False
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        return True

    with server(answer) as (port, accepted):
        client = KeepAliveConnection("127.0.0.1", port)
        with pytest.raises(AnswerUnreadable):
            client.exchange(REQUEST)
        assert client.exchange(REQUEST) == 200
        client.close()
    assert accepted == [2]
