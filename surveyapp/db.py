"""Database engine and the session of the current application context.

One engine per application, created in ``init_app``; one session per app
context, closed at teardown. Services are the only callers of ``session()``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask, current_app, g

__all__ = ["engine", "init_app", "make_engine", "session", "session_factory"]

_ENGINE_KEY = "surveyapp.engine"
_SESSIONMAKER_KEY = "surveyapp.sessionmaker"


def make_engine(url: str, *, busy_timeout_ms: int = 5000, echo: bool = False) -> sa.Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
    url_obj = sa.make_url(url)
    if url_obj.get_backend_name() == "postgresql" and url_obj.drivername == "postgresql":
        url_obj = url_obj.set(drivername="postgresql+psycopg")
    kwargs: dict[str, Any] = {"echo": echo}
    if url_obj.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"timeout": busy_timeout_ms / 1000}
    engine = sa.create_engine(url_obj, **kwargs)
    if url_obj.get_backend_name() == "sqlite":
        _configure_sqlite(engine, busy_timeout_ms)
    return engine


def _configure_sqlite(engine: sa.Engine, busy_timeout_ms: int) -> None:
    in_memory = engine.url.database in (None, "", ":memory:")

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()


def init_app(app: Flask) -> None:
    """Create the application's engine and close the context's session at teardown."""
    engine = make_engine(
        app.config["DATABASE_URL"],
        busy_timeout_ms=app.config["SQLITE_BUSY_TIMEOUT_MS"],
        echo=bool(app.config.get("SQLALCHEMY_ECHO")),
    )
    app.extensions[_ENGINE_KEY] = engine
    app.extensions[_SESSIONMAKER_KEY] = so.sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def session_factory(app: Flask) -> so.sessionmaker[so.Session]:
    """The sessionmaker of ``app``, for listeners that follow every session it makes."""
    return app.extensions[_SESSIONMAKER_KEY]


def engine() -> sa.Engine:
    """The current application's engine."""
    return current_app.extensions[_ENGINE_KEY]


def session() -> so.Session:
    """The session of the current app context, opened on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions[_SESSIONMAKER_KEY]()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()
