"""Email distribution: queue 10,000 invitations, then send them to a local SMTP sink.

- ``queued/s``: ``invitations.invite_contacts`` for every contact (validation,
  throttling, tokens, invitation and outbox rows in one transaction);
- ``sent/s``: one ``Worker.run_once`` (claim, build the message bytes, SMTP over
  ``SMTP_CONNECTIONS`` connections per batch, record) against an aiosmtpd sink on 127.0.0.1;
- ``worker peak RSS``: the worker runs in its own process (spawned, so it
  carries none of the queueing's memory); its ``ru_maxrss`` is reported.

Targets: 10,000 queued in < 2 s, ≥ 500 sent/s, worker RSS < 150 MB.
SQLite always; PostgreSQL too when it answers (a throwaway database).
Run: ``python -m benchmarks.bench_distribution [--count N] [--batch-size B] [--connections C]``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import Flask

from benchmarks.databases import postgres_unavailable, throwaway_postgres
from surveyapp import create_app, db, migrations
from surveyapp.models import Contact
from surveyapp.services import invitations, surveys

__all__ = ["main"]


class _Sink:
    """Counts the messages it accepts and drops them."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _app(database_url: str, mail_url: str, connections: int | None = None) -> Flask:
    config: dict[str, Any] = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "benchmark",
        "MAIL_URL": mail_url,
        "MAIL_FROM": "surveys@bench.test",
        "BASE_URL": "https://surveys.bench.test",
    }
    if connections is not None:
        config["SMTP_CONNECTIONS"] = connections
    return create_app(config)


def _send_in_child(
    database_url: str, mail_url: str, batch_size: int, connections: int | None, out: Any
) -> None:
    """The worker's process: one cycle, timed, then its peak memory."""
    from surveyapp.mail.worker import Worker

    app = _app(database_url, mail_url, connections)
    worker = Worker(app, batch_size=batch_size)
    started = time.perf_counter()
    result = worker.run_once()
    elapsed = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out.put((result.sent, elapsed, peak_kib))


def _run(
    label: str, database_url: str, count: int, batch_size: int, connections: int | None
) -> None:
    engine = db.make_engine(database_url)
    migrations.upgrade(engine)
    engine.dispose()
    sink = _Sink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    mail_url = f"smtp://127.0.0.1:{port}"
    try:
        app = _app(database_url, mail_url)
        with app.app_context():
            survey = surveys.create_survey("nps", "Benchmark NPS")
            surveys.set_status(survey.id, "active")
            session = db.session()
            session.execute(
                sa.insert(Contact),
                [
                    {
                        "email": f"person{i}@example.com",
                        "name": f"Person {i}",
                        "language": "fr" if i % 3 == 0 else "en",
                        "attributes": {},
                    }
                    for i in range(count)
                ],
            )
            session.commit()
            started = time.perf_counter()
            result = invitations.invite_contacts(survey.id)
            queue_seconds = time.perf_counter() - started
            db.session().close()
        app.extensions["surveyapp.engine"].dispose()

        context = multiprocessing.get_context("spawn")
        out = context.Queue()
        child = context.Process(
            target=_send_in_child, args=(database_url, mail_url, batch_size, connections, out)
        )
        child.start()
        sent, send_seconds, peak_kib = out.get(timeout=600)
        child.join()
    finally:
        controller.stop()
    print(
        f"[{label}] {result.queued} invitations queued in {queue_seconds:.2f} s "
        f"({result.queued / queue_seconds:,.0f}/s)"
    )
    print(
        f"[{label}] {sent} sent in {send_seconds:.2f} s ({sent / send_seconds:,.0f}/s), "
        f"sink received {sink.count}; worker peak RSS {peak_kib / 1024:.0f} MB"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the distribution benchmark on SQLite (and PostgreSQL when it answers); exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="invitations to queue and send")
    parser.add_argument("--batch-size", type=int, default=100, help="the worker's batch size")
    parser.add_argument(
        "--connections", type=int, help="SMTP connections per batch (default: SMTP_CONNECTIONS)"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        _run(
            "sqlite",
            f"sqlite:///{Path(folder) / 'bench.db'}",
            args.count,
            args.batch_size,
            args.connections,
        )
    reason = postgres_unavailable()
    if reason:
        print(f"[postgresql] skipped: {reason}")
        return 0
    with throwaway_postgres() as url:
        _run("postgresql", url, args.count, args.batch_size, args.connections)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
