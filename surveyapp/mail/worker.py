"""The outbox worker: queue due reminders, claim a batch, send it over a few connections, record.

Each cycle runs in its own app context (its own database session). When the
mail server cannot be reached the claimed messages are handed back untouched
and the loop waits longer and longer (up to MAX_IDLE_SECONDS) before the next
try, so an outage delays mail but loses none and uses up no message's attempts.
Messages sent are recorded once per batch: a worker killed in the middle of a
batch leaves its lease to expire, and those messages are sent again.

Webhooks are claimed and delivered after the emails, by their own code
(mail/webhook_delivery.py), so a mail outage does not hold them back.

A batch goes out over ``SMTP_CONNECTIONS`` connections, one thread each; the
threads only talk SMTP. Building the emails and every database write stay in
the worker's own thread and app context.

Once the outbox is drained, a cycle also spends a few seconds on the re-tagging
job of the reason taxonomy, if one is queued (``services.retagging``).
"""

from __future__ import annotations

import logging
import os
import queue
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask

from surveyapp.mail import compose, outbox, webhook_delivery
from surveyapp.mail.outbox import ClaimedMessage
from surveyapp.mail.transport import (
    OutgoingEmail,
    PermanentError,
    TemporaryError,
    Transport,
    TransportError,
    TransportUnavailable,
    make_transport,
)
from surveyapp.models import Invitation, utcnow
from surveyapp.models.outbox import OUTBOX_KINDS
from surveyapp.services import alerts, invitations, pulses, reminders, retagging, webhooks

__all__ = ["DEFAULT_CONNECTIONS", "MAX_IDLE_SECONDS", "CycleResult", "Worker"]

logger = logging.getLogger(__name__)

MAX_IDLE_SECONDS = 300.0
# SMTP connections a batch is sent over at once (config SMTP_CONNECTIONS): one connection
# spends most of its time waiting for the server's replies.
DEFAULT_CONNECTIONS = 3
# Webhooks have their own claim (mail/webhook_delivery.py); these kinds are emails.
EMAIL_KINDS = tuple(kind for kind in OUTBOX_KINDS if kind != "webhook")
PRUNE_INTERVAL_SECONDS = 3600.0


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
    retagged: int = 0
    webhooks_delivered: int = 0
    webhooks_retried: int = 0
    webhooks_failed: int = 0
    webhooks_cancelled: int = 0
    # True when the mail server could not be reached: the rest waits for the next cycle.
    unavailable: bool = False

    def __str__(self) -> str:
        text = (
            f"sent {self.sent}, retried {self.retried}, failed {self.failed}, "
            f"cancelled {self.cancelled}, reminders queued {self.reminders_queued}, "
            f"pulse waves opened {self.waves_opened}, alert emails queued {self.alerts_queued}, "
            f"webhooks delivered {self.webhooks_delivered}, retried {self.webhooks_retried}, "
            f"failed {self.webhooks_failed}, cancelled {self.webhooks_cancelled}"
        )
        if self.retagged:
            text += f", answers re-tagged {self.retagged}"
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
        self._pruned_at: float | None = None
        self._transport_factory = transport_factory or (
            lambda: make_transport(app.config["MAIL_URL"], app.logger)
        )

    def run_once(self) -> CycleResult:
        """Open due pulse waves, queue due reminders, send every due message, then re-tag
        a few batches of the current re-tagging job.

        Sending stops early when the mail server cannot be reached.
        """
        result = CycleResult()
        with self.app.app_context():
            result.waves_opened = len(pulses.open_due_waves())
            result.reminders_queued = reminders.schedule_due_reminders()
            result.alerts_queued = alerts.queue_due_alerts()
            max_attempts = int(self.app.config["OUTBOX_MAX_ATTEMPTS"])
            while not result.unavailable:
                batch = outbox.claim(self.owner, self.batch_size, kinds=EMAIL_KINDS)
                if not batch:
                    break
                self._send_batch(batch, result, max_attempts)
            self._deliver_webhooks(result)
            result.retagged = retagging.work(self.owner)
        return result

    def _deliver_webhooks(self, result: CycleResult) -> None:
        """Deliver every due webhook, then prune the delivery log (at most once an hour)."""
        config = self.app.config
        limit = max(1, int(config["WEBHOOK_CONNECTIONS"])) * webhook_delivery.BATCH_PER_CONNECTION
        while batch := outbox.claim(self.owner, limit, kinds=("webhook",)):
            counts = webhook_delivery.deliver_batch(self.owner, batch, config)
            result.webhooks_delivered += counts.delivered
            result.webhooks_retried += counts.retried
            result.webhooks_failed += counts.failed
            result.webhooks_cancelled += counts.cancelled
        now = time.monotonic()
        if self._pruned_at is None or now - self._pruned_at >= PRUNE_INTERVAL_SECONDS:
            webhooks.prune_deliveries()
            self._pruned_at = now

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
                        result.retagged,
                        result.webhooks_delivered,
                        result.webhooks_retried,
                        result.webhooks_failed,
                        result.webhooks_cancelled,
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
        connections = max(1, int(self.app.config.get("SMTP_CONNECTIONS", DEFAULT_CONNECTIONS)))
        sending = _ParallelSender(self._transport_factory, connections)
        # Emails are built (and the unsendable given up) here while the sender threads talk
        # SMTP: building needs the database and the app context, which stay in this thread.
        try:
            for message in batch:
                if sending.stopped.is_set():
                    break
                email = self._email_for(message, loaded, result)
                if email is not None:
                    sending.put(message, email)
        finally:
            self._record(batch, sending.finish(), sending.unavailable, result, max_attempts)
        if sending.error is not None:
            raise sending.error

    def _record(
        self,
        batch: list[ClaimedMessage],
        outcomes: list[tuple[ClaimedMessage, TransportError | None]],
        unavailable: TransportUnavailable | None,
        result: CycleResult,
        max_attempts: int,
    ) -> None:
        """Write what the sender threads did: sent, failed, retried; release what was not tried."""
        sent: list[ClaimedMessage] = []
        try:
            for message, outcome in outcomes:
                if outcome is None:
                    sent.append(message)
                elif isinstance(outcome, PermanentError):
                    outbox.fail_permanently(self.owner, message, str(outcome))
                    result.failed += 1
                elif outbox.retry_later(
                    self.owner, message, str(outcome), max_attempts=max_attempts
                ):
                    result.failed += 1
                else:
                    result.retried += 1
            if unavailable is not None:
                logger.warning("Cannot send email: %s", unavailable)
                result.unavailable = True
                tried = {message.id for message, _outcome in outcomes}
                # Those cancelled or failed while building hold no lease: release skips them.
                outbox.release(self.owner, [m for m in batch if m.id not in tried])
        finally:
            outbox.complete(self.owner, sent, now=utcnow())
            result.sent += len(sent)

    def _email_for(
        self,
        message: ClaimedMessage,
        loaded: dict[int, Invitation],
        result: CycleResult,
    ) -> OutgoingEmail | None:
        """The email to send for ``message``, or None once it was cancelled or failed here."""
        if message.kind in ("alert", "case_reply"):
            staff_email = _staff_email(message)
            if staff_email is None:
                outbox.cancel(self.owner, message, "nothing left to send", fail_invitation=False)
                result.cancelled += 1
            return staff_email
        if message.kind not in ("invitation", "reminder"):
            outbox.fail_permanently(self.owner, message, f"no sender for {message.kind} messages")
            result.failed += 1
            return None
        invitation = loaded.get(message.invitation_id) if message.invitation_id else None
        skip = _skip_reason(message, invitation)
        if skip is not None or invitation is None:
            outbox.cancel(
                self.owner,
                message,
                skip or "invitation deleted",
                fail_invitation=message.kind == "invitation",
            )
            result.cancelled += 1
            return None
        return self._emails.build(invitation, reminder=message.kind == "reminder")


