"""Fixtures: an app on a fresh database per test, on SQLite and on PostgreSQL."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, g
from flask.testing import FlaskClient, FlaskCliRunner

from surveyapp import ROOT, create_app, db
from tests import databases, factories
from tests.factories_distribution import SmtpServer
from tests.factories_webhooks import Receiver

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session", autouse=True)
def compiled_translations() -> None:
    """Compile the catalogues when a .po is newer than its .mo (as `make install` does)."""
    for po_path in (ROOT / "surveyapp" / "translations").glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    databases.migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL database of this test run, dropped at the end."""
    databases.skip_or_fail_without_postgres()
    url = databases.create_postgres_database()
    try:
        databases.migrate(url)
        yield url
    finally:
        databases.drop_postgres_database(url)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty, migrated database of the backend this test runs on."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_url")
    yield url
    databases.empty_all_tables(url)


def make_test_app(database_url: str, **overrides: object) -> Flask:
    """An app for tests: fast password hashing, CSRF off unless asked for."""
    config: dict[str, object] = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key",
        "WTF_CSRF_ENABLED": False,
        "ARGON2_PROFILE": "CHEAPEST",
        "COMPANY_NAME": "Acme",
        "BASE_URL": "http://surveys.test",
    }
    config.update(overrides)
    application = create_app(config)
    application.teardown_request(_forget_request_state)
    return application


# The `app` fixture holds one app context for the whole test, so the test client's
# requests share `g`; forgetting the per-request entries makes each request start
# fresh, as it does in production.
_PER_REQUEST_G_KEYS = ("respondent_language", "_flask_babel", "_login_user", "csrf_token")


def _forget_request_state(_exc: BaseException | None) -> None:
    for key in _PER_REQUEST_G_KEYS:
        g.pop(key, None)


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    """The application, inside an app context, on a fresh database."""
    application = make_test_app(database_url)
    with application.app_context():
        yield application
        db.session().close()
    db_engine = application.extensions["surveyapp.engine"]
    db_engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def login(client: FlaskClient) -> Callable[[str], object]:
    """Log the test client in as a new user of ``role``; returns that user."""

    def log_in(role: str = "admin", email: str | None = None) -> object:
        user = factories.gen_user(role=role, email=email)
        response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return log_in


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """An SMTP server on 127.0.0.1 and a free port, stopped at the end."""
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A running HTTP receiver for webhooks on 127.0.0.1, stopped at the end."""
    server = Receiver()
    server.start()
    try:
        yield server
    finally:
        server.stop()
