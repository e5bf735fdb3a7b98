"""Test databases: a migrated SQLite template copied per test, and a throwaway PostgreSQL database.

PostgreSQL is used where it answers; with CI=true its absence is a failure,
elsewhere its tests skip with the reason.
"""

from __future__ import annotations

import os
import secrets

import pytest
import sqlalchemy as sa

from surveyapp import migrations
from surveyapp.db import make_engine
from surveyapp.models import Base, ReasonTag, utcnow
from surveyapp.services.taxonomy import BUILTIN_TAGS

POSTGRES_SERVER_URL = os.environ.get(
    "SURVEYAPP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() == "true"


def postgres_unavailable_reason() -> str | None:
    """Why PostgreSQL cannot be used for tests, or None when it answers."""
    engine = sa.create_engine(POSTGRES_SERVER_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except Exception as exc:  # any failure to connect means "not here"
        return f"PostgreSQL does not answer at {POSTGRES_SERVER_URL}: {exc.__class__.__name__}"
    finally:
        engine.dispose()
    return None


def skip_or_fail_without_postgres() -> None:
    """Skip the current test without PostgreSQL, or fail when running in CI."""
    reason = postgres_unavailable_reason()
    if reason is None:
        return
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: PostgreSQL is required)")
    pytest.skip(reason)


def create_postgres_database() -> str:
    """Create an empty database with a random name and return its URL."""
    name = f"t_{secrets.token_hex(6)}"
    server = sa.create_engine(POSTGRES_SERVER_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    server.dispose()
    return sa.make_url(POSTGRES_SERVER_URL).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    """Drop a database made by create_postgres_database, even with sessions still open."""
    name = sa.make_url(url).database
    server = sa.create_engine(POSTGRES_SERVER_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


def migrate(url: str) -> None:
    """Run every migration on the database at ``url``."""
    engine = make_engine(url)
    migrations.upgrade(engine)
    engine.dispose()


def empty_all_tables(url: str) -> None:
    """Delete every row (PostgreSQL), so the next test starts from an empty database.

    DELETE, children first, is several times faster than TRUNCATE on tables this small.
    """
    engine = make_engine(url)
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
        # The built-in reasons are seeded by migration 0008: every test starts with them.
        connection.execute(sa.insert(ReasonTag), seeded_reasons())
    engine.dispose()


def seeded_reasons() -> list[dict[str, object]]:
    """The rows migration 0008 seeds: the built-in reasons, active."""
    now = utcnow()
    return [
        {
            "code": code,
            "label_en": english,
            "label_fr": french,
            "status": "active",
            "builtin": True,
            "created_at": now,
            "updated_at": now,
        }
        for code, english, french in BUILTIN_TAGS
    ]
