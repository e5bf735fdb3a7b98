"""Delivering claimed webhook messages: sign, POST in a few threads, record each outcome.

The worker claims "webhook" outbox messages apart from emails (an SMTP
outage does not hold webhooks back, nor the reverse), with the same lease /
SKIP LOCKED claim, so two workers never POST the same attempt. The threads
only do HTTP; reading the deliveries and recording the outcomes stay in the
worker's thread and app context.

Outcomes: a 2xx is delivered; a network error, a timeout, 408, 425, 429 or a
5xx is tried again after ``webhooks.retry_delay`` (or the answer's longer
Retry-After, up to the cap) until WEBHOOK_MAX_ATTEMPTS;
any other status fails at once (see ``webhook_transport.classify``), and so
does a URL the SSRF guard now refuses (its name may have been pointed at a
private address since it was subscribed). A name that cannot be resolved is
retried: DNS outages pass.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from surveyapp.mail import outbox, webhook_transport
from surveyapp.mail.outbox import ClaimedMessage
from surveyapp.mail.webhook_transport import DeliveryError, UnsafeUrl
from surveyapp.models import utcnow
from surveyapp.services import webhooks
from surveyapp.services.webhooks import PreparedDelivery

__all__ = ["BATCH_PER_CONNECTION", "Attempt", "DeliveryCounts", "deliver_batch", "headers_for"]

# Claimed per connection at once: with the default timeouts a batch ends well within the
# lease (16 deliveries / 4 threads × 15 s = 60 s < 300 s), so no other worker retakes it.
BATCH_PER_CONNECTION = 4


@dataclass(frozen=True)
class Attempt:
    """One POST's outcome: "delivered", "retry" or "failed", and what to show in the log."""

    verdict: str
    status: int | None = None
    excerpt: str | None = None
    duration_ms: int | None = None
    error: str | None = None
    retry_after: int | None = None


@dataclass
class DeliveryCounts:
    """What one batch did."""

    delivered: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0


def headers_for(delivery: PreparedDelivery, timestamp: int) -> dict[str, str]:
    """The Standard Webhooks headers of one try at ``timestamp`` (Unix seconds)."""
    return {
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": webhook_transport.signature_header(
            delivery.secrets, delivery.message_id, timestamp, delivery.body
        ),
    }


def deliver_batch(
    owner: str, batch: Sequence[ClaimedMessage], config: Mapping[str, Any]
) -> DeliveryCounts:
    """POST every claimed webhook message of ``batch`` and record the outcomes."""
    counts = DeliveryCounts()
    prepared = webhooks.prepare_deliveries(message.id for message in batch)
    to_send: list[tuple[ClaimedMessage, PreparedDelivery]] = []
    for message in batch:
        delivery = prepared.get(message.id)
        if delivery is None or not delivery.active:
            reason = "endpoint deleted" if delivery is None else "endpoint paused"
            outbox.cancel(owner, message, reason, fail_invitation=False)
            counts.cancelled += 1
        else:
            to_send.append((message, delivery))
    if not to_send:
        return counts
    connections = max(1, int(config["WEBHOOK_CONNECTIONS"]))
    with ThreadPoolExecutor(max_workers=connections, thread_name_prefix="webhook") as pool:
        attempts = list(pool.map(lambda pair: _attempt(pair[1], config), to_send))
    delivered: list[ClaimedMessage] = []
    try:
        for (message, delivery), attempt in zip(to_send, attempts, strict=True):
            webhooks.record_attempt(
                delivery.delivery_id,
                status=attempt.status,
                excerpt=attempt.excerpt,
                duration_ms=attempt.duration_ms,
                now=utcnow(),
            )
            if attempt.verdict == "delivered":
                delivered.append(message)
            elif attempt.verdict == "failed":
                outbox.fail_permanently(owner, message, attempt.error or "failed")
                counts.failed += 1
            elif outbox.retry_later(
                owner,
                message,
                attempt.error or "failed",
                max_attempts=int(config["WEBHOOK_MAX_ATTEMPTS"]),
                backoff=_backoff(attempt.retry_after, float(config["WEBHOOK_RETRY_CAP_SECONDS"])),
            ):
                counts.failed += 1
            else:
                counts.retried += 1
    finally:
        outbox.complete(owner, delivered)
        counts.delivered += len(delivered)
    return counts


def _attempt(delivery: PreparedDelivery, config: Mapping[str, Any]) -> Attempt:
    """POST one delivery, signed now (runs in a sender thread: no database here)."""
    start = time.monotonic()
    try:
        answer = webhook_transport.post(
            delivery.url,
            delivery.body,
            headers_for(delivery, int(time.time())),
            allow_private=bool(config["WEBHOOK_ALLOW_PRIVATE_NETWORKS"]),
            connect_timeout=float(config["WEBHOOK_CONNECT_TIMEOUT"]),
            read_timeout=float(config["WEBHOOK_READ_TIMEOUT"]),
            ca_file=config.get("WEBHOOK_CA_FILE") or None,
        )
    except UnsafeUrl as exc:
        verdict = "retry" if exc.code == "unresolvable" else "failed"
        return Attempt(verdict, error=f"target refused: {exc}")
    except DeliveryError as exc:
        elapsed = round((time.monotonic() - start) * 1000)
        return Attempt("retry", duration_ms=elapsed, error=str(exc))
    verdict = webhook_transport.classify(answer.status)
    error = None
    if verdict != "delivered":
        error = f"HTTP {answer.status}"
        if 300 <= answer.status < 400:
            error += f": redirect to {answer.location or '?'} not followed"
    return Attempt(
        verdict, answer.status, answer.excerpt, answer.duration_ms, error, answer.retry_after
    )


def _backoff(retry_after: int | None, cap_seconds: float) -> Callable[[int], dt.timedelta]:
    """The usual backoff, or longer when the receiver asked for it (Retry-After), within the cap."""

    def delay(attempts: int) -> dt.timedelta:
        usual = webhooks.retry_delay(attempts)
        if retry_after is None:
            return usual
        return max(usual, dt.timedelta(seconds=min(retry_after, cap_seconds)))

    return delay
