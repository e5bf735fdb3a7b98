"""The outbox queue: enqueue, claim, complete, retry and give up.

Claiming is one function with two dialect branches. PostgreSQL locks the due
rows with ``FOR UPDATE SKIP LOCKED`` so concurrent workers take disjoint
batches. SQLite has no row locks: one ``UPDATE … WHERE id IN (SELECT …)``
statement takes the database's write lock before it reads, marks the rows
with this worker's lease and returns them, so a second worker sees them
already taken. Every write transaction here starts with its write, never
with a read: on SQLite a transaction that read first cannot take the write
lock after another connection has written (its snapshot is stale).

A lease that expires (a worker that died mid-batch) makes the rows claimable
again; such a message may then be sent twice, the price of never losing one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from surveyapp import db
from surveyapp.models import Invitation, OutboxMessage, utcnow
from surveyapp.models.base import UTCDateTime
from surveyapp.services import webhooks

__all__ = [
    "BACKOFF_BASE_SECONDS",
    "BACKOFF_CAP_SECONDS",
    "ClaimedMessage",
    "backoff_delay",
    "cancel",
    "claim",
    "complete",
    "enqueue",
    "enqueue_many",
    "fail_permanently",
    "release",
    "retry_later",
]

BACKOFF_BASE_SECONDS = 60
BACKOFF_CAP_SECONDS = 3600
DEFAULT_LEASE_SECONDS = 300


@dataclass(frozen=True)
class ClaimedMessage:
    """A message this worker holds the lease of."""

    id: int
    kind: str
    invitation_id: int | None
    payload: Mapping[str, Any]
    attempts: int


def backoff_delay(attempts: int) -> dt.timedelta:
    """How long to wait after the ``attempts``-th failed try: 1 min × 2^(attempts−1), capped at 1 h.

    >>> [int(backoff_delay(n).total_seconds()) for n in (1, 2, 3, 7, 20)]
    [60, 120, 240, 3600, 3600]
    """
    exponent = max(0, min(attempts - 1, 16))
    return dt.timedelta(seconds=min(BACKOFF_BASE_SECONDS * 2**exponent, BACKOFF_CAP_SECONDS))


def enqueue(
    kind: str, *, invitation_id: int | None = None, payload: Mapping[str, Any] | None = None
) -> None:
    """Add one message to the current session; the caller's commit makes it visible to workers."""
    db.session().add(
        OutboxMessage(kind=kind, invitation_id=invitation_id, payload=dict(payload or {}))
    )


def enqueue_many(kind: str, invitation_ids: Iterable[int], *, now: dt.datetime) -> None:
    """Add one message of ``kind`` per invitation in one INSERT (no commit)."""
    session = db.session()
    ids = list(invitation_ids)
    if ids and session.get_bind().dialect.name == "postgresql":
        # One array parameter instead of seven parameters per row (see invite_contacts).
        invitation = sa.func.unnest(sa.literal(ids, sa.ARRAY(sa.Integer))).column_valued("id")
        session.execute(
            sa.insert(OutboxMessage).from_select(
                [
                    "kind",
                    "invitation_id",
                    "payload",
                    "status",
                    "attempts",
                    "next_attempt_at",
                    "created_at",
                ],
                sa.select(
                    sa.literal(kind, sa.String),
                    invitation,
                    sa.literal({}, OutboxMessage.payload.type),
                    sa.literal("pending", sa.String),
                    sa.literal(0, sa.Integer),
                    sa.literal(now, OutboxMessage.next_attempt_at.type),
                    sa.literal(now, OutboxMessage.created_at.type),
                ),
            )
        )
        return
    rows = [
        {
            "kind": kind,
            "invitation_id": invitation_id,
            "payload": {},
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for invitation_id in ids
    ]
    if rows:
        session.execute(sa.insert(OutboxMessage), rows)


def claim(
    owner: str,
    limit: int,
    *,
    kinds: Collection[str] | None = None,
    lease_seconds: int = DEFAULT_LEASE_SECONDS,
    now: dt.datetime | None = None,
) -> list[ClaimedMessage]:
    """Take up to ``limit`` due messages (of ``kinds`` when given) for ``owner`` and commit
    the lease; oldest first."""
    now = now or utcnow()
    session = _write_session()
    due = sa.or_(
        sa.and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
        sa.and_(OutboxMessage.status == "sending", OutboxMessage.lease_expires_at < now),
    )
    if kinds is not None:
        due = sa.and_(OutboxMessage.kind.in_(list(kinds)), due)
    lease = {
        "status": "sending",
        "lease_owner": owner,
        "lease_expires_at": now + dt.timedelta(seconds=lease_seconds),
    }
    columns = (
        OutboxMessage.id,
        OutboxMessage.kind,
        OutboxMessage.invitation_id,
        OutboxMessage.payload,
        OutboxMessage.attempts,
    )
    if session.get_bind().dialect.name == "postgresql":
        ids = list(
            session.scalars(
                sa.select(OutboxMessage.id)
                .where(due)
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        rows = (
            session.execute(
                sa.update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids))
                .values(**lease)
                .returning(*columns)
                .execution_options(synchronize_session=False)
            ).all()
            if ids
            else []
        )
    else:
        chosen = (
            sa.select(OutboxMessage.id)
            .where(due)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
            .scalar_subquery()
        )
        rows = session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id.in_(chosen))
            .values(**lease)
            .returning(*columns)
            .execution_options(synchronize_session=False)
        ).all()
    session.commit()
    claimed = [
        ClaimedMessage(
            id=row.id,
            kind=row.kind,
            invitation_id=row.invitation_id,
            payload=row.payload or {},
            attempts=row.attempts,
        )
        for row in rows
    ]
    return sorted(claimed, key=lambda message: message.id)