class _ParallelSender:
    """Sends queued emails over ``connections`` transports, one thread each; touches no database.

    Each outcome is None (sent) or the TransportError raised. The first
    TransportUnavailable stops every thread: what is left is handed back.
    """

    def __init__(self, factory: Callable[[], Transport], connections: int) -> None:
        self.stopped = threading.Event()
        self.unavailable: TransportUnavailable | None = None
        self.error: BaseException | None = None
        self._queue: queue.SimpleQueue[tuple[ClaimedMessage, OutgoingEmail] | None] = (
            queue.SimpleQueue()
        )
        self._outcomes: list[tuple[ClaimedMessage, TransportError | None]] = []
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._run, args=(factory,), name=f"smtp-{n}", daemon=True)
            for n in range(connections)
        ]
        for thread in self._threads:
            thread.start()

    def put(self, message: ClaimedMessage, email: OutgoingEmail) -> None:
        """Hand one email to the next free connection."""
        self._queue.put((message, email))

    def finish(self) -> list[tuple[ClaimedMessage, TransportError | None]]:
        """Wait for every thread; each message tried with its outcome."""
        for _thread in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join()
        return self._outcomes

    def _run(self, factory: Callable[[], Transport]) -> None:
        drained = False
        try:
            with factory() as transport:
                while (item := self._queue.get()) is not None:
                    if not self.stopped.is_set():
                        self._send(transport, *item)
                drained = True
        except BaseException as exc:
            # A bug must not pass silently: the worker raises it once the rest is recorded.
            with self._lock:
                self.error = self.error or exc
            self.stopped.set()
            while not drained and self._queue.get() is not None:
                pass

    def _send(self, transport: Transport, message: ClaimedMessage, email: OutgoingEmail) -> None:
        try:
            transport.send(email)
        except TransportUnavailable as exc:
            # Not an outcome of this message: it goes back untouched with the untried ones.
            with self._lock:
                self.unavailable = self.unavailable or exc
            self.stopped.set()
            return
        except (PermanentError, TemporaryError) as exc:
            outcome: TransportError | None = exc
        else:
            outcome = None
        with self._lock:
            self._outcomes.append((message, outcome))


def _staff_email(message: ClaimedMessage) -> OutgoingEmail | None:
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
