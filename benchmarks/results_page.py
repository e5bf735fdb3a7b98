"""The results page on a big database: reporting's GROUP BY against its floor and the naive way.

One NPS survey with 50,000 responses sits among 200,000 responses of other
surveys. Each measure is the best of ``--repeat`` runs:

- ``floor``: one raw ``SELECT score, count(*) … GROUP BY score``, nothing else;
- ``reporting aggregation``: ``reporting.score_histogram`` + ``NpsSummary``;
- ``reporting survey_results``: everything the page needs (count, histogram,
  distribution, 20 latest comments, the survey and its questions);
- ``naive ORM``: load every response of the survey as objects and bucket them in Python;
- ``results page``: ``GET /surveys/<id>/results`` through the Flask test client.

SQLite always; PostgreSQL too when it answers (a throwaway database is
created and dropped).
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask

from benchmarks.databases import on_each_database
from surveyapp import create_app, db, migrations
from surveyapp.analytics.nps import NpsSummary
from surveyapp.models import Answer, Response
from surveyapp.services import reporting, surveys, users

__all__ = ["main"]

PASSWORD = "benchmark password"
CHUNK = 10_000
OTHER_KINDS = ("nps", "csat", "enps", "pulse")


@dataclass(frozen=True)
class Timing:
    """The best and median of several runs of one measure, in seconds."""

    name: str
    best: float
    median: float


def main(argv: list[str]) -> int:
    """Parse the options, run the benchmark on each database and print the figures."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--responses", type=int, default=50_000, help="responses of the NPS survey")
    parser.add_argument("--others", type=int, default=200_000, help="responses of other surveys")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measure (best is kept)")
    parser.add_argument("--skip-postgres", action="store_true", help="SQLite only")
    options = parser.parse_args(argv)

    return on_each_database(
        lambda url, label: run(url, label, options), skip_postgres=options.skip_postgres
    )


def run(url: str, label: str, options: argparse.Namespace) -> None:
    """Build the database at ``url``, time every measure and print a table."""
    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "benchmark",
            "WTF_CSRF_ENABLED": False,
            "ARGON2_PROFILE": "CHEAPEST",
        }
    )
    with app.app_context():
        migrations.upgrade(db.engine())
        started = time.perf_counter()
        survey_id = _fill(options.responses, options.others)
        _analyze(db.engine())
        filled = time.perf_counter() - started
        users.create_user("bench@example.com", PASSWORD, "viewer")
        db.session().close()
        print(
            f"\n{label} {db.engine().dialect.server_version_info or ''}: "
            f"{options.responses:,} + {options.others:,} responses inserted in {filled:.1f} s"
        )
        timings = _measure(app, survey_id, options.repeat)
    app.extensions["surveyapp.engine"].dispose()
    _print(timings)


def _measure(app: Flask, survey_id: int, repeat: int) -> list[Timing]:
    engine = db.engine()
    floor_sql = sa.text(
        "SELECT score, count(*) FROM responses "
        "WHERE survey_id = :survey_id AND score IS NOT NULL GROUP BY score"
    )

    def floor() -> Any:
        with engine.connect() as connection:
            return dict(connection.execute(floor_sql, {"survey_id": survey_id}).all())

    def aggregation() -> Any:
        summary = NpsSummary.from_histogram(reporting.score_histogram(survey_id))
        db.session().close()
        return summary

    def survey_results() -> Any:
        results = reporting.survey_results(survey_id)
        db.session().close()
        return results

    def naive() -> Any:
        with so.Session(engine) as session:
            rows = session.scalars(sa.select(Response).where(Response.survey_id == survey_id)).all()
            histogram: dict[int, int] = {}
            for row in rows:
                if row.score is not None:
                    histogram[row.score] = histogram.get(row.score, 0) + 1
            return NpsSummary.from_histogram(histogram)

    client = app.test_client()
    login = client.post("/login", data={"email": "bench@example.com", "password": PASSWORD})
    if login.status_code != 302:
        raise RuntimeError(f"benchmark login failed with {login.status_code}")

    def page() -> Any:
        # Each request gets its own app context, as in production.
        with app.app_context():
            response = client.get(f"/surveys/{survey_id}/results")
        if response.status_code != 200:
            raise RuntimeError(f"results page answered {response.status_code}")
        return response

    expected = floor()
    if NpsSummary.from_histogram(expected) != aggregation() or naive() != aggregation():
        raise RuntimeError("the three ways of computing the NPS disagree")
    measures: list[tuple[str, Callable[[], Any]]] = [
        ("floor: raw SQL GROUP BY", floor),
        ("reporting aggregation", aggregation),
        ("reporting survey_results", survey_results),
        ("naive ORM (load rows)", naive),
        ("results page (test client)", page),
    ]
    return [_time(name, function, repeat) for name, function in measures]


