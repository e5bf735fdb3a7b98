"""Readiness checks for the load balancer: the database answers and its schema is current."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from surveyapp import db, migrations

__all__ = ["Readiness", "check_readiness", "expected_heads"]


@dataclass(frozen=True)
class Readiness:
    """Whether the database answers and whether it is at the latest migration."""

    database: bool
    migrations: bool

    @property
    def ready(self) -> bool:
        """True when the application can serve requests."""
        return self.database and self.migrations


@functools.cache
def expected_heads() -> frozenset[str]:
    """The head revisions of the migrations shipped with this code (read once per process)."""
    return frozenset(ScriptDirectory.from_config(migrations.alembic_config()).get_heads())


def check_readiness() -> Readiness:
    """Ask the database for its migration revision; any failure to connect means not ready."""
    try:
        with db.engine().connect() as connection:
            current = frozenset(MigrationContext.configure(connection).get_current_heads())
    except sa.exc.SQLAlchemyError:
        return Readiness(database=False, migrations=False)
    return Readiness(database=True, migrations=current == expected_heads())
