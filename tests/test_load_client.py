"""The load benchmark's client (benchmarks/load_client.py) against a tiny local HTTP server."""

from __future__ import annotations

import itertools
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from benchmarks import load, respondent_form
from benchmarks.load_client import (
    Answer,
    ProtocolError,
    Request,
    Script,
    Template,
    _AnswerReader,
    build_request,
    run_clients,
)

SECONDS = 0.3
CLIENTS = 4


@dataclass(frozen=True)
class Received:
    """A request as the server read it."""

    method: str
    path: str
    cookie: str | None
    body: bytes


# What the server sends for the n-th request (from 1): raw bytes, or None to close the
# connection without answering.
Reply = Callable[[int, Received], bytes | None]


class Server(ThreadingHTTPServer):
    """An HTTP/1.1 keep-alive server answering with ``reply``; it records what it read."""

    daemon_threads = True

    def __init__(self, reply: Reply) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.reply = reply
        self.lock = threading.Lock()
        self.received: list[Received] = []
        self.connections = 0

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def handle_error(self, request: object, client_address: object) -> None:
        """Quiet when a client goes away (the client refusing an answer does)."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]

    def count(self, method: str, path: str) -> int:
        return sum(r.method == method and r.path == path for r in self.received)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def setup(self) -> None:
        super().setup()
        with self.server.lock:
            self.server.connections += 1

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        received = Received(self.command, self.path, self.headers.get("Cookie"), body)
        with self.server.lock:
            self.server.received.append(received)
            number = len(self.server.received)
        answer = self.server.reply(number, received)
        if answer is None or b"\r\nConnection: close\r\n" in answer:
            self.close_connection = True
        if answer is not None:
            self.wfile.write(answer)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: no line per request on stderr."""


@contextmanager
def serving(reply: Reply) -> Iterator[Server]:
    server = Server(reply)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def answer(status: int, body: bytes = b"", *headers: str, length: bool = True) -> bytes:
    """An HTTP/1.1 answer as bytes (with its Content-Length unless ``length`` is false)."""
    lines = [f"HTTP/1.1 {status} Whatever", "Server: test", *headers]
    if length:
        lines.append(f"Content-Length: {len(body)}")
    return "\r\n".join([*lines, "", ""]).encode() + body


class Cycle:
    """A script sending the same requests in turn."""

    def __init__(self, requests: list[Request]) -> None:
        self.requests = itertools.cycle(requests)

    def next_request(self) -> Request:
        return next(self.requests)


def expect(status: int, body: bytes = b"", cookie: str | None = None) -> Callable[[Answer], bool]:
    """An answer is accepted when it has this status, this body (and this Set-Cookie)."""

    def accept(answer: Answer) -> bool:
        cookies = answer.header_values("set-cookie")
        return (
            answer.status == status
            and answer.body == body
            and (cookie is None or cookies == [cookie])
        )

    return accept


def inserts(port: int) -> Script:
    host = f"127.0.0.1:{port}"
    return Cycle([Request(build_request("POST", "/insert", host), True, expect(204))])


PAGE = b"<html>" + b"x" * 200_000 + b"</html>"  # read in several recv() calls


def test_reads_answers_with_and_without_a_body() -> None:
    def reply(_number: int, received: Received) -> bytes:
        if received.path == "/page":
            return answer(200, PAGE, "Set-Cookie: session=abc; Path=/")
        if received.path == "/form" and received.body == b"a=1":
            return answer(302, b"redirecting", "Location: /thanks")
        return answer(204, length=False)  # as gunicorn answers 204: no Content-Length

    with serving(reply) as server:
        host = f"127.0.0.1:{server.port}"
        requests = [
            Request(
                build_request("GET", "/page", host), False, expect(200, PAGE, "session=abc; Path=/")
            ),
            Request(
                build_request("POST", "/form", host, b"a=1", content_type="text/plain"),
                True,
                expect(302, b"redirecting"),
            ),
            Request(build_request("POST", "/insert", host), True, expect(204)),
        ]
        tally = run_clients(server.port, CLIENTS, SECONDS, partial(Cycle, requests))

    assert tally.errors == 0
    assert server.count("GET", "/page") > 0
    # Every request ended before run_clients returned: each POST received was answered.
    posts = server.count("POST", "/form") + server.count("POST", "/insert")
    assert len(tally.latencies) == posts
    assert all(latency > 0 for latency in tally.latencies)
    assert server.connections == CLIENTS


def test_reopens_a_connection_the_server_closes_after_answering() -> None:
    def reply(number: int, _received: Received) -> bytes:
        return answer(204, b"", *(["Connection: close"] if number % 3 == 0 else []))

    with serving(reply) as server:
        tally = run_clients(server.port, CLIENTS, SECONDS, partial(inserts, server.port))

    assert tally.errors == 0
    assert len(tally.latencies) == len(server.received)
    # A connection is reopened after each close, unless the deadline had passed.
    closes = len(server.received) // 3
    assert closes > 0
    assert closes <= server.connections <= CLIENTS + closes


