"""Test helpers of the distribution area: a real SMTP server (aiosmtpd) and outbox shortcuts."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import socket
import threading
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from surveyapp import db
from surveyapp.models import Invitation, OutboxMessage


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RecordingHandler:
    """Keeps every message received; refuses chosen recipients with a chosen reply."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str], tuple[str, int]]] = []
        # recipient address -> SMTP reply ("550 …" or "451 …")
        self.refuse: dict[str, str] = {}
        self.lock = threading.Lock()

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: Any
    ) -> str:
        reply = self.refuse.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(parsed)  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), session.peer))
        return "250 OK"

    def recipients(self) -> list[str]:
        """Every envelope recipient, one per delivered message copy."""
        return [address for _from, rcpts, _peer in self.envelopes for address in rcpts]

    def to(self, address: str) -> list[EmailMessage]:
        """The messages received for ``address``."""
        return [m for m in self.messages if address in str(m["To"])]


class SmtpServer:
    """A real SMTP server on 127.0.0.1 that can be stopped (an outage) and started again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.handler = RecordingHandler()
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def text_part(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return body.get_content()


def html_part(message: EmailMessage) -> str:
    body = message.get_body(("html",))
    assert body is not None
    return body.get_content()


def outbox_rows() -> list[OutboxMessage]:
    session = db.session()
    session.expire_all()
    return list(session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def invitation_rows(survey_id: int | None = None) -> list[Invitation]:
    session = db.session()
    session.expire_all()
    query = sa.select(Invitation).order_by(Invitation.id)
    if survey_id is not None:
        query = query.where(Invitation.survey_id == survey_id)
    return list(session.scalars(query))


def shift_invitation(invitation_id: int, **moments: dt.datetime | None) -> None:
    """Move an invitation's timestamps (sent_at, last_reminded_at, created_at) into the past."""
    session = db.session()
    session.execute(sa.update(Invitation).where(Invitation.id == invitation_id).values(**moments))
    session.commit()


def make_all_due() -> None:
    """Make every pending outbox message due now (skip the backoff wait)."""
    session = db.session()
    session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.status == "pending")
        .values(next_attempt_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    )
    session.commit()
