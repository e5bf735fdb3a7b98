"""Load: 16 concurrent clients submitting to a public survey link under gunicorn (issue 7).

Each client loops for ``--seconds``: GET ``/p/<slug>`` (its CSRF token and submission
key), then POST the answers; only the POST is timed. The baseline is a bare Flask
endpoint inserting one row with SQLAlchemy Core (``benchmarks/bare_app.py``), served by
the same gunicorn on the same database, measured in the same run. Afterwards the stored
rows are counted: every accepted submission must be there.

Rate limits are switched off (every client is 127.0.0.1). Targets: zero errors, zero lost
responses, throughput >= 0.6x the baseline, p99 < 25 ms.
Run: ``python -m benchmarks.load [--seconds 20] [--clients 16] [--workers 2] [--skip-postgres]``.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import sqlalchemy as sa

from benchmarks.bare_app import bench_rows, metadata
from benchmarks.databases import postgres_unavailable, throwaway_postgres
from surveyapp import create_app, db, migrations
from surveyapp.models import Response
from surveyapp.services import surveys

__all__ = ["main"]

_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
_KEY = re.compile(r'name="submission_key" type="hidden" value="([^"]+)"')
_SCORE_FIELD = re.compile(r'type="radio" name="(q\d+)" value="9"')


@dataclass
class Tally:
    """What the clients saw: one latency per accepted request, and the failures."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, seconds: float | None) -> None:
        with self.lock:
            if seconds is None:
                self.errors += 1
            else:
                self.latencies.append(seconds)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _gunicorn(target: str, database_url: str, workers: int) -> Iterator[int]:
    """Serve ``target`` with gunicorn on a free port until the block ends."""
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
        "-w",
        str(workers),
        "-b",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        target,
    ]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
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
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def _run_clients(clients: int, seconds: float, one_request: Callable[..., float | None]) -> Tally:
    tally = Tally()
    stop = time.monotonic() + seconds

    def client() -> None:
        connection: http.client.HTTPConnection | None = None
        cookie: list[str] = []
        while time.monotonic() < stop:
            try:
                if connection is None:
                    connection = http.client.HTTPConnection(
                        "127.0.0.1", one_request.port, timeout=10
                    )  # type: ignore[attr-defined]
                tally.add(one_request(connection, cookie))
            except (OSError, http.client.HTTPException):
                tally.add(None)
                connection = None

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally


def _submit_public(port: int, slug: str) -> Callable[..., float | None]:
    def one(connection: http.client.HTTPConnection, cookie: list[str]) -> float | None:
        headers = {"Cookie": cookie[0]} if cookie else {}
        connection.request("GET", f"/p/{slug}", headers=headers)
        page = connection.getresponse()
        html = page.read().decode("utf-8")
        for set_cookie in page.msg.get_all("Set-Cookie") or []:
            if set_cookie.startswith("session="):
                cookie[:] = [set_cookie.split(";", 1)[0]]
        csrf, key, score = _CSRF.search(html), _KEY.search(html), _SCORE_FIELD.search(html)
        if page.status != 200 or not (csrf and key and score):
            return None
        body = urlencode(
            {"csrf_token": csrf.group(1), "submission_key": key.group(1), score.group(1): "9"}
        )
        started = time.perf_counter()
        connection.request(
            "POST",
            f"/p/{slug}",
            body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie[0]},
        )
        answer = connection.getresponse()
        answer.read()
        elapsed = time.perf_counter() - started
        return elapsed if answer.status == 302 else None

    one.port = port  # type: ignore[attr-defined]
    return one


def _insert_bare(port: int) -> Callable[..., float | None]:
    def one(connection: http.client.HTTPConnection, _cookie: list[str]) -> float | None:
        started = time.perf_counter()
        connection.request("POST", "/insert", body=b"")
        answer = connection.getresponse()
        answer.read()
        elapsed = time.perf_counter() - started
        return elapsed if answer.status == 204 else None

    one.port = port  # type: ignore[attr-defined]
    return one


def _report(label: str, tally: Tally, seconds: float, stored: int) -> float:
    latencies = sorted(tally.latencies)
    rate = len(latencies) / seconds
    p50 = statistics.median(latencies) * 1000 if latencies else float("nan")
    p99 = latencies[int(0.99 * (len(latencies) - 1))] * 1000 if latencies else float("nan")
    lost = len(latencies) - stored
    print(
        f"  {label:<28} {rate:8.0f}/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  "
        f"errors {tally.errors}  stored {stored}  lost {lost}"
    )
    return rate


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
    print(
        f"\n{label}: {options.clients} clients, {options.seconds:.0f} s, "
        f"gunicorn -w {options.workers}"
    )
    with _gunicorn("surveyapp:create_app()", database_url, options.workers) as port:
        tally = _run_clients(options.clients, options.seconds, _submit_public(port, slug))
    with engine.connect() as connection:
        stored = connection.scalar(sa.select(sa.func.count(Response.id))) or 0
    app_rate = _report("surveyapp public submit", tally, options.seconds, stored)
    with _gunicorn("benchmarks.bare_app:create_app()", database_url, options.workers) as port:
        tally = _run_clients(options.clients, options.seconds, _insert_bare(port))
    with engine.connect() as connection:
        stored = connection.scalar(sa.select(sa.func.count()).select_from(bench_rows)) or 0
    bare_rate = _report("bare Flask + Core insert", tally, options.seconds, stored)
    print(f"  ratio surveyapp / baseline: {app_rate / bare_rate:.2f} (target >= 0.6)")
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
    options = parser.parse_args(argv)
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
