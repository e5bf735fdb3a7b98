"""The load benchmark's client: one thread, one epoll loop, N keep-alive HTTP/1.1 connections.

Why not a thread per client with ``http.client``: 16 threads taking turns on one GIL cost
CPU that the servers being measured need (the machine has 2 cores), and a request's
latency then includes the time its thread waited for the GIL. Here a single
``selectors.DefaultSelector`` multiplexes the connections; requests are bytes built
beforehand and answers are parsed just enough to be judged.

Each connection is a closed loop: it sends a request, reads its whole answer, then sends
the next, until the deadline. Requests in flight at the deadline are finished and
counted (``DRAIN_SECONDS`` at most, then counted as errors), so once ``run_clients``
returns no request is pending. What a connection sends is up to its ``Script``.

Rules:

- Latency: from just before the request's ``send`` to just after the ``recv`` that
  brought its answer's last byte (``time.perf_counter``).
- An answer with ``Connection: close`` is read whole, then the connection is reopened
  before the next request (gunicorn says so when a worker is about to be recycled).
- A connection that closes (or is reset) while a request is in flight, before its whole
  answer arrived, counts that request as an error and is reopened. The request is not
  sent again: the server may have processed it (a POST stored) without answering, so
  stored rows may exceed accepted ones, never the reverse. This includes a request the
  server closed the connection on without reading it: the client cannot tell the two
  cases apart for sure, and errors are reported.
- An answer must be HTTP/1.1 with a ``Content-Length`` (or be 204 or 304, which have no
  body). Chunked bodies, bodies ending with the connection and bytes after an answer
  raise ``ProtocolError``: the endpoints measured never send them, and a silent misread
  would corrupt the figures.
- Failing to connect raises: the server is gone, and counting errors in a tight loop
  would hide it. So does a request the socket does not take whole at once (they are far
  smaller than its send buffer, empty since the previous request was answered).
"""

from __future__ import annotations

import selectors
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

__all__ = [
    "Answer",
    "ProtocolError",
    "Request",
    "Script",
    "Tally",
    "Template",
    "build_request",
    "run_clients",
]

# How long requests in flight at the deadline may take to be answered.
DRAIN_SECONDS = 10.0
_RECV_SIZE = 65536
_NO_BODY_STATUSES = frozenset({204, 304})


class ProtocolError(Exception):
    """An answer this client does not read: see the module's rules."""


@dataclass(frozen=True)
class Answer:
    """A whole HTTP answer; header names are lower-cased, in the order received."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header_values(self, name: str) -> list[str]:
        """The values of every header called ``name`` (lower case)."""
        return [value for key, value in self.headers if key == name]

    @property
    def closes(self) -> bool:
        """Whether the server closes the connection after this answer."""
        return any("close" in value.lower() for value in self.header_values("connection"))


@dataclass(frozen=True)
class Request:
    """A request ready to send, whether its latency is recorded, and how its answer is
    judged: ``accept`` returns whether it is a success (and may update the script)."""

    data: bytes
    timed: bool
    accept: Callable[[Answer], bool]


class Script(Protocol):
    """What one connection sends: each request is asked for once the previous one ended."""

    def next_request(self) -> Request:
        """The request to send now."""
        ...


@dataclass
class Tally:
    """What the clients saw: one latency per accepted timed request, and the failures."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0


def build_request(
    method: str,
    path: str,
    host: str,
    body: bytes = b"",
    *,
    content_type: str | None = None,
    cookie: str | None = None,
) -> bytes:
    """An HTTP/1.1 keep-alive request as bytes (Content-Length unless GET or HEAD)."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Connection: keep-alive"]
    if method not in ("GET", "HEAD"):
        lines.append(f"Content-Length: {len(body)}")
    if content_type:
        lines.append(f"Content-Type: {content_type}")
    if cookie:
        lines.append(f"Cookie: {cookie}")
    return "\r\n".join([*lines, "", ""]).encode("latin-1") + body


@dataclass(frozen=True)
class Template:
    """A request built once, with one fixed-length value replaced in each copy: the
    length is fixed so that the Content-Length stays right."""

    head: bytes
    tail: bytes
    size: int

    @classmethod
    def around(cls, request: bytes, placeholder: bytes) -> Template:
        """The template of ``request`` where ``placeholder`` (found exactly once) varies."""
        head, found, tail = request.partition(placeholder)
        if not found or placeholder in tail:
            raise ValueError("the placeholder must occur exactly once in the request")
        return cls(head, tail, len(placeholder))

    def fill(self, value: bytes) -> bytes:
        """The request with ``value`` in place of the placeholder."""
        if len(value) != self.size:
            raise ValueError(f"the value must be {self.size} bytes long, not {len(value)}")
        return self.head + value + self.tail


class _AnswerReader:
    """Reads one answer from the bytes of a connection as they arrive."""

    def __init__(self) -> None:
        self.received = bytearray()
        self._head: tuple[int, list[tuple[str, str]]] | None = None
        # Where the body starts and ends in ``received``, once the head is read.
        self._body_start = self._end = 0

    def feed(self, data: bytes) -> Answer | None:
        """Take more bytes: the answer once it is whole, else None."""
        self.received += data
        if self._head is None:
            head_end = self.received.find(b"\r\n\r\n")
            if head_end < 0:
                return None
            status, headers = _parse_head(bytes(self.received[:head_end]))
            self._head = status, headers
            self._body_start = head_end + 4
            self._end = self._body_start + _body_length(status, headers)
        if len(self.received) < self._end:
            return None
        if len(self.received) > self._end:
            raise ProtocolError(f"{len(self.received) - self._end} bytes after an answer")
        status, headers = self._head
        return Answer(status, headers, bytes(self.received[self._body_start :]))


def _parse_head(head: bytes) -> tuple[int, list[tuple[str, str]]]:
    """The status and the headers of an answer's head (without its blank line)."""
    status_line, *lines = head.decode("latin-1").split("\r\n")
    if not status_line.startswith("HTTP/1.1 "):
        raise ProtocolError(f"not an HTTP/1.1 answer: {status_line!r}")
    headers: list[tuple[str, str]] = []
    for line in lines:
        name, _, value = line.partition(":")
        headers.append((name.strip().lower(), value.strip()))
    return int(status_line[9:12]), headers


