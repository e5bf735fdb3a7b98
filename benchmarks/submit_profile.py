"""CPU profile and SQL count of public-link submissions, in process (issue 7, item 6).

Runs the real WSGI application with Flask's test client (CSRF on, rate limits off) on
a temporary SQLite file or a throwaway PostgreSQL database: each round GETs
``/p/<slug>`` and POSTs the answers, exactly as ``benchmarks.load`` does, but without
gunicorn or the network, so the CPU time per request and the SQL statements per
request can be read without the noise of a shared machine.

Run: ``python -m benchmarks.submit_profile [--rounds 200] [--batches 5] [--postgres] [--profile]
[--comment]``; ``--comment`` posts a detractor's score with a comment (tags, sentiment, a case).
``--profile`` prints the cProfile functions with the most cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from benchmarks import respondent_form
from benchmarks.databases import throwaway_postgres
from surveyapp import create_app, db, migrations
from surveyapp.services import surveys

__all__ = ["main"]


class StatementLog:
    """Counts the SQL statements the engine runs while ``phase`` names a request, and its CPU."""

    def __init__(self) -> None:
        self.phase = "setup"
        self.counts: Counter[str] = Counter()
        self.texts: dict[str, Counter[str]] = {}
        self.cpu: Counter[str] = Counter()
        self._since = time.process_time()

    def enter(self, phase: str) -> None:
        """Charge what follows to ``phase`` (and the CPU time since the last call to the last)."""
        now = time.process_time()
        self.cpu[self.phase] += now - self._since
        self.phase, self._since = phase, now

    def __call__(self, *args: Any) -> None:
        statement = str(args[2]).split("\n")[0][:110]
        self.counts[self.phase] += 1
        self.texts.setdefault(self.phase, Counter())[statement] += 1


def _round(client: FlaskClient, slug: str, log: StatementLog, *, comment: bool) -> None:
    log.enter("GET")
    page = client.get(f"/p/{slug}").get_data(as_text=True)
    data = respondent_form.answers(page, comment=comment)
    if data is None:
        raise RuntimeError("the page is not the form, or it has no comment box")
    log.enter("POST")
    answer = client.post(f"/p/{slug}", data=data)
    if answer.status_code != 302:
        raise RuntimeError(f"POST answered {answer.status_code}")
    log.enter("other")


@contextmanager
def _database(postgres: bool) -> Iterator[str]:
    if postgres:
        with throwaway_postgres() as url:
            yield url
        return
    with tempfile.TemporaryDirectory(prefix="surveyapp-profile-") as folder:
        yield f"sqlite:///{Path(folder) / 'profile.db'}"


def run(url: str, options: argparse.Namespace) -> None:
    """Make ``options.rounds`` submissions and print CPU time and statements per request."""
    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "profile",
            "RATELIMIT_ENABLED": False,
            "LOG_LEVEL": "WARNING",
        }
    )
    with app.app_context():
        migrations.upgrade(db.engine())
        survey = surveys.create_survey("nps", "Profile")
        surveys.set_status(survey.id, "active")
        slug = survey.public_slug
        db.session().close()
    log = StatementLog()
    sa.event.listen(db_engine := app.extensions["surveyapp.engine"], "before_cursor_execute", log)
    client = app.test_client()
    for _warm_up in range(20):
        _round(client, slug, log, comment=options.comment)
    log.counts.clear()
    log.texts.clear()
    log.cpu.clear()
    profiler = cProfile.Profile() if options.profile else None
    if profiler is not None:
        profiler.enable()
    # The best of several batches: on a shared machine the others only ever add time.
    batches = []
    for _batch in range(options.batches):
        started = time.process_time()
        for _number in range(options.rounds):
            _round(client, slug, log, comment=options.comment)
        batches.append((time.process_time() - started) / options.rounds)
    if profiler is not None:
        profiler.disable()
    rounds = options.rounds * options.batches
    print(
        f"{options.batches} x {options.rounds} rounds (GET + POST): CPU per round "
        f"best {1000 * min(batches):.2f} ms, median {1000 * statistics.median(batches):.2f} ms"
    )
    for phase in ("GET", "POST"):
        print(
            f"  {phase}: {1000 * log.cpu[phase] / rounds:.2f} ms CPU (mean), "
            f"{log.counts[phase] / rounds:.1f} statements"
        )
        for text, count in log.texts.get(phase, Counter()).most_common():
            print(f"    {count / rounds:4.1f}  {text}")
    if profiler is not None:
        stats = pstats.Stats(profiler)
        # Unlike time, the number of Python calls does not depend on what else the machine runs.
        print(f"  Python function calls per round: {stats.total_calls / rounds:,.0f}")  # type: ignore[attr-defined]
        stats.sort_stats("cumulative").print_stats(options.top)
    db_engine.dispose()


def main(argv: list[str] | None = None) -> int:
    """Profile on SQLite, or on a throwaway PostgreSQL database with ``--postgres``."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.submit_profile", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rounds", type=int, default=200, help="rounds per batch")
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument(
        "--comment", action="store_true", help="a detractor's score with a comment (default: a 9)"
    )
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=60)
    options = parser.parse_args(argv)
    with _database(options.postgres) as url:
        run(url, options)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
