"""db.write_gate: respondents' write transactions reach SQLite one at a time, in turn."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from surveyapp import db
from tests.conftest import make_test_app


@pytest.fixture
def sqlite_app(tmp_path: Path) -> Iterator[Flask]:
    """An app on a SQLite file (the gate needs no tables)."""
    application = make_test_app(f"sqlite:///{tmp_path / 'gate.db'}")
    with application.app_context():
        yield application


def _gate_file(app: Flask) -> Path:
    return Path(f"{db.engine().url.database}-write-gate")


def _enter_in_thread(
    app: Flask, entered: threading.Event, leave: threading.Event
) -> threading.Thread:
    def run() -> None:
        with app.app_context(), db.write_gate():
            entered.set()
            leave.wait(5)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_writer_waits_while_another_process_holds_the_gate(sqlite_app: Flask) -> None:
    app = sqlite_app
    with db.write_gate():
        pass  # creates the file
    # Another open of the file stands for another process: flock locks open files.
    other = os.open(_gate_file(app), os.O_RDWR)
    fcntl.flock(other, fcntl.LOCK_EX)
    entered, leave = threading.Event(), threading.Event()
    thread = _enter_in_thread(app, entered, leave)
    try:
        assert not entered.wait(0.3), "the gate let a second writer in"
        fcntl.flock(other, fcntl.LOCK_UN)
        assert entered.wait(5), "the gate did not open when the other writer left"
    finally:
        leave.set()
        thread.join(5)
        os.close(other)


def test_threads_of_one_process_take_turns(sqlite_app: Flask) -> None:
    app = sqlite_app
    first_in, first_leave = threading.Event(), threading.Event()
    second_in, second_leave = threading.Event(), threading.Event()
    first = _enter_in_thread(app, first_in, first_leave)
    assert first_in.wait(5)
    second = _enter_in_thread(app, second_in, second_leave)
    try:
        assert not second_in.wait(0.3), "two threads were inside the gate at once"
        first_leave.set()
        assert second_in.wait(5)
    finally:
        first_leave.set()
        second_leave.set()
        first.join(5)
        second.join(5)


def _held_elsewhere(app: Flask) -> bool:
    """Whether another open file (another process, as flock sees it) would have to wait."""
    other = os.open(_gate_file(app), os.O_RDWR)
    try:
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(other)
    return False


def test_the_thread_inside_can_enter_again_and_the_gate_opens_when_it_leaves(
    sqlite_app: Flask,
) -> None:
    app = sqlite_app
    with db.write_gate():
        with db.write_gate():
            assert _held_elsewhere(app)
        # Leaving the inner block does not open the gate under the outer one.
        assert _held_elsewhere(app)
    assert not _held_elsewhere(app)


def test_postgresql_writers_are_not_queued(postgres_url: str) -> None:
    # PostgreSQL locks rows: concurrent writers are never queued here.
    app = make_test_app(postgres_url)
    first_in, first_leave = threading.Event(), threading.Event()
    second_in, second_leave = threading.Event(), threading.Event()
    first = _enter_in_thread(app, first_in, first_leave)
    second = _enter_in_thread(app, second_in, second_leave)
    try:
        assert first_in.wait(5) and second_in.wait(5)
    finally:
        first_leave.set()
        second_leave.set()
        first.join(5)
        second.join(5)
    app.extensions["surveyapp.engine"].dispose()