def complete(
    owner: str, messages: Sequence[ClaimedMessage], *, now: dt.datetime | None = None
) -> None:
    """Record ``messages`` as sent, and their invitations as sent unless already further along."""
    if not messages:
        return
    now = now or utcnow()
    session = _write_session()
    ids = [message.id for message in messages]
    session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.lease_owner == owner)
        .values(status="sent", sent_at=now, lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    invitation_ids = [
        message.invitation_id
        for message in messages
        if message.kind == "invitation" and message.invitation_id is not None
    ]
    if invitation_ids:
        session.execute(
            sa.update(Invitation)
            .where(Invitation.id.in_(invitation_ids))
            .values(
                status=sa.case((Invitation.status == "queued", "sent"), else_=Invitation.status),
                sent_at=sa.func.coalesce(Invitation.sent_at, sa.literal(now, UTCDateTime())),
            )
            .execution_options(synchronize_session=False)
        )
    session.commit()


def retry_later(
    owner: str,
    message: ClaimedMessage,
    reason: str,
    *,
    max_attempts: int,
    backoff: Callable[[int], dt.timedelta] = backoff_delay,
    now: dt.datetime | None = None,
) -> bool:
    """Count a failed try and schedule the next after ``backoff(attempts)``; give up after
    ``max_attempts``.

    Returns True when the message was given up (and its invitation marked failed).
    """
    attempts = message.attempts + 1
    if attempts >= max_attempts:
        fail_permanently(
            owner, message, f"gave up after {attempts} attempts: {reason}", attempts=attempts
        )
        return True
    now = now or utcnow()
    session = _write_session()
    session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.lease_owner == owner)
        .values(
            status="pending",
            attempts=attempts,
            next_attempt_at=now + backoff(attempts),
            last_error=reason,
            lease_owner=None,
            lease_expires_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return False


def fail_permanently(
    owner: str,
    message: ClaimedMessage,
    reason: str,
    *,
    attempts: int | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Give a message up and mark its invitation failed with ``reason`` (unless it was answered)."""
    now = now or utcnow()
    session = _write_session()
    session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.lease_owner == owner)
        .values(
            status="failed",
            attempts=message.attempts + 1 if attempts is None else attempts,
            last_error=reason,
            lease_owner=None,
            lease_expires_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    if message.invitation_id is not None:
        _fail_invitation(message.invitation_id, reason, now)
    session.commit()


def cancel(
    owner: str,
    message: ClaimedMessage,
    reason: str,
    *,
    fail_invitation: bool,
    now: dt.datetime | None = None,
) -> None:
    """Drop a message that is no longer wanted; optionally mark a never-sent invitation failed."""
    now = now or utcnow()
    session = _write_session()
    session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.lease_owner == owner)
        .values(status="cancelled", last_error=reason, lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    if fail_invitation and message.invitation_id is not None:
        _fail_invitation(message.invitation_id, reason, now)
    session.commit()


def release(owner: str, messages: Sequence[ClaimedMessage]) -> None:
    """Hand messages back untouched (the server was unreachable): due again, no attempt counted."""
    if not messages:
        return
    session = _write_session()
    session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.id.in_([message.id for message in messages]),
            OutboxMessage.lease_owner == owner,
        )
        .values(status="pending", lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def _fail_invitation(invitation_id: int, reason: str, now: dt.datetime) -> None:
    # An invitation already opened or answered keeps that status: its link worked.
    failed = (
        db.session()
        .execute(
            sa.update(Invitation)
            .where(Invitation.id == invitation_id, Invitation.status.in_(("queued", "sent")))
            .values(status="failed", failed_at=now, failure_reason=reason[:1000])
            .returning(Invitation.id)
            .execution_options(synchronize_session=False)
        )
        .first()
    )
    if failed is not None:
        # In the same transaction as the failure, like every webhook event.
        webhooks.invitation_failed(invitation_id, reason[:1000], now)


def _write_session() -> so.Session:
    """The session, with any read transaction ended so the next statement opens a fresh one."""
    session = db.session()
    session.commit()
    return session
