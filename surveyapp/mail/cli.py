"""The ``worker`` command: ``flask --app surveyapp worker [--once] [--interval S]``."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import click
from flask import current_app
from flask.cli import with_appcontext

from surveyapp.mail.transport import parse_mail_url
from surveyapp.mail.worker import Worker

__all__ = ["worker_command"]


@click.command("worker")
@click.option("--once", is_flag=True, help="Send what is due, then exit.")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=5.0,
    show_default=True,
    help="Seconds between two cycles.",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1, max=1000),
    default=100,
    show_default=True,
    help="Messages claimed and sent over one connection at a time.",
)
@with_appcontext
def worker_command(once: bool, interval: float, batch_size: int) -> None:
    """Send the outbox (invitations, reminders, alerts, webhooks) until stopped."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        settings = parse_mail_url(app.config["MAIL_URL"])
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    worker = Worker(app, batch_size=batch_size)
    if once:
        click.echo(str(worker.run_once()))
        return
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    # Finish the current batch on Ctrl-C or SIGTERM instead of dying in the middle of it.
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    target = "the log" if settings.scheme == "log" else f"{settings.host}:{settings.port}"
    click.echo(f"Outbox worker {worker.owner} sending to {target} every {interval:g} s.")
    worker.run(interval=interval, stop=stop)
    click.echo("Outbox worker stopped.")
