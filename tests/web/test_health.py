"""Liveness and readiness endpoints."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient

from surveyapp import migrations
from surveyapp.db import make_engine
from tests.conftest import make_test_app


def test_liveness_and_readiness_answer_without_login(client: FlaskClient) -> None:
    live = client.get("/healthz")
    assert live.status_code == 200 and live.json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json == {"status": "ready", "checks": {"database": "ok", "migrations": "ok"}}
    assert ready.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in ready.headers


def test_not_ready_when_the_schema_is_behind(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    migrations.upgrade(engine, "0001")
    engine.dispose()
    app = make_test_app(url)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"] == {"database": "ok", "migrations": "not at head"}
    assert app.test_client().get("/healthz").status_code == 200
    app.extensions["surveyapp.engine"].dispose()


def test_not_ready_when_the_database_does_not_answer(tmp_path: Path) -> None:
    app = make_test_app(f"sqlite:///{tmp_path / 'missing' / 'nowhere.db'}")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["database"] == "unreachable"
    app.extensions["surveyapp.engine"].dispose()
