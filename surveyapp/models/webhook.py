"""Webhooks: the endpoints that subscribe to events, and every delivery sent to them.

A delivery is one outbox message (kind "webhook", which carries the status,
attempts, next try and lease) plus one ``WebhookDelivery`` row holding what
is sent and what the endpoint last answered, shown in the delivery log.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from surveyapp.models.base import Base, utcnow
from surveyapp.models.outbox import OutboxMessage

__all__ = ["TEST_EVENT", "WEBHOOK_EVENTS", "WebhookDelivery", "WebhookEndpoint"]

# The events an endpoint may subscribe to (docs/webhooks.md describes each payload).
WEBHOOK_EVENTS = ("response.created", "response.updated", "invitation.failed", "alert.created")
# Sent by the "Send test event" button only; nobody subscribes to it.
TEST_EVENT = "webhook.test"


class WebhookEndpoint(Base):
    """A URL that receives signed events (Standard Webhooks), optionally of one survey only."""

    __tablename__ = "webhook_endpoints"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    url: so.Mapped[str] = so.mapped_column(sa.String(2000))
    description: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    events: so.Mapped[list[Any]] = so.mapped_column(default=list)
    # None: every survey.
    survey_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("surveys.id", ondelete="CASCADE")
    )
    active: so.Mapped[bool] = so.mapped_column(default=True)
    # "whsec_" + base64: kept in clear because every delivery is signed with it.
    secret: so.Mapped[str] = so.mapped_column(sa.String(100))
    # After a rotation deliveries are signed with both secrets until this expires,
    # so the receiver can switch over without refusing anything.
    previous_secret: so.Mapped[str | None] = so.mapped_column(sa.String(100))
    previous_secret_expires_at: so.Mapped[dt.datetime | None]
    created_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow)
    updated_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow)

    __table_args__ = (
        # The submit path reads the active endpoints on every response.
        sa.Index("ix_webhook_endpoints_active", "active"),
    )


class WebhookDelivery(Base):
    """One event sent (or to be sent) to one endpoint; its outbox message tracks the tries."""

    __tablename__ = "webhook_deliveries"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    endpoint_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE")
    )
    # Deleting the outbox message (log retention) deletes the delivery with it.
    outbox_message_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("outbox_messages.id", ondelete="CASCADE"), unique=True
    )
    event: so.Mapped[str] = so.mapped_column(sa.String(40))
    # The webhook-id header: the receiver's idempotency key, kept by retries and replays.
    message_id: so.Mapped[str] = so.mapped_column(sa.String(40))
    # The whole JSON body: {"type", "timestamp", "data"}.
    payload: so.Mapped[dict[str, Any]] = so.mapped_column(default=dict)
    replay_of_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("webhook_deliveries.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow)
    # The last try: when, the HTTP status (None: no answer), how long, what came back.
    attempted_at: so.Mapped[dt.datetime | None]
    response_status: so.Mapped[int | None]
    duration_ms: so.Mapped[int | None]
    response_excerpt: so.Mapped[str | None] = so.mapped_column(sa.Text)

    message: so.Mapped[OutboxMessage] = so.relationship()

    __table_args__ = (
        # The delivery log of one endpoint, newest first.
        sa.Index("ix_webhook_deliveries_endpoint_id_id", "endpoint_id", "id"),
        # The worker's pruning of old deliveries.
        sa.Index("ix_webhook_deliveries_created_at", "created_at"),
        sa.CheckConstraint(f"event IN {(*WEBHOOK_EVENTS, TEST_EVENT)!r}", name="event"),
    )
