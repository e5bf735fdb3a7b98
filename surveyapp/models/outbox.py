"""The outbox: messages written in the same transaction as the change that needs them, sent later.

No email leaves inside a web request. A worker claims due rows (a lease on
SQLite, ``FOR UPDATE SKIP LOCKED`` on PostgreSQL), sends them and records the
outcome, so a crash or an SMTP outage delays messages but never loses them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from surveyapp.models.base import Base, utcnow

__all__ = ["OUTBOX_KINDS", "OUTBOX_STATUSES", "OutboxMessage"]

OUTBOX_KINDS = ("invitation", "reminder", "webhook", "alert", "case_reply")
# "cancelled": no longer wanted when its turn came (unsubscribed, answered, survey closed).
OUTBOX_STATUSES = ("pending", "sending", "sent", "failed", "cancelled")


class OutboxMessage(Base):
    """One message waiting to be sent, being sent, or done with.

    Invitation and reminder emails are rendered when sent, from the invitation
    they point to, so the payload only carries what the invitation does not.
    """

    __tablename__ = "outbox_messages"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(16))
    invitation_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("invitations.id", ondelete="CASCADE"), index=True
    )
    payload: so.Mapped[dict[str, Any]] = so.mapped_column(default=dict)
    status: so.Mapped[str] = so.mapped_column(sa.String(12), default="pending")
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    next_attempt_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow)
    # The worker holding the message while it sends it; an expired lease frees it again.
    lease_owner: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    lease_expires_at: so.Mapped[dt.datetime | None]
    last_error: so.Mapped[str | None] = so.mapped_column(sa.Text)
    created_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow)
    sent_at: so.Mapped[dt.datetime | None]

    __table_args__ = (
        # Covers the worker's "due messages, oldest first" claim.
        sa.Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),
        sa.CheckConstraint(f"kind IN {OUTBOX_KINDS!r}", name="kind"),
        sa.CheckConstraint(f"status IN {OUTBOX_STATUSES!r}", name="status"),
    )
