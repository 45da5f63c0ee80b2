"""The bench's client connection: one prepared request sent again and again on a keep-alive connection.

The clients run on the same cores as the server they measure, so every millisecond a client spends is one the
server did not get. ``http.client`` builds and parses each request and answer in Python (about half a millisecond
of a report's CPU on a two-core VM, `hotline bench intake`); this sends bytes made once and reads the answer's
head only as far as its status and its length (RFC 9112 section 6: the server under test always sends a
Content-Length, and an answer without one is counted as failed, not guessed at).
"""

from __future__ import annotations

import socket

HEAD_END = b"\r\n\r\n"
MAX_HEAD_BYTES = 64 * 1024


class AnswerUnreadable(OSError):
    """The server's answer ended early or could not be delimited; the connection is closed."""


def prepared_post(host: str, port: int, path: str, body: bytes, content_type: str) -> bytes:
    """A whole HTTP/1.1 POST, head and body, as one client sends it every time."""
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode("ascii") + body


class KeepAliveConnection:
    """A connection that sends prepared requests and returns each answer's status (its body is read and dropped).
    It reconnects by itself after the server closed it, or after :meth:`close`."""

    def __init__(self, host: str, port: int, timeout: float = 60.0) -> None:
        self._address = (host, port)
        self._timeout = timeout
        self._socket: socket.socket | None = None
        self._buffer = b""

    def exchange(self, request: bytes) -> int:
        if self._socket is None:
            self._socket = socket.create_connection(self._address, timeout=self._timeout)
            self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._buffer = b""
        try:
            self._socket.sendall(request)
            return self._read_answer()
        except OSError:
            self.close()
            raise

    def _read_answer(self) -> int:
        while (end := self._buffer.find(HEAD_END)) < 0:
            if len(self._buffer) > MAX_HEAD_BYTES:
                raise AnswerUnreadable("the answer's head is too long")
            self._receive()
        head, self._buffer = self._buffer[:end], self._buffer[end + len(HEAD_END):]
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        if len(parts) < 2 or not parts[1].isdigit():
            raise AnswerUnreadable("the answer has no status line")
        length: int | None = None
        closing = False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value.strip())
            elif name == b"connection" and value.strip().lower() == b"close":
                closing = True
        if length is None:
            raise AnswerUnreadable("the answer has no Content-Length")
        while len(self._buffer) < length:
            self._receive()
        self._buffer = self._buffer[length:]
        if closing:
            self.close()
        return int(parts[1])

    def _receive(self) -> None:
        assert self._socket is not None
        chunk = self._socket.recv(256 * 1024)
        if not chunk:
            raise AnswerUnreadable("the server closed the connection mid-answer")
        self._buffer += chunk

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        self._buffer = b""
