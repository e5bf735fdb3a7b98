"""Closing the loop: follow-up cases on unhappy responses, their notes, and staff alerts."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so

from surveyapp.models.base import Base, utcnow

__all__ = [
    "ALERT_MODES",
    "CASE_REASONS",
    "CASE_STATUSES",
    "NOTE_KINDS",
    "Alert",
    "AlertPreference",
    "AlertSubscription",
    "Case",
    "CaseNote",
]

CASE_STATUSES = ("open", "in_progress", "closed")
# Why a response became a case: an NPS/eNPS detractor, a CSAT of 1–2, a cancellation.
CASE_REASONS = ("detractor", "low_csat", "cancellation")
# "note": internal only; "reply": an email sent to the respondent; "event": a change of
# status or assignee, written by the service so the case tells its own history.
NOTE_KINDS = ("note", "reply", "event")
# "instant": an email within a minute (several alerts of one minute batched into one);
# "digest": one email a day; "off": nothing.
ALERT_MODES = ("instant", "digest", "off")


class Case(Base):
    """One response that needs a human to follow it up; at most one case per response."""

    __tablename__ = "cases"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    response_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("responses.id", ondelete="CASCADE"), unique=True
    )
    survey_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("surveys.id", ondelete="CASCADE"), index=True
    )
    reason: so.Mapped[str] = so.mapped_column(sa.String(16))
    status: so.Mapped[str] = so.mapped_column(sa.String(12), default="open")
    assignee_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow)
    # The first thing staff did about it (assign, status, note, reply): time to first action.
    first_action_at: so.Mapped[dt.datetime | None]
    closed_at: so.Mapped[dt.datetime | None]

    notes: so.Mapped[list[CaseNote]] = so.relationship(
        back_populates="case",
        order_by="CaseNote.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    __table_args__ = (
        # Covers the queue: "open cases, newest first" and the metrics' date ranges.
        sa.Index("ix_cases_status_created_at", "status", "created_at"),
        sa.CheckConstraint(f"status IN {CASE_STATUSES!r}", name="status"),
        sa.CheckConstraint(f"reason IN {CASE_REASONS!r}", name="reason"),
    )


class CaseNote(Base):
    """An internal note, a reply sent to the respondent, or a recorded change on a case."""

    __tablename__ = "case_notes"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    author_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    kind: so.Mapped[str] = so.mapped_column(sa.String(8), default="note")
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    created_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow)

    case: so.Mapped[Case] = so.relationship(back_populates="notes")

    __table_args__ = (sa.CheckConstraint(f"kind IN {NOTE_KINDS!r}", name="kind"),)


class AlertPreference(Base):
    """How one user wants to hear about new cases; no row means "instant"."""

    __tablename__ = "alert_preferences"

    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    mode: so.Mapped[str] = so.mapped_column(sa.String(8), default="instant")
    updated_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (sa.CheckConstraint(f"mode IN {ALERT_MODES!r}", name="mode"),)


class AlertSubscription(Base):
    """A user who wants the alerts of a survey they do not own."""

    __tablename__ = "alert_subscriptions"

    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    survey_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow)


class Alert(Base):
    """One case to tell one user about; ``queued_at`` is set when its email joins the outbox.

    The worker batches a user's alerts into one email: instant ones once the
    oldest is a few seconds old, digest ones once a day.
    """

    __tablename__ = "alerts"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    case_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    mode: so.Mapped[str] = so.mapped_column(sa.String(8))
    created_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow)
    queued_at: so.Mapped[dt.datetime | None]

    __table_args__ = (
        # Covers the worker's "alerts not yet queued, per user" scan.
        sa.Index("ix_alerts_queued_at_user_id", "queued_at", "user_id"),
        sa.UniqueConstraint("user_id", "case_id"),
        sa.CheckConstraint("mode IN ('instant', 'digest')", name="mode"),
    )
