"""Load: 16 concurrent clients submitting to a public survey link under gunicorn (issue 7).

Two measures of surveyapp. "GET + POST": each client loops for ``--seconds``: GET
``/p/<slug>`` (its CSRF token and submission key), then POST the answers, as a
respondent's visit does; only the POST is timed. "POST only": each client GETs the form
once, then POSTs with a new submission key each time, so submissions alone are compared
with the baseline's inserts, request for request. The baseline is a bare Flask
endpoint inserting one row with SQLAlchemy Core (``benchmarks/bare_app.py``), served by
the same gunicorn (the project's ``gunicorn.conf.py``, ``-w`` from ``--workers``) on the
same database, measured in the same run. Each server is warmed up for two seconds
first (not counted). Afterwards, once every request has ended, the stored rows are
counted: every accepted submission must be there (more may be, from requests that
failed after the server processed them: lost = accepted - stored must be <= 0).

The clients are one thread of this process (``benchmarks/load_client.py``): one epoll
loop drives ``--clients`` keep-alive connections, each a closed loop (send a prebuilt
request, read its whole answer, send the next), so the cores go to the servers and no
latency includes a client thread waiting for the GIL. A latency runs from just before
the request is sent to its answer's last byte. A request whose connection closes before
it is answered counts as an error and is not resent (see load_client.py's rules).
The workers' CPU time (from /proc, recycled workers included) is reported per request:
unlike throughput it hardly depends on what else the machine runs. The client's CPU time
(this process's) is reported next to it, to show how little the client takes.

Rate limits are switched off (every client is 127.0.0.1). Targets: zero errors, zero lost
responses, throughput >= 0.6x the baseline, p99 < 25 ms.
Run: ``python -m benchmarks.load [--seconds 20] [--clients 16] [--workers 2] [--skip-postgres]
[--gunicorn "--threads 4"] [--comment]``; ``--comment`` posts a detractor's score with a comment
(sentiment, reason tags, a follow-up case) instead of a 9.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import urlencode

import sqlalchemy as sa

from benchmarks import respondent_form
from benchmarks.bare_app import bench_rows, metadata
from benchmarks.databases import postgres_unavailable, throwaway_postgres
from benchmarks.load_client import (
    Answer,
    Request,
    Script,
    Tally,
    Template,
    build_request,
    run_clients,
)
from surveyapp import ROOT, create_app, db, migrations
from surveyapp.models import Response
from surveyapp.services import surveys

__all__ = ["main"]

# Every worker has booted and served before the measured run starts.
WARM_UP_SECONDS = 2.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Server:
    """A running gunicorn: its port and its master process."""

    port: int
    master: int

    def cpu_seconds(self) -> float:
        """CPU time of the workers so far: the live ones, and those the master reaped
        (recycled by ``max_requests``). The master's own bookkeeping is left out."""
        total = _proc_times(self.master)[1]
        children = Path(f"/proc/{self.master}/task/{self.master}/children").read_text()
        for pid in children.split():
            try:
                own, reaped = _proc_times(int(pid))
            except FileNotFoundError:  # it exited in between; counted once reaped
                continue
            total += own + reaped
        return total


