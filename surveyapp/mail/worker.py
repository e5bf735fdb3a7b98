"""The outbox worker: queue due reminders, claim a batch, send it over one connection, record.

Each cycle runs in its own app context (its own database session). When the
mail server cannot be reached the claimed messages are handed back untouched
and the loop waits longer and longer (up to MAX_IDLE_SECONDS) before the next
try, so an outage delays mail but loses none and uses up no message's attempts.
Messages sent are recorded once per batch: a worker killed in the middle of a
batch leaves its lease to expire, and those messages are sent again.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message

from flask import Flask

from surveyapp.mail import compose, outbox
from surveyapp.mail.outbox import ClaimedMessage
from surveyapp.mail.transport import (
    PermanentError,
    TemporaryError,
    Transport,
    TransportUnavailable,
    make_transport,
)
from surveyapp.models import Invitation, utcnow
from surveyapp.services import alerts, invitations, pulses, reminders

__all__ = ["MAX_IDLE_SECONDS", "CycleResult", "Worker"]

logger = logging.getLogger(__name__)

MAX_IDLE_SECONDS = 300.0


@dataclass
class CycleResult:
    """What one cycle did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    reminders_queued: int = 0
    waves_opened: int = 0
    alerts_queued: int = 0
    # True when the mail server could not be reached: the rest waits for the next cycle.
    unavailable: bool = False

    def __str__(self) -> str:
        text = (
            f"sent {self.sent}, retried {self.retried}, failed {self.failed}, "
            f"cancelled {self.cancelled}, reminders queued {self.reminders_queued}, "
            f"pulse waves opened {self.waves_opened}, alert emails queued {self.alerts_queued}"
        )
        return text + (" (mail server unavailable)" if self.unavailable else "")


class Worker:
    """Drains the outbox of one application; several may run at once, in threads or processes."""

    def __init__(
        self,
        app: Flask,
        *,
        batch_size: int = 100,
        transport_factory: Callable[[], Transport] | None = None,
    ) -> None:
        self.app = app
        self.batch_size = batch_size
        self.owner = f"{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(4)}"
        self._emails = compose.EmailBuilder()
        self._transport_factory = transport_factory or (
            lambda: make_transport(app.config["MAIL_URL"], app.logger)
        )

    def run_once(self) -> CycleResult:
        """Open due pulse waves, queue due reminders, then send every due message.

        Sending stops early when the mail server cannot be reached.
        """
        result = CycleResult()
        with self.app.app_context():
            result.waves_opened = len(pulses.open_due_waves())
            result.reminders_queued = reminders.schedule_due_reminders()
            result.alerts_queued = alerts.queue_due_alerts()
            max_attempts = int(self.app.config["OUTBOX_MAX_ATTEMPTS"])
            while not result.unavailable:
                batch = outbox.claim(self.owner, self.batch_size)
                if not batch:
                    break
                self._send_batch(batch, result, max_attempts)
        return result

    def run(self, *, interval: float = 5.0, stop: threading.Event | None = None) -> None:
        """Run cycles every ``interval`` seconds until ``stop`` is set (backing off on failures)."""
        stop = stop or threading.Event()
        delay = interval
        while not stop.is_set():
            try:
                result = self.run_once()
            except Exception:
                # A database outage must not kill the worker: log it and try again later.
                logger.exception("Outbox worker cycle failed")
                delay = min(max(delay, interval) * 2, MAX_IDLE_SECONDS)
            else:
                if any(
                    (
                        result.sent,
                        result.failed,
                        result.retried,
                        result.cancelled,
                        result.waves_opened,
                    )
                ):
                    logger.info("Outbox: %s", result)
                if result.unavailable:
                    delay = min(max(delay, interval) * 2, MAX_IDLE_SECONDS)
                    logger.warning("Mail server unavailable; next try in %.0f s", delay)
                else:
                    delay = interval
            stop.wait(delay)

    def _send_batch(
        self, batch: list[ClaimedMessage], result: CycleResult, max_attempts: int
    ) -> None:
        loaded = invitations.load_for_sending(
            message.invitation_id for message in batch if message.invitation_id is not None
        )
        sent: list[ClaimedMessage] = []
        try:
            with self._transport_factory() as transport:
                for index, message in enumerate(batch):
                    invitation = (
                        loaded.get(message.invitation_id)
                        if message.invitation_id is not None
                        else None
                    )
                    if message.kind in ("alert", "case_reply"):
                        staff_email = _staff_email(message)
                        if staff_email is None:
                            outbox.cancel(
                                self.owner, message, "nothing left to send", fail_invitation=False
                            )
                            result.cancelled += 1
                            continue
                        email = staff_email
                    elif message.kind not in ("invitation", "reminder"):
                        outbox.fail_permanently(
                            self.owner, message, f"no sender for {message.kind} messages"
                        )
                        result.failed += 1
                        continue
                    else:
                        skip = _skip_reason(message, invitation)
                        if skip is not None or invitation is None:
                            outbox.cancel(
                                self.owner,
                                message,
                                skip or "invitation deleted",
                                fail_invitation=message.kind == "invitation",
                            )
                            result.cancelled += 1
                            continue
                        email = self._emails.build(invitation, reminder=message.kind == "reminder")
                    try:
                        transport.send(email)
                    except PermanentError as exc:
                        outbox.fail_permanently(self.owner, message, str(exc))
                        result.failed += 1
                    except TemporaryError as exc:
                        gave_up = outbox.retry_later(
                            self.owner, message, str(exc), max_attempts=max_attempts
                        )
                        if gave_up:
                            result.failed += 1
                        else:
                            result.retried += 1
                    except TransportUnavailable as exc:
                        logger.warning("Cannot send email: %s", exc)
                        outbox.release(self.owner, batch[index:])
                        result.unavailable = True
                        return
                    else:
                        sent.append(message)
        finally:
            outbox.complete(self.owner, sent, now=utcnow())
            result.sent += len(sent)


def _staff_email(message: ClaimedMessage) -> Message | None:
    """The alert or case-reply email of ``message``; None when its recipient or cases are gone."""
    if message.kind == "case_reply":
        return compose.build_case_reply_email(message.payload)
    alert = alerts.load_alert_email(message.payload)
    return compose.build_alert_email(alert) if alert is not None else None


def _skip_reason(message: ClaimedMessage, invitation: Invitation | None) -> str | None:
    """Why a message must not be sent any more, or None when it still should be."""
    if invitation is None:
        return "invitation deleted"
    if invitation.contact.unsubscribed_at is not None:
        return "unsubscribed before sending"
    if invitation.survey.status != "active":
        return "survey no longer active"
    if message.kind == "reminder" and (
        invitation.answered_at is not None or invitation.status in ("answered", "failed")
    ):
        return "already answered" if invitation.status != "failed" else "invitation failed"
    return None
