"""Fixtures of the mail tests: a real SMTP server and an app that sends to it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from surveyapp import db
from tests.conftest import make_test_app
from tests.factories_distribution import SmtpServer


@pytest.fixture
def mail_app(database_url: str, smtp: SmtpServer) -> Iterator[Flask]:
    """The application sending to ``smtp``, inside an app context, on a fresh database."""
    application = make_test_app(database_url, MAIL_URL=smtp.url, MAIL_FROM="surveys@acme.test")
    with application.app_context():
        yield application
        db.session().close()
    application.extensions["surveyapp.engine"].dispose()