def test_counts_a_request_whose_connection_closes_unanswered_as_an_error() -> None:
    def reply(number: int, _received: Received) -> bytes | None:
        return None if number % 4 == 0 else answer(204)

    with serving(reply) as server:
        tally = run_clients(server.port, CLIENTS, SECONDS, partial(inserts, server.port))

    dropped = len(server.received) // 4
    assert dropped > 0
    # Not resent: every request the server read was either answered or counted as an error.
    assert tally.errors == dropped
    assert len(tally.latencies) == len(server.received) - dropped


def test_refuses_chunked_answers() -> None:
    chunked = answer(200, b"5\r\nhello\r\n0\r\n\r\n", "Transfer-Encoding: chunked", length=False)
    with (
        serving(lambda _number, _received: chunked) as server,
        pytest.raises(ProtocolError, match="Transfer-Encoding"),
    ):
        run_clients(server.port, CLIENTS, SECONDS, partial(inserts, server.port))


def test_reads_an_answer_arriving_byte_by_byte() -> None:
    data = answer(302, b"body", "Set-Cookie: a=b", "Location: /x")
    reader = _AnswerReader()
    answers = [reader.feed(data[i : i + 1]) for i in range(len(data))]
    assert answers[:-1] == [None] * (len(data) - 1)
    assert answers[-1] == Answer(
        302,
        [("server", "test"), ("set-cookie", "a=b"), ("location", "/x"), ("content-length", "4")],
        b"body",
    )


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (answer(200, b"body", length=False), "Content-Length"),
        (answer(200, b"body") + b"more", "bytes after an answer"),
        (answer(200, b"body").replace(b"HTTP/1.1", b"HTTP/1.0"), "not an HTTP/1.1 answer"),
    ],
)
def test_refuses_answers_it_cannot_frame(data: bytes, error: str) -> None:
    with pytest.raises(ProtocolError, match=error):
        _AnswerReader().feed(data)


def test_template_replaces_a_value_of_the_same_length() -> None:
    request = build_request("POST", "/p/x", "h", b"k=PLACEHOLDER&q=9", content_type="a/b")
    template = Template.around(request, b"PLACEHOLDER")
    assert template.fill(b"new-value-1") == request.replace(b"PLACEHOLDER", b"new-value-1")
    assert b"Content-Length: 17\r\n" in request
    with pytest.raises(ValueError, match="11 bytes"):
        template.fill(b"short")


def survey_link(number: int, received: Received) -> bytes:
    """A public survey link as the benchmark's scripts see it: the form page sets the
    session cookie; a POST with that cookie, the CSRF token and an answer redirects."""
    if received.method == "GET":
        page = (
            '<input name="csrf_token" type="hidden" value="token">'
            f'<input name="submission_key" type="hidden" value="key{number}">'
            '<input type="radio" name="q3" value="9">'
        ).encode()
        return answer(200, page, "Set-Cookie: session=s1; HttpOnly; Path=/")
    form = parse_qs(received.body.decode())
    accepted = received.cookie == "session=s1" and form["csrf_token"] == ["token"]
    return answer(302, b"") if accepted and form["q3"] == ["9"] else answer(400)


def submission_keys(server: Server) -> list[str]:
    return [
        parse_qs(received.body.decode())["submission_key"][0]
        for received in server.received
        if received.method == "POST"
    ]


def test_benchmark_visits_get_the_form_then_post_it() -> None:
    with serving(survey_link) as server:
        new_script = partial(load._Visits, f"127.0.0.1:{server.port}", "slug")
        tally = run_clients(server.port, CLIENTS, SECONDS, new_script)

    assert tally.errors == 0
    posts, gets = server.count("POST", "/p/slug"), server.count("GET", "/p/slug")
    assert len(tally.latencies) == posts
    assert posts <= gets <= posts + CLIENTS  # a visit may end at the GET when time is up
    keys = submission_keys(server)
    assert len(set(keys)) == posts  # each POST sends back the key of the page it read


def test_benchmark_posts_only_get_the_form_once_then_post_new_keys() -> None:
    with serving(survey_link) as server:
        new_script = partial(load._PostsOnly, f"127.0.0.1:{server.port}", "slug")
        tally = run_clients(server.port, CLIENTS, SECONDS, new_script)

    assert tally.errors == 0
    assert server.count("GET", "/p/slug") == CLIENTS
    keys = submission_keys(server)
    assert len(tally.latencies) == len(keys) == len(set(keys))
    assert {len(key) for key in keys} == {22}


def test_the_respondent_form_is_answered_with_a_score_or_a_detractor_comment() -> None:
    page = (
        '<input id="csrf_token" name="csrf_token" type="hidden" value="tok.en">'
        '<input id="submission_key" name="submission_key" type="hidden" value="k1">'
        '<input type="radio" name="q3" value="9"><textarea id="q4" name="q4"></textarea>'
    )
    assert respondent_form.answers(page) == {
        "csrf_token": "tok.en",
        "submission_key": "k1",
        "q3": "9",
    }
    assert respondent_form.answers(page, comment=True) == {
        "csrf_token": "tok.en",
        "submission_key": "k1",
        "q3": "3",
        "q4": respondent_form.DETRACTOR_COMMENT,
    }
    no_comment_box = page.split("<textarea")[0]
    assert respondent_form.answers(no_comment_box, comment=True) is None
    assert respondent_form.answers("<p>Not found</p>") is None
