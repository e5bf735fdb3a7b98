"""Racing requests: the same work in several apps at once, as separate workers would run it."""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import Flask

from surveyapp import db
from tests.conftest import make_test_app


def race(database_url: str, count: int, work: Callable[[Callable[[], None]], object]) -> None:
    """Run ``work(ready)`` in ``count`` threads, each in an app of its own (its own engine
    and connections). Each calls ``ready()`` once it has read what it needs; all go on
    together from there. Any exception is raised here, after every thread ended."""
    apps = [make_test_app(database_url) for _ in range(count)]
    barrier = threading.Barrier(count, timeout=30)
    errors: list[BaseException] = []

    def run(application: Flask) -> None:
        try:
            with application.app_context():
                work(barrier.wait)
                db.session().close()
        except BaseException as exc:  # raised below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(application,)) for application in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for application in apps:
        application.extensions["surveyapp.engine"].dispose()
    assert not errors, errors
