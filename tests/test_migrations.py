"""The migrations build exactly the schema the models describe, and run both ways."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from surveyapp import migrations
from surveyapp.db import make_engine
from surveyapp.models import Base


def test_models_and_migrations_agree(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations differ; write a migration: {diff}"


def test_downgrade_to_base_and_back(database_url: str) -> None:
    engine = make_engine(database_url)
    migrations.downgrade(engine, "base")
    assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
    migrations.upgrade(engine)
    assert {"surveys", "responses", "answers"} <= set(sa.inspect(engine).get_table_names())
    engine.dispose()
