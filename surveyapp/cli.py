"""Command-line interface: ``flask --app surveyapp <command>``."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup

from surveyapp import db, migrations
from surveyapp.analytics import AnalyticsError
from surveyapp.mail.cli import worker_command
from surveyapp.models.user import API_SCOPES, ROLES
from surveyapp.services import api_keys, demo, rollups, tagging, users
from surveyapp.services.errors import ServiceError

__all__ = ["init_app"]

db_cli = AppGroup("db", help="Database migrations.")


@db_cli.command("upgrade")
@click.argument("target", default="head")
def db_upgrade(target: str) -> None:
    """Bring the database to the latest migration (or TARGET)."""
    migrations.upgrade(db.engine(), target)
    click.echo(f"Database at {target}.")


@db_cli.command("downgrade")
@click.argument("target")
def db_downgrade(target: str) -> None:
    """Take the database back to migration TARGET (e.g. -1, base)."""
    migrations.downgrade(db.engine(), target)
    click.echo(f"Database at {target}.")


@db_cli.command("revision")
@click.option("-m", "--message", required=True, help="What the migration changes.")
def db_revision(message: str) -> None:
    """Write the next migration from the difference between the models and the database."""
    migrations.revision(db.engine(), message)


@click.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), default="viewer", show_default=True)
@click.option("--name", default="", help="Display name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user_command(email: str, role: str, name: str, password_stdin: bool) -> None:
    """Create a user, asking for the password."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = users.create_user(email, password, role, name)
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Created {user.role} {user.email}.")


@click.command("create-api-key")
@click.argument("name")
@click.option("--scope", type=click.Choice(API_SCOPES), default="read", show_default=True)
def create_api_key_command(name: str, scope: str) -> None:
    """Print a new API key once; only its hash is stored."""
    try:
        key, secret = api_keys.create_api_key(name, scope)
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(secret)
    click.echo(
        f"API key {key.name!r} ({key.scope}) created. Copy it now: it is not shown again.", err=True
    )


@click.command("seed-demo")
def seed_demo_command() -> None:
    """Fill an empty database with a realistic demo (four surveys, two years of answers)."""
    try:
        summary = demo.seed_demo()
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(summary)


@click.command("tag-texts")
@click.argument("input_csv", type=click.Path(exists=True, dir_okay=False))
@click.option("--column", required=True, help="The column holding the comments.")
@click.option("--lang", type=click.Choice(["en", "fr", "auto"]), default="auto", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False), help="Write here instead of stdout.")
def tag_texts_command(input_csv: str, column: str, lang: str, output: str | None) -> None:
    """Tag the comments of a CSV with reasons, confidence, sentiment and language, with
    the workspace's reasons and keywords (the built-in ones before the first migration)."""
    # Imported here: TextBlob's lexicons load on import and no other command needs them.
    from surveyapp.text import TextAnalyticsError
    from surveyapp.text.csvtag import tag_csv_file

    try:
        count = tag_csv_file(
            input_csv,
            column,
            lang,
            output,
            stdout=sys.stdout,
            read=tagging.workspace_reader(),
        )
    except TextAnalyticsError as exc:
        raise click.UsageError(str(exc)) from exc
    if output:
        click.echo(f"{count} rows tagged into {output}.", err=True)


@click.command("rebuild-rollups")
def rebuild_rollups_command() -> None:
    """Recompute every daily rollup in the configured TIMEZONE (after changing it)."""
    try:
        written = rollups.rebuild()
    except AnalyticsError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{written} rollup rows written in {rollups.configured_time_zone()}.")


def init_app(app: Flask) -> None:
    """Register the commands on the application."""
    app.cli.add_command(db_cli)
    app.cli.add_command(create_user_command)
    app.cli.add_command(create_api_key_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(tag_texts_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(rebuild_rollups_command)
