"""Throwaway PostgreSQL databases for the benchmarks (SQLite needs only a temporary file)."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

__all__ = [
    "POSTGRES_SERVER_URL",
    "on_each_database",
    "postgres_unavailable",
    "throwaway_postgres",
]

POSTGRES_SERVER_URL = os.environ.get(
    "SURVEYAPP_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def postgres_unavailable() -> str | None:
    """Why the PostgreSQL server cannot be used, or None when it answers."""
    engine = sa.create_engine(POSTGRES_SERVER_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except Exception as exc:  # any failure to connect means "not here"
        return f"no answer at {POSTGRES_SERVER_URL} ({exc.__class__.__name__})"
    finally:
        engine.dispose()
    return None


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards even after a failure."""
    name = f"bench_{secrets.token_hex(6)}"
    server = sa.create_engine(POSTGRES_SERVER_URL, isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield (
            sa.make_url(POSTGRES_SERVER_URL)
            .set(database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        with server.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def on_each_database(run: Callable[[str, str], None], *, skip_postgres: bool = False) -> int:
    """Call ``run(url, label)`` on a temporary SQLite file, then on PostgreSQL when it answers."""
    with tempfile.TemporaryDirectory(prefix="surveyapp-bench-") as folder:
        run(f"sqlite:///{Path(folder) / 'bench.db'}", "SQLite")
    if skip_postgres:
        return 0
    reason = postgres_unavailable()
    if reason:
        print(f"\nPostgreSQL skipped: {reason}")
        return 0
    with throwaway_postgres() as url:
        run(url, "PostgreSQL")
    return 0
