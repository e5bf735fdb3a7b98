"""The load benchmark's baseline: a bare Flask endpoint inserting one row with SQLAlchemy Core.

Served by gunicorn exactly like surveyapp (``benchmarks.bare_app:create_app()``), on the
database of ``SURVEYAPP_DATABASE_URL``, so the ratio measures what surveyapp adds.
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from flask import Flask

from surveyapp.db import make_engine

__all__ = ["create_app"]

metadata = sa.MetaData()
bench_rows = sa.Table(
    "bench_rows",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("score", sa.Integer, nullable=False),
)


def create_app() -> Flask:
    """The baseline application: POST /insert stores one row."""
    app = Flask(__name__)
    engine = make_engine(os.environ["SURVEYAPP_DATABASE_URL"])

    @app.post("/insert")
    def insert() -> tuple[str, int]:
        with engine.begin() as connection:
            connection.execute(bench_rows.insert().values(score=9))
        return "", 204

    return app
