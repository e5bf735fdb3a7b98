"""Database engine and the session of the current application context.

One engine per application, created in ``init_app``; one session per app
context, closed at teardown. Services are the only callers of ``session()``.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask, current_app, g
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import GenericFunction

__all__ = [
    "SEARCH_FOLDS",
    "engine",
    "fold_for_search",
    "folded",
    "init_app",
    "make_engine",
    "session",
    "session_factory",
    "write_gate",
]

# Case and accent folding for text search, the same in Python and in SQL on both
# databases: each listed letter (both cases, since SQLite's lower() only knows
# ASCII) becomes its plain form, then the text is lower-cased.
SEARCH_FOLDS: dict[str, str] = {
    **{
        accented: plain
        for plain, letters in (
            ("a", "àâäáãåÀÂÄÁÃÅ"),
            ("c", "çÇ"),
            ("e", "èéêëÈÉÊË"),
            ("i", "ìíîïÌÍÎÏ"),
            ("n", "ñÑ"),
            ("o", "òóôöõÒÓÔÖÕ"),
            ("u", "ùúûüÙÚÛÜ"),
            ("y", "ýÿÝŸ"),
        )
        for accented in letters
    },
    "œ": "oe",
    "Œ": "oe",
    "æ": "ae",
    "Æ": "ae",
    "’": "'",
}
_SEARCH_TABLE = str.maketrans(SEARCH_FOLDS)
_SQLITE_FOLD = "surveyapp_fold"


def fold_for_search(text: str) -> str:
    """``text`` folded for search: the letters of SEARCH_FOLDS made plain, then lower case.

    >>> fold_for_search("Prix ÉLEVÉ, cœur")
    'prix eleve, coeur'
    """
    return text.translate(_SEARCH_TABLE).lower()


class folded(GenericFunction[str]):
    """SQL: a text column folded as ``fold_for_search`` folds a string."""

    type = sa.String()
    inherit_cache = True


@compiles(folded, "sqlite")
def _folded_sqlite(element: folded, compiler: Any, **kw: Any) -> str:
    # A Python function registered on each connection: nesting 60 replace() calls
    # overflows SQLite's parser stack, and SQLite has no translate().
    return f"{_SQLITE_FOLD}({compiler.process(element.clauses, **kw)})"


@compiles(folded)
def _folded_default(element: folded, compiler: Any, **kw: Any) -> str:
    single = {key: value for key, value in SEARCH_FOLDS.items() if len(value) == 1}
    text = f"lower({compiler.process(element.clauses, **kw)})"
    for key, value in SEARCH_FOLDS.items():
        if len(value) > 1:
            text = f"replace({text}, '{key}', '{value}')"
    sources = "".join(single)
    targets = "".join(single.values()).replace("'", "''")
    return f"translate({text}, '{sources}', '{targets}')"


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
        dbapi_connection.create_function(_SQLITE_FOLD, 1, _fold_or_null, deterministic=True)


def _fold_or_null(value: Any) -> Any:
    return fold_for_search(value) if isinstance(value, str) else value


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


_gate = threading.local()


@contextmanager
def write_gate() -> Iterator[None]:
    """Let this thread's write transaction reach SQLite in turn with the other gated writers.

    SQLite lets one writer in at a time and makes the others poll with growing
    sleeps (1, 2, 5, 10 … ms): under a burst of submissions the lock often sits free
    while its waiters sleep, and an unlucky request waits hundreds of milliseconds.
    Writers inside this block first wait in the kernel for an exclusive ``flock`` on a
    file beside the database, which wakes the next one as soon as it is released, in
    every process; the block must hold the whole transaction, commit or rollback
    included. Writers that do not use it stay safe: SQLite's own locking decides, as
    before, and a gated writer that meets one still waits at most the busy timeout.
    PostgreSQL locks rows, and an in-memory database has one process: no gate there.
    """
    path = _gate_path()
    depth = getattr(_gate, "depth", 0)
    if path is None or depth:
        _gate.depth = depth + 1
        try:
            yield
        finally:
            _gate.depth = depth
        return
    files: dict[str, int] = _gate.__dict__.setdefault("files", {})
    if path not in files:
        # One open file per thread: flock makes separate opens exclude each other.
        files[path] = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    descriptor = files[path]
    fcntl.flock(descriptor, fcntl.LOCK_EX)  # releases the GIL while it waits
    _gate.depth = 1
    try:
        yield
    finally:
        _gate.depth = 0
        fcntl.flock(descriptor, fcntl.LOCK_UN)


def _gate_path() -> str | None:
    url = engine().url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return f"{os.path.abspath(url.database)}-write-gate"