def _time(name: str, function: Callable[[], Any], repeat: int) -> Timing:
    function()  # warm caches and compiled statements, as a running server has them
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        runs.append(time.perf_counter() - started)
    return Timing(name=name, best=min(runs), median=statistics.median(runs))


def _print(timings: list[Timing]) -> None:
    floor = timings[0].best
    print(f"{'measure':<30} {'best ms':>10} {'median ms':>10} {'× floor':>9}")
    for timing in timings:
        print(
            f"{timing.name:<30} {timing.best * 1000:>10.2f} {timing.median * 1000:>10.2f} "
            f"{timing.best / floor:>9.1f}"
        )


def _fill(responses: int, others: int) -> int:
    """Create the surveys and bulk-insert their responses; return the measured survey's id."""
    rng = random.Random(7)
    target = surveys.create_survey("nps", "Benchmark NPS")
    target_id = target.id
    other = [surveys.create_survey(kind, f"Other {kind}") for kind in OTHER_KINDS]
    session = db.session()
    next_id = _next_ids(session)
    now = dt.datetime.now(dt.UTC)
    plan = [(target, responses)] + [(survey, others // len(other)) for survey in other]
    for survey, count in plan:
        main = survey.main_question
        text = next((q for q in survey.questions if q.type == "text"), None)
        if main is None or main.scale is None:
            raise RuntimeError(f"{survey.kind} has no score question")
        low, high = main.scale
        for start in range(0, count, CHUNK):
            response_rows: list[dict[str, Any]] = []
            answer_rows: list[dict[str, Any]] = []
            for _ in range(min(CHUNK, count - start)):
                response_id = next(next_id["responses"])
                score = rng.randint(low, high)
                created = now - dt.timedelta(minutes=rng.randint(0, 2 * 365 * 24 * 60))
                response_rows.append(
                    {
                        "id": response_id,
                        "survey_id": survey.id,
                        "language": rng.choice(("en", "fr")),
                        "channel": "link",
                        "score": score,
                        "completed": True,
                        "segment": {},
                        "created_at": created,
                        "updated_at": created,
                    }
                )
                answer_rows.append(
                    {"id": next(next_id["answers"]), "response_id": response_id,
                     "question_id": main.id, "value_number": score, "text": None}
                )  # fmt: skip
                if text is not None and rng.random() < 0.35:
                    answer_rows.append(
                        {"id": next(next_id["answers"]), "response_id": response_id,
                         "question_id": text.id, "value_number": None,
                         "text": f"Comment {response_id}: the product is fine but pricey."}
                    )  # fmt: skip
            session.execute(sa.insert(Response.__table__), response_rows)
            session.execute(sa.insert(Answer.__table__), answer_rows)
    session.commit()
    _reset_sequences(session)
    return target_id


def _next_ids(session: so.Session) -> dict[str, Iterator[int]]:
    """Explicit ids let answers point at their responses without a RETURNING round trip."""
    ids = {}
    for table in ("responses", "answers"):
        start = session.scalar(sa.text(f"SELECT coalesce(max(id), 0) + 1 FROM {table}"))
        ids[table] = itertools.count(int(start or 1))
    return ids


def _reset_sequences(session: so.Session) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in ("responses", "answers"):
        session.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        )
    session.commit()


def _analyze(engine: sa.Engine) -> None:
    """Refresh planner statistics (and PostgreSQL's visibility map) as a live database has them."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))
    else:
        with engine.begin() as connection:
            connection.execute(sa.text("ANALYZE"))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
