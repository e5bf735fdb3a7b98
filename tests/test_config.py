"""Configuration: defaults, instance file, environment, secret key, database settings."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from surveyapp import ROOT, config, create_app
from surveyapp.db import make_engine


def bare_app(instance: Path) -> Flask:
    return Flask("surveyapp", instance_path=str(instance), instance_relative_config=True)


def test_defaults_use_sqlite_in_instance_and_generate_a_private_secret_key(tmp_path: Path) -> None:
    app = bare_app(tmp_path / "instance")
    config.load(app)
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'instance' / 'surveyapp.db'}"
    key_file = tmp_path / "instance" / "secret_key"
    assert key_file.read_text().strip() == app.config["SECRET_KEY"]
    assert len(app.config["SECRET_KEY"]) >= 48
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert app.config["MAIL_URL"] == "log"
    assert app.config["BASE_URL"] == "http://127.0.0.1:5000"


def test_secret_key_is_kept_across_starts(tmp_path: Path) -> None:
    first, second = bare_app(tmp_path), bare_app(tmp_path)
    config.load(first)
    config.load(second)
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]


def test_empty_secret_key_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text("")
    with pytest.raises(config.ConfigError, match="empty"):
        config.load(bare_app(tmp_path))


def test_instance_file_then_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "config.py").write_text('COMPANY_NAME = "Instance Inc"\nMAIL_FROM = "a@b.c"\n')
    monkeypatch.setenv("SURVEYAPP_MAIL_FROM", "env@example.com")
    monkeypatch.setenv("SURVEYAPP_DATABASE_URL", "postgresql+psycopg://u@db/x")
    monkeypatch.setenv("SURVEYAPP_BASE_URL", "https://surveys.example.com/")
    app = bare_app(tmp_path)
    config.load(app)
    assert app.config["COMPANY_NAME"] == "Instance Inc"
    assert app.config["MAIL_FROM"] == "env@example.com"
    assert app.config["DATABASE_URL"] == "postgresql+psycopg://u@db/x"
    assert app.config["BASE_URL"] == "https://surveys.example.com"
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_test_config_replaces_instance_and_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SURVEYAPP_COMPANY_NAME", "From env")
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/t.db", "SECRET_KEY": "k"})
    assert app.config["COMPANY_NAME"] == "Our company"
    assert app.template_folder == str(ROOT / "templates")
    assert Path(app.instance_path).is_absolute()


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/x.db", busy_timeout_ms=7000)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 7000
    engine.dispose()


def test_plain_postgresql_url_uses_psycopg() -> None:
    engine = make_engine("postgresql://postgres@127.0.0.1:5432/test")
    assert engine.dialect.driver == "psycopg"
    assert isinstance(engine, sa.Engine)
    engine.dispose()


def test_importing_every_module_does_no_work(tmp_path: Path) -> None:
    """Nothing happens at import time: no file, no connection, no app."""
    code = (
        "import importlib, pkgutil, surveyapp\n"
        "for m in pkgutil.walk_packages(surveyapp.__path__, 'surveyapp.'):\n"
        "    importlib.import_module(m.name)\n"
    )
    before = sorted(os.listdir(ROOT / "instance"))
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SURVEYAPP_DATABASE_URL": "postgresql+psycopg://nobody@192.0.2.1/none",
    }
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path, env=env, timeout=60)
    assert sorted(os.listdir(ROOT / "instance")) == before
