"""Dashboards at scale: 1,000,000 responses across 20 surveys over two years, read from rollups.

Measures, each the best of ``--repeat`` runs after a warm-up:

- (a) ``dashboard data``: ``reporting.dashboard`` for one survey (~50,000
  responses), two years by week, against the ``floor`` (one raw SQL GROUP BY
  of that survey's responses by day and score) and the ``naive ORM`` way
  (load the survey's responses as objects, bucket them in Python);
- (b) ``results page``: ``GET /surveys/<id>/results`` (HTML and figure JSON);
- (c) ``overview``: ``GET /overview`` over the 20 surveys;
- (d) peak memory (tracemalloc) of each measure.

SQLite in a temporary folder always; PostgreSQL too when it answers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask

from benchmarks.databases import on_each_database
from benchmarks.results_page import PASSWORD, _analyze
from surveyapp import create_app, db, migrations
from surveyapp.models import Response
from surveyapp.services import reporting, rollups, surveys, users

__all__ = ["main"]

SURVEYS = 20
CHUNK = 50_000
PLANS = ("free", "pro", "enterprise")


def main(argv: list[str]) -> int:
    """Parse the options, run on each database and print the figures."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.analytics", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--responses", type=int, default=1_000_000, help="responses in all")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measure (best is kept)")
    parser.add_argument("--skip-postgres", action="store_true", help="SQLite only")
    options = parser.parse_args(argv)
    return on_each_database(
        lambda url, label: run(url, label, options), skip_postgres=options.skip_postgres
    )


def run(url: str, label: str, options: argparse.Namespace) -> None:
    """Fill the database at ``url``, time every measure and print a table."""
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
        survey_ids = _fill(options.responses)
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        rows = rollups.rebuild()
        rolled = time.perf_counter() - started
        _analyze(db.engine())
        users.create_user("bench@example.com", PASSWORD, "viewer")
        db.session().close()
        print(
            f"\n{label}: {options.responses:,} responses in {SURVEYS} surveys loaded in "
            f"{loaded:.1f} s; {rows:,} rollup rows built in {rolled:.1f} s"
        )
        results = _measure(app, survey_ids[0], options.repeat)
    app.extensions["surveyapp.engine"].dispose()
    _print(results)


def _fill(total: int) -> list[int]:
    """Create 20 NPS surveys and bulk-load their responses; return the survey ids."""
    rng = random.Random(11)
    ids = []
    for number in range(SURVEYS):
        survey = surveys.create_survey("nps", f"Benchmark NPS {number + 1}")
        survey.status = "active"
        ids.append(survey.id)
    db.session().commit()
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    span = 2 * 365 * 24 * 3600
    connection = db.session().connection()
    postgres = connection.dialect.name == "postgresql"
    for start in range(0, total, CHUNK):
        rows = []
        for _ in range(min(CHUNK, total - start)):
            created = now - dt.timedelta(seconds=rng.randrange(span))
            segment = json.dumps({"plan": rng.choice(PLANS)})
            rows.append(
                (
                    rng.choice(ids),
                    rng.choice(("en", "fr")),
                    "link",
                    rng.choice((0, 3, 5, 6, 7, 8, 8, 9, 9, 10, 10)),
                    True,
                    segment,
                    created,
                    created,
                )
            )
        if postgres:
            _copy(connection, rows)
        else:
            connection.exec_driver_sql(
                "INSERT INTO responses (survey_id, language, channel, score, completed, segment, "
                "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(*row[:6], str(row[6]), str(row[7])) for row in rows],
            )
    db.session().commit()
    return ids


def _copy(connection: sa.Connection, rows: list[tuple[Any, ...]]) -> None:
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(
        "COPY responses (survey_id, language, channel, score, completed, segment, "
        "created_at, updated_at) FROM STDIN"
    ) as copy:
        for row in rows:
            copy.write_row(row)


def _measure(app: Flask, survey_id: int, repeat: int) -> list[tuple[str, float, float, float]]:
    engine = db.engine()
    end = reporting.today() + dt.timedelta(days=1)
    start = end - dt.timedelta(days=2 * 365)
    query = reporting.parse_metrics_query("week", start, end)
    floor_sql = sa.text(
        "SELECT substr(CAST(created_at AS TEXT), 1, 10) AS day, score, count(*) FROM responses "
        "WHERE survey_id = :survey_id GROUP BY 1, 2"
    )

    def floor() -> Any:
        with engine.connect() as connection:
            return connection.execute(floor_sql, {"survey_id": survey_id}).all()

    def dashboard() -> Any:
        data = reporting.dashboard(survey_id, query)
        db.session().close()
        return data

    def naive() -> Any:
        with so.Session(engine) as session:
            weeks: dict[tuple[dt.date, int], int] = {}
            for row in session.scalars(sa.select(Response).where(Response.survey_id == survey_id)):
                day = row.created_at.date()
                key = (day - dt.timedelta(days=day.weekday()), row.score or 0)
                weeks[key] = weeks.get(key, 0) + 1
            return weeks

    client = app.test_client()
    if (
        client.post("/login", data={"email": "bench@example.com", "password": PASSWORD}).status_code
        != 302
    ):
        raise RuntimeError("benchmark login failed")

    def get(url: str) -> Callable[[], Any]:
        def fetch() -> Any:
            with app.app_context():
                response = client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}")
            return response

        return fetch

    results_url = (
        f"/surveys/{survey_id}/results?interval=week&start={start.isoformat()}"
        f"&end={(end - dt.timedelta(days=1)).isoformat()}"
    )
    measures = [
        ("floor: raw SQL GROUP BY", floor),
        ("(a) dashboard data", dashboard),
        ("naive ORM (load rows)", naive),
        ("(b) results page", get(results_url)),
        ("(c) overview page", get("/overview")),
    ]
    return [_time(name, function, repeat) for name, function in measures]


def _time(name: str, function: Callable[[], Any], repeat: int) -> tuple[str, float, float, float]:
    function()
    tracemalloc.start()
    function()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        runs.append(time.perf_counter() - started)
    return name, min(runs), statistics.median(runs), peak / 1e6


def _print(results: list[tuple[str, float, float, float]]) -> None:
    floor = results[0][1]
    print(f"{'measure':<28} {'best ms':>9} {'median ms':>10} {'× floor':>8} {'peak MB':>8}")
    for name, best, median, peak in results:
        print(
            f"{name:<28} {best * 1000:>9.1f} {median * 1000:>10.1f} "
            f"{best / floor:>8.2f} {peak:>8.1f}"
        )


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
