"""Invitations: one contact asked to answer one survey, through a personal token."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so

from surveyapp.models.base import Base, utcnow
from surveyapp.models.contact import Contact
from surveyapp.models.survey import Survey

__all__ = ["INVITATION_STATUSES", "Invitation"]

INVITATION_STATUSES = ("queued", "sent", "failed", "opened", "answered")


class Invitation(Base):
    """A personal link to a survey.

    On an anonymous survey the invitation only records *that* it was answered
    (``answered_at``), never which response it produced.
    """

    __tablename__ = "invitations"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    survey_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("surveys.id", ondelete="CASCADE"))
    contact_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    token: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    # The pulse wave this invitation belongs to; None outside recurring pulses.
    wave_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("pulse_waves.id", ondelete="SET NULL"), index=True
    )
    status: so.Mapped[str] = so.mapped_column(sa.String(12), default="queued")
    language: so.Mapped[str | None] = so.mapped_column(sa.String(8))
    created_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow)
    sent_at: so.Mapped[dt.datetime | None]
    opened_at: so.Mapped[dt.datetime | None]
    answered_at: so.Mapped[dt.datetime | None]
    failed_at: so.Mapped[dt.datetime | None]
    failure_reason: so.Mapped[str | None] = so.mapped_column(sa.Text)
    reminders_sent: so.Mapped[int] = so.mapped_column(default=0)
    last_reminded_at: so.Mapped[dt.datetime | None]

    survey: so.Mapped[Survey] = so.relationship()
    contact: so.Mapped[Contact] = so.relationship()

    __table_args__ = (
        sa.Index("ix_invitations_survey_id_status", "survey_id", "status"),
        sa.CheckConstraint(f"status IN {INVITATION_STATUSES!r}", name="status"),
    )