def _proc_times(pid: int) -> tuple[float, float]:
    """(user + system time of ``pid``, user + system time of its reaped children), seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the name: state ppid … utime(14) stime(15) cutime(16) cstime(17), numbered from 1.
    utime, stime, cutime, cstime = (int(value) for value in fields[11:15])
    ticks = os.sysconf("SC_CLK_TCK")
    return (utime + stime) / ticks, (cutime + cstime) / ticks


@contextmanager
def _gunicorn(target: str, database_url: str, options: argparse.Namespace) -> Iterator[Server]:
    """Serve ``target`` with gunicorn (the project's gunicorn.conf.py) until the block ends."""
    port = _free_port()
    env = {
        **os.environ,
        "SURVEYAPP_DATABASE_URL": database_url,
        "SURVEYAPP_SECRET_KEY": "load-benchmark",
        "SURVEYAPP_RATELIMIT_ENABLED": "false",
        "SURVEYAPP_LOG_LEVEL": '"WARNING"',
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        str(ROOT / "gunicorn.conf.py"),
        "-w",
        str(options.workers),
        *options.gunicorn_options,
        "-b",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        target,
    ]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, cwd=ROOT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError(f"gunicorn did not start: {command}") from None
                time.sleep(0.1)
        yield Server(port, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)


_FORM_TYPE = "application/x-www-form-urlencoded"


class _Respondent:
    """A respondent of one public survey link: its session cookie, the form page it GETs
    and the answers it POSTs back."""

    def __init__(self, host: str, slug: str, comment: bool) -> None:
        self.host = host
        self.path = f"/p/{slug}"
        self.comment = comment
        self.cookie: str | None = None

    def get_form(self) -> bytes:
        return build_request("GET", self.path, self.host, cookie=self.cookie)

    def read_form(self, page: Answer) -> dict[str, str] | None:
        """Keep the session cookie; the fields to post back, or None if this is not the form."""
        for set_cookie in page.header_values("set-cookie"):
            if set_cookie.startswith("session="):
                self.cookie = set_cookie.split(";", 1)[0]
        if page.status != 200:
            return None
        return respondent_form.answers(page.body.decode("utf-8"), comment=self.comment)

    def post_form(self, fields: dict[str, str]) -> bytes:
        body = urlencode(fields).encode("ascii")
        return build_request(
            "POST", self.path, self.host, body, content_type=_FORM_TYPE, cookie=self.cookie
        )


def _redirected(answer: Answer) -> bool:
    """A submission is accepted with a redirect to the thank-you page."""
    return answer.status == 302


class _Visits:
    """GET + POST: a respondent's whole visit, GET the form (not timed), POST the answers."""

    def __init__(self, host: str, slug: str, comment: bool = False) -> None:
        self.respondent = _Respondent(host, slug, comment)
        self.post: bytes | None = None  # the answers to the form just read

    def next_request(self) -> Request:
        # A POST is sent once, answered or not: a lost one is followed by a new visit.
        post, self.post = self.post, None
        if post is None:
            return Request(self.respondent.get_form(), timed=False, accept=self._read_form)
        return Request(post, timed=True, accept=_redirected)

    def _read_form(self, page: Answer) -> bool:
        fields = self.respondent.read_form(page)
        if fields is not None:
            self.post = self.respondent.post_form(fields)
        return fields is not None


class _PostsOnly:
    """Submissions alone: each connection GETs the form once (its session and CSRF token),
    then POSTs with a new submission key each time, as many respondents would."""

    def __init__(self, host: str, slug: str, comment: bool = False) -> None:
        self.respondent = _Respondent(host, slug, comment)
        self.posts: Template | None = None

    def next_request(self) -> Request:
        if self.posts is None:
            return Request(self.respondent.get_form(), timed=False, accept=self._read_form)
        return Request(self.posts.fill(_submission_key()), timed=True, accept=_redirected)

    def _read_form(self, page: Answer) -> bool:
        fields = self.respondent.read_form(page)
        if fields is None:
            return False
        placeholder = _submission_key()
        fields["submission_key"] = placeholder.decode("ascii")
        self.posts = Template.around(self.respondent.post_form(fields), placeholder)
        return True


def _submission_key() -> bytes:
    """A new submission key: URL-safe, so the same in a form body, and always 22 bytes."""
    return secrets.token_urlsafe(16).encode("ascii")


class _BareInserts:
    """The baseline: POST /insert, answered 204."""

    def __init__(self, host: str) -> None:
        self.request = Request(
            build_request("POST", "/insert", host), timed=True, accept=_no_content
        )

    def next_request(self) -> Request:
        return self.request


def _no_content(answer: Answer) -> bool:
    return answer.status == 204


@dataclass(frozen=True)
class Measure:
    """One load run: what the clients saw, the rows it added and the servers' CPU time."""

    tally: Tally
    stored: int
    cpu_seconds: float
    client_cpu_seconds: float

    @property
    def cpu_per_request(self) -> float:
        """Server CPU seconds per accepted request."""
        return self.cpu_seconds / max(len(self.tally.latencies), 1)

    @property
    def client_cpu_per_request(self) -> float:
        """The client's CPU seconds per accepted request (its GETs included)."""
        return self.client_cpu_seconds / max(len(self.tally.latencies), 1)

    def report(self, label: str, seconds: float, per: str) -> float:
        """Print one line and return the throughput (requests per second)."""
        latencies = sorted(self.tally.latencies)
        rate = len(latencies) / seconds
        p50 = statistics.median(latencies) * 1000 if latencies else float("nan")
        p99 = latencies[int(0.99 * (len(latencies) - 1))] * 1000 if latencies else float("nan")
        lost = len(latencies) - self.stored
        cpu, client_cpu = 1000 * self.cpu_per_request, 1000 * self.client_cpu_per_request
        print(
            f"  {label:<26} {rate:6.0f}/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  "
            f"errors {self.tally.errors}  stored {self.stored}  lost {lost}  "
            f"server CPU {cpu:.2f} ms/{per}  client CPU {client_cpu:.3f} ms/{per}"
        )
        return rate


def _measure(
    server: Server,
    new_script: Callable[[], Script],
    count: Callable[[], int],
    options: argparse.Namespace,
) -> Measure:
    """Warm the workers up (not counted), then load them for ``options.seconds``.

    The rows are counted once every request has ended, those in flight at the deadline
    included (they are accepted too)."""
    run_clients(server.port, options.clients, WARM_UP_SECONDS, new_script)
    rows, cpu, client_cpu = count(), server.cpu_seconds(), time.process_time()
    tally = run_clients(server.port, options.clients, options.seconds, new_script)
    client_cpu = time.process_time() - client_cpu
    return Measure(tally, count() - rows, server.cpu_seconds() - cpu, client_cpu)


def run(label: str, database_url: str, options: argparse.Namespace) -> None:
    """Prepare the database, load surveyapp then the baseline, and print both."""
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "load-benchmark"})
    with app.app_context():
        migrations.upgrade(db.engine())
        metadata.create_all(db.engine())
        survey = surveys.create_survey("nps", "Load benchmark")
        surveys.set_status(survey.id, "active")
        slug = survey.public_slug
        db.session().close()
    engine = app.extensions["surveyapp.engine"]

    def count(table: sa.FromClause) -> Callable[[], int]:
        def rows() -> int:
            with engine.connect() as connection:
                return connection.scalar(sa.select(sa.func.count()).select_from(table)) or 0

        return rows

    extra = f" {options.gunicorn}" if options.gunicorn else ""
    print(
        f"\n{label}: {options.clients} clients, {options.seconds:.0f} s, "
        f"gunicorn -c gunicorn.conf.py -w {options.workers}{extra}"
    )
    responses = count(Response.__table__)
    with _gunicorn("surveyapp:create_app()", database_url, options) as server:
        host = f"127.0.0.1:{server.port}"
        visits = _measure(server, partial(_Visits, host, slug, options.comment), responses, options)
        posts = _measure(
            server, partial(_PostsOnly, host, slug, options.comment), responses, options
        )
    with _gunicorn("benchmarks.bare_app:create_app()", database_url, options) as server:
        host = f"127.0.0.1:{server.port}"
        inserts = _measure(server, partial(_BareInserts, host), count(bench_rows), options)
    visit_rate = visits.report("submit: GET + POST", options.seconds, "visit")
    post_rate = posts.report("submit: POST only", options.seconds, "POST")
    bare_rate = inserts.report("bare Flask + Core insert", options.seconds, "insert")
    print(
        f"  ratio to the baseline (target >= 0.6): GET + POST {visit_rate / bare_rate:.2f}, "
        f"POST only {post_rate / bare_rate:.2f}"
    )
    # What the ratios would be if the servers had the cores to themselves.
    print(
        f"  server CPU per insert / per submit: GET + POST "
        f"{inserts.cpu_per_request / visits.cpu_per_request:.2f}, "
        f"POST only {inserts.cpu_per_request / posts.cpu_per_request:.2f}"
    )
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    """Run on SQLite, then on PostgreSQL when it answers."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.load", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument(
        "--comment",
        action="store_true",
        help="post a detractor's score with a comment (tags, sentiment, a case) instead of a 9",
    )
    parser.add_argument(
        "--gunicorn", default="", help="more gunicorn options, e.g. '--threads 4' (both servers)"
    )
    options = parser.parse_args(argv)
    options.gunicorn_options = shlex.split(options.gunicorn)
    with tempfile.TemporaryDirectory(prefix="surveyapp-load-") as folder:
        run("SQLite", f"sqlite:///{Path(folder) / 'load.db'}", options)
    if options.skip_postgres:
        return 0
    reason = postgres_unavailable()
    if reason:
        print(f"\nPostgreSQL skipped: {reason}")
        return 0
    with throwaway_postgres() as url:
        run("PostgreSQL", url, options)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
