"""The command line: accounts, API keys and migrations, run through Flask's CLI runner."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner

from surveyapp import db
from surveyapp.models import ApiKey, User
from surveyapp.services import taxonomy
from tests import factories


def _user(email: str) -> User | None:
    db.session().expire_all()
    return db.session().scalar(sa.select(User).where(User.email == email))


def test_create_user_reads_the_password_from_stdin(runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=["create-user", "Root@Example.com", "--role", "admin", "--password-stdin"],
        input="a long secret phrase\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created admin root@example.com." in result.output
    user = _user("root@example.com")
    assert user is not None and user.role == "admin"
    assert user.password_hash.startswith("$argon2id$")


def test_create_user_prompts_twice_for_the_password(runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=["create-user", "viewer@example.com"],
        input="a long secret phrase\na long secret phrase\n",
    )
    assert result.exit_code == 0, result.output
    user = _user("viewer@example.com")
    assert user is not None and user.role == "viewer"


def test_create_user_refuses_a_duplicate_email(runner: FlaskCliRunner) -> None:
    factories.gen_user("editor", email="taken@example.com")
    result = runner.invoke(
        args=["create-user", "TAKEN@example.com", "--role", "admin", "--password-stdin"],
        input="a long secret phrase\n",
    )
    assert result.exit_code == 1
    assert "An account already exists for taken@example.com." in result.output
    user = _user("taken@example.com")
    assert user is not None and user.role == "editor"


def test_create_user_refuses_a_short_password(runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=["create-user", "short@example.com", "--password-stdin"], input="short\n"
    )
    assert result.exit_code == 1
    assert "at least 10 characters" in result.output
    assert _user("short@example.com") is None


def test_create_user_refuses_an_unknown_role(runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=["create-user", "x@example.com", "--role", "owner", "--password-stdin"],
        input="a long secret phrase\n",
    )
    assert result.exit_code == 2
    assert _user("x@example.com") is None


def test_create_api_key_prints_the_key_once_and_stores_only_its_hash(
    runner: FlaskCliRunner,
) -> None:
    result = runner.invoke(args=["create-api-key", "CRM sync", "--scope", "write"])
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert len(secret) > 30 and "\n" not in secret
    assert "not shown again" in result.stderr
    db.session().expire_all()
    (key,) = db.session().scalars(sa.select(ApiKey))
    assert (key.name, key.scope) == ("CRM sync", "write")
    assert key.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = [str(value) for value in db.session().execute(sa.select(ApiKey.__table__)).one()]
    assert all(secret not in value for value in stored)


def test_create_api_key_defaults_to_read_and_checks_the_scope(runner: FlaskCliRunner) -> None:
    assert runner.invoke(args=["create-api-key", "Reports"]).exit_code == 0
    assert runner.invoke(args=["create-api-key", "Bad", "--scope", "admin"]).exit_code == 2
    db.session().expire_all()
    assert [(k.name, k.scope) for k in db.session().scalars(sa.select(ApiKey))] == [
        ("Reports", "read")
    ]


def test_db_upgrade_runs(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "Database at head." in result.output
    version = db.session().scalar(sa.text("SELECT version_num FROM alembic_version"))
    assert version


def test_tag_texts_applies_the_workspace_taxonomy(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    """The command reads comments as submitted ones are read: own keywords, retirements."""
    contract = taxonomy.create_tag("Contract terms", "Conditions du contrat")
    taxonomy.add_keyword(contract.id, "en", "notice period")
    taxonomy.add_keyword(contract.id, "fr", "préavis")
    taxonomy.retire_tag(next(tag.id for tag in taxonomy.list_tags() if tag.code == "price"))
    source = tmp_path / "comments.csv"
    source.write_text(
        "id;text\n1;The notice period is absurd\n2;Le préavis est trop long\n3;Way too expensive\n",
        encoding="utf-8",
    )
    target = tmp_path / "tagged.csv"

    result = runner.invoke(
        args=["tag-texts", str(source), "--column", "text", "--output", str(target)]
    )

    assert result.exit_code == 0, result.output
    with target.open(encoding="utf-8") as written:
        rows = list(csv.DictReader(written, delimiter=";"))
    assert [row["tags"] for row in rows] == [contract.code, contract.code, ""]
    assert [row["language"] for row in rows] == ["en", "fr", "en"]