def _body_length(status: int, headers: list[tuple[str, str]]) -> int:
    """How many body bytes follow the head; raises for framings this client does not read."""
    if status in _NO_BODY_STATUSES:
        return 0
    if any(name == "transfer-encoding" for name, _ in headers):
        raise ProtocolError(f"Transfer-Encoding is not supported (status {status})")
    lengths = {value for name, value in headers if name == "content-length"}
    if len(lengths) != 1:
        raise ProtocolError(f"an answer needs one Content-Length (status {status})")
    return int(lengths.pop())


class _Connection:
    """One keep-alive connection running its script in a closed loop until the deadline."""

    def __init__(
        self,
        address: tuple[str, int],
        script: Script,
        selector: selectors.BaseSelector,
        tally: Tally,
        deadline: float,
    ) -> None:
        self.address = address
        self.script = script
        self.selector = selector
        self.tally = tally
        self.deadline = deadline
        self.sock: socket.socket | None = None
        self.request: Request | None = None  # in flight
        self.reader = _AnswerReader()
        self.started = 0.0

    def send_next(self) -> None:
        """Send the next request, on a new connection if needed; close once past the deadline."""
        while time.perf_counter() < self.deadline:
            if self.sock is None:
                self._open()
            try:
                self._send(self.script.next_request())
                return
            except (BrokenPipeError, ConnectionResetError):
                self._lost()
        self.close()

    def on_readable(self) -> None:
        """Read what arrived: once the answer is whole, record it and send the next request."""
        assert self.sock is not None
        try:
            data = self.sock.recv(_RECV_SIZE)
        except BlockingIOError:  # a spurious wake-up
            return
        except ConnectionResetError:
            data = b""
        now = time.perf_counter()
        if not data:
            self._lost()
            self.send_next()
            return
        answer = self.reader.feed(data)
        if answer is None:
            return
        self._record(answer, now - self.started)
        if answer.closes:
            self.close()
        self.send_next()

    def close(self) -> None:
        if self.sock is not None:
            self.selector.unregister(self.sock)
            self.sock.close()
            self.sock = None

    def _open(self) -> None:
        sock = socket.create_connection(self.address)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        self.selector.register(sock, selectors.EVENT_READ, self)
        self.sock = sock

    def _send(self, request: Request) -> None:
        """Send the whole request at once: the previous one was answered, so the socket's
        send buffer (16 KiB at least) is empty, and requests are far smaller."""
        assert self.sock is not None
        self.request = request
        self.reader = _AnswerReader()
        self.started = time.perf_counter()
        sent = self.sock.send(request.data)
        if sent != len(request.data):
            raise RuntimeError(f"only {sent} of a {len(request.data)}-byte request was sent")

    def _record(self, answer: Answer, latency: float) -> None:
        request, self.request = self.request, None
        assert request is not None  # an answer is only read while a request is in flight
        if not request.accept(answer):
            self.tally.errors += 1
        elif request.timed:
            self.tally.latencies.append(latency)

    def _lost(self) -> None:
        """The connection closed: the request in flight, if any, is an error (not resent)."""
        self.close()
        if self.request is not None:
            self.tally.errors += 1
            self.request = None


def run_clients(port: int, clients: int, seconds: float, new_script: Callable[[], Script]) -> Tally:
    """Run ``clients`` connections to 127.0.0.1:``port`` for ``seconds``, each with its own
    script from ``new_script``; return once every request has ended."""
    tally = Tally()
    deadline = time.perf_counter() + seconds
    with selectors.DefaultSelector() as selector:
        connections = [
            _Connection(("127.0.0.1", port), new_script(), selector, tally, deadline)
            for _ in range(clients)
        ]
        try:
            for connection in connections:
                connection.send_next()
            _dispatch(selector, deadline + DRAIN_SECONDS)
            tally.errors += sum(connection.request is not None for connection in connections)
        finally:
            for connection in connections:
                connection.close()
    return tally


def _dispatch(selector: selectors.BaseSelector, give_up: float) -> None:
    """Hand each event to its connection until every connection closed, or ``give_up``."""
    while selector.get_map():
        timeout = give_up - time.perf_counter()
        if timeout <= 0:
            return
        for key, _events in selector.select(timeout):
            key.data.on_readable()
